"""A real Prometheus (Debian's package) scraping pyexporter every second, queried with PromQL."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request

from tests.e2e.conftest import one_second_config
from tests.helpers import FIXTURES


def query(base: str, promql: str) -> list[dict]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as resp:
        payload = json.load(resp)
    assert payload["status"] == "success", payload
    return payload["data"]["result"]


def query_range(base: str, promql: str, start: float, end: float, step: float = 1.0) -> list[dict]:
    params = {"query": promql, "start": start, "end": end, "step": step}
    with urllib.request.urlopen(f"{base}/api/v1/query_range?" + urllib.parse.urlencode(params), timeout=10) as resp:
        payload = json.load(resp)
    assert payload["status"] == "success", payload
    return payload["data"]["result"]


def wait_for(base: str, promql: str, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        result = query(base, promql)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_prometheus_scrapes_fixture_values(run_pyexporter, prometheus) -> None:
    exporter, _ = run_pyexporter(f"--path.procfs={FIXTURES}/basic/proc", "--collector.disable-defaults",
                                 "--collector.loadavg")
    base = prometheus(one_second_config({"pyexporter": exporter.removeprefix("http://")}))
    up = wait_for(base, 'up{job="pyexporter"} == 1')
    assert up, "target never came up"
    load = wait_for(base, "node_load1")
    assert float(load[0]["value"][1]) == 0.21


def test_cpu_rise_under_load_on_the_live_host(run_pyexporter, prometheus) -> None:
    exporter, _ = run_pyexporter()
    base = prometheus(one_second_config({"pyexporter": exporter.removeprefix("http://")}))
    assert wait_for(base, 'up{job="pyexporter"} == 1'), "target never came up"
    wait_for(base, "count_over_time(up[10s]) >= 6")
    quiet_end = time.time()
    # A busy loop on one core for a few seconds, bounded by its own clock.
    burner = subprocess.Popen(["python3", "-c", "import time\nend=time.time()+6\nwhile time.time()<end: pass"])
    burner.wait(timeout=30)
    time.sleep(2.5)
    end = time.time()
    expr = 'sum(rate(node_cpu_seconds_total{mode!="idle"}[5s]))'
    series = query_range(base, expr, quiet_end - 8, end)
    assert series, "no data for the CPU rate"
    values = [float(v) for _, v in series[0]["values"]]
    before = min(values[:4])
    peak = max(values)
    # The burner keeps one core busy: the non-idle rate must rise by a good part of a core.
    assert peak - before > 0.5, values
    durations = query(base, 'max_over_time(scrape_duration_seconds{job="pyexporter"}[30s])')
    assert float(durations[0]["value"][1]) < 0.5
    failed = query(base, 'min_over_time(up{job="pyexporter"}[30s])')
    assert float(failed[0]["value"][1]) == 1.0
