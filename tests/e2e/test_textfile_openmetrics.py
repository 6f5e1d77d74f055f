"""A real Prometheus (Debian's 2.42) scraping pyexporter's textfile collector every second, over a
directory that mixes classic and OpenMetrics files (tests/fixtures/textfile/openmetrics/mixed), once
negotiating OpenMetrics (Prometheus's default) and once served the classic text format.

Prometheus 2.42 has no setting for the format it asks for (scrape_protocols came in 2.49), and
pyexporter serves what the Accept header asks for; so the classic job scrapes through a proxy of
this test's own that asks pyexporter for text 0.0.4. Both jobs must store the same series with the
same values: the mapping of each OpenMetrics type to the text format loses metadata (types, units),
never a series."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.e2e.conftest import one_second_config
from tests.e2e.test_prometheus import query, wait_for
from tests.helpers import FIXTURES

MIXED = f"{FIXTURES}/textfile/openmetrics/mixed"
# What Prometheus 2.42 sends (scrape.go's acceptHeader).
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
TEXT_ACCEPT = "text/plain;version=0.0.4"

Series = frozenset[tuple[str, str]]

# Every series the textfile collector serves from MIXED, with its value: the same in both formats.
EXPECTED: dict[Series, float] = {
    frozenset(labels.items()): value
    for labels, value in [
        # classic.prom
        ({"__name__": "cron_last_success_seconds", "task": "backup"}, 1.7e9),
        ({"__name__": "cron_runs", "task": "backup"}, 12),
        # types.prom: counter, gauge with unit, info, stateset, histogram, gaugehistogram, summary, unknown
        ({"__name__": "jobs_processed_total", "queue": "a"}, 5),
        ({"__name__": "jobs_processed_created", "queue": "a"}, 1700000000.5),
        ({"__name__": "jobs_processed_total", "queue": "b"}, 7),
        ({"__name__": "room_temperature_celsius", "room": "x"}, 21.5),
        ({"__name__": "build_info", "version": "1.2", "revision": "abc"}, 1),
        ({"__name__": "backup_state", "backup_state": "running"}, 0),
        ({"__name__": "backup_state", "backup_state": "done"}, 1),
        ({"__name__": "request_seconds_bucket", "le": "0.1"}, 2),
        ({"__name__": "request_seconds_bucket", "le": "1.0"}, 3),
        ({"__name__": "request_seconds_bucket", "le": "+Inf"}, 4),
        ({"__name__": "request_seconds_count"}, 4),
        ({"__name__": "request_seconds_sum"}, 5.5),
        ({"__name__": "request_seconds_created"}, 1700000000),
        ({"__name__": "queue_size_bucket", "le": "10.0"}, 3),
        ({"__name__": "queue_size_bucket", "le": "+Inf"}, 5),
        ({"__name__": "queue_size_gcount"}, 5),
        ({"__name__": "queue_size_gsum"}, 27),
        ({"__name__": "rpc_seconds", "quantile": "0.5"}, 0.2),
        ({"__name__": "rpc_seconds", "quantile": "0.9"}, 0.7),
        ({"__name__": "rpc_seconds_sum"}, 12),
        ({"__name__": "rpc_seconds_count"}, 30),
        ({"__name__": "rpc_seconds_created"}, 1700000001),
        ({"__name__": "mystery"}, 42),
        # units.prom
        ({"__name__": "disk_free_bytes", "disk": "a"}, 1024),
        ({"__name__": "batch_runs_total"}, 3),
        # zz_bad_created.prom is refused: its export_runs_total is not served.
        ({"__name__": "node_textfile_scrape_error"}, 1),
    ]
}


class _TextOnlyProxy(http.server.BaseHTTPRequestHandler):
    """GET UPSTREAM's path asking for the classic text format, whatever the scraper asked for."""

    upstream = ""
    content_types: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        request = urllib.request.Request(self.upstream + self.path, headers={"Accept": TEXT_ACCEPT})
        with urllib.request.urlopen(request, timeout=10) as resp:
            body = resp.read()
            content_type = resp.headers["Content-Type"]
        self.content_types.append(content_type)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def text_proxy() -> Iterator[type[_TextOnlyProxy]]:
    handler = type("Proxy", (_TextOnlyProxy,), {"content_types": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.address = f"127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _stored(base: str, job: str) -> dict[Series, float]:
    """The textfile collector's series Prometheus holds for JOB, without the target's labels."""
    names = "|".join(sorted({dict(series)["__name__"] for series in EXPECTED} | {"export_runs_total"}))
    out: dict[Series, float] = {}
    for result in query(base, f'{{job="{job}",__name__=~"{names}"}}'):
        labels = {k: v for k, v in result["metric"].items() if k not in ("job", "instance")}
        out[frozenset(labels.items())] = float(result["value"][1])
    return out


def _metadata(base: str, job: str) -> dict[str, tuple[str, str]]:
    url = f"{base}/api/v1/targets/metadata?" + urllib.parse.urlencode({"match_target": f'{{job="{job}"}}'})
    with urllib.request.urlopen(url, timeout=10) as resp:
        payload = json.load(resp)
    return {entry["metric"]: (entry["type"], entry["unit"]) for entry in payload["data"]}


def test_prometheus_stores_the_same_series_from_openmetrics_and_from_text(
    run_pyexporter, prometheus, text_proxy
) -> None:
    exporter, _ = run_pyexporter("--collector.disable-defaults", "--collector.textfile",
                                 f"--collector.textfile.directory={MIXED}")
    text_proxy.upstream = exporter
    base = prometheus(one_second_config({
        "openmetrics": exporter.removeprefix("http://"),
        "classic": text_proxy.address,  # type: ignore[attr-defined]
    }))
    for job in ("openmetrics", "classic"):
        assert wait_for(base, f'up{{job="{job}"}} == 1'), f"target {job} never came up"
        assert wait_for(base, f'node_textfile_scrape_error{{job="{job}"}}'), f"no textfile series for {job}"

    assert _stored(base, "openmetrics") == EXPECTED
    assert _stored(base, "classic") == EXPECTED
    # The classic job was served text 0.0.4 only.
    assert text_proxy.content_types
    assert {ct.split(";")[0] for ct in text_proxy.content_types} == {"text/plain"}

    # What told the two apart is metadata: OpenMetrics types and units, or the text format's.
    native, classic = _metadata(base, "openmetrics"), _metadata(base, "classic")
    assert native["build"] == ("info", "")
    assert native["backup_state"] == ("stateset", "")
    assert native["queue_size"] == ("gaugehistogram", "")
    assert native["request_seconds"] == ("histogram", "seconds")
    assert native["jobs_processed"] == ("counter", "")
    assert native["disk_free_bytes"] == ("gauge", "bytes")
    assert classic["build_info"] == ("gauge", "")
    assert classic["backup_state"] == ("gauge", "")
    assert classic["queue_size"] == ("histogram", "")
    assert classic["queue_size_gsum"] == ("gauge", "")
    assert classic["jobs_processed_total"] == ("counter", "")
    assert classic["jobs_processed_created"] == ("gauge", "")
    assert classic["mystery"] == ("unknown", "")


def test_the_formats_as_served(run_pyexporter) -> None:
    exporter, _ = run_pyexporter("--collector.disable-defaults", "--collector.textfile",
                                 f"--collector.textfile.directory={MIXED}")
    # Without an OpenMetrics Accept header: the text format.
    with urllib.request.urlopen(f"{exporter}/metrics", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = resp.read().decode()
    assert "# TYPE build_info gauge\nbuild_info{revision=\"abc\",version=\"1.2\"} 1.0\n" in text
    assert "# TYPE jobs_processed_created gauge\n" in text
    assert "# EOF" not in text and "# UNIT" not in text
    request = urllib.request.Request(f"{exporter}/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
        om = resp.read().decode()
    assert "# TYPE build info\nbuild_info{revision=\"abc\",version=\"1.2\"} 1.0\n" in om
    assert "# TYPE request_seconds histogram\n# UNIT request_seconds seconds\n" in om
    assert om.endswith("# EOF\n")
