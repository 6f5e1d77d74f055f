"""The sidecar set-up without Docker: the demo API and pyexporter alone in one new PID namespace.

`unshare --pid --fork --mount-proc` gives both a private /proc, as a container sharing its PID
namespace with the API does. The namespace shares the host's network, so the test reaches both
servers on loopback. pyexporter runs as its console script, whose comm is `pyexporter`, so that
the API's group (the comm of the python running app.py) holds the API alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import free_port, require, wait_http, which

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "docker" / "demo-api" / "app.py"

# CPU the test makes the API burn: /work burns MS of the process's own CPU time per request,
# whatever else the machine is doing.
WORK_MS = 50
WORK_REQUESTS = 30


def scrape(base: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """{sample name: {sorted labels: value}} of one scrape."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=20) as resp:
        text = resp.read().decode()
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def group_value(metrics: dict, name: str, group: str, **labels: str) -> float:
    return metrics[name][tuple(sorted({"groupname": group, **labels}.items()))]


def api_cpu(metrics: dict, group: str) -> float:
    name = "namedprocess_namegroup_cpu_seconds_total"
    return group_value(metrics, name, group, mode="user") + group_value(metrics, name, group, mode="system")


def find_comm(marker: str) -> tuple[int, str]:
    """(host pid, comm) of the process whose command line holds MARKER."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
            # The python running app.py, not unshare or the shell that carry the same arguments.
            if args[1:2] == [str(APP).encode()] and marker.encode() in args:
                with open(f"/proc/{entry}/comm", encoding="utf-8") as fh:
                    return int(entry), fh.read().strip()
        except OSError:
            continue
    raise LookupError(f"no process with {marker!r} in its command line")


@pytest.fixture
def namespace(tmp_path: Path) -> Iterator:
    unshare = which("unshare")
    require(unshare is not None, "unshare is not installed (apt-get install util-linux)")
    probe = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", "true"], capture_output=True, text=True,
                           check=False, timeout=30)
    require(probe.returncode == 0, f"cannot create a PID namespace here (needs root): {probe.stderr.strip()}")
    exporter_script = shutil.which("pyexporter", path=os.path.dirname(sys.executable))
    require(exporter_script is not None, "the pyexporter console script is not installed (pip install -e .)")
    api_port, exporter_port = free_port(), free_port()
    log = open(tmp_path / "namespace.log", "w")  # closed below, after the processes
    # pyexporter replaces the shell as the namespace's init. unshare ignores SIGTERM while it waits,
    # so the fixture kills it; --kill-child then kills the init, and with it the kernel kills every
    # other process of the namespace.
    script = (
        '"$0" "$1" --host 127.0.0.1 --port "$2" & '
        'exec "$3" --web.listen-address=127.0.0.1:"$4" --collector.disable-defaults --collector.namedprocess '
        "--web.disable-exporter-metrics"
    )
    proc = subprocess.Popen(
        [unshare, "--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", script,
         sys.executable, str(APP), str(api_port), exporter_script, str(exporter_port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    api, exporter = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{exporter_port}"
    try:
        wait_http(f"{api}/healthz", timeout=60)
        wait_http(f"{exporter}/-/healthy", timeout=60)
        yield api, exporter, api_port, tmp_path / "namespace.log"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        log.close()


def test_namedprocess_sees_the_namespace_and_the_api_cpu(namespace) -> None:
    api, exporter, api_port, log = namespace
    host_pid, api_comm = find_comm(str(api_port))
    with urllib.request.urlopen(f"{api}/helloWorld", timeout=10) as resp:
        assert b"Hello World!" in resp.read()

    before = scrape(exporter)
    num_procs = before["namedprocess_namegroup_num_procs"]
    groups = {dict(labels)["groupname"]: value for labels, value in num_procs.items()}
    # Only the namespace's two processes: the host's (this test's python among them) are not visible.
    assert groups == {api_comm: 1.0, "pyexporter": 1.0}, (groups, log.read_text())
    assert before["node_scrape_collector_success"][(("collector", "namedprocess"),)] == 1.0
    # In the namespace the API has a small pid, not its host pid; the exporter is init (pid 1).
    assert host_pid > 2
    assert group_value(before, "namedprocess_namegroup_num_threads", api_comm) >= 1
    assert group_value(before, "namedprocess_namegroup_memory_bytes", api_comm, memtype="resident") > 1_000_000
    assert group_value(before, "namedprocess_namegroup_open_filedesc", api_comm) >= 3
    started = group_value(before, "namedprocess_namegroup_oldest_start_time_seconds", api_comm)
    assert abs(started - time.time()) < 600

    cpu_before = api_cpu(before, api_comm)
    for _ in range(WORK_REQUESTS):
        with urllib.request.urlopen(f"{api}/work?ms={WORK_MS}", timeout=30) as resp:
            assert resp.status == 200
    after = scrape(exporter)
    burned = WORK_REQUESTS * WORK_MS / 1000
    grown = api_cpu(after, api_comm) - cpu_before
    # The API burned 1.5 s of its own CPU time; allow for the kernel's 10 ms ticks and sampling.
    assert grown >= 0.8 * burned, (cpu_before, grown)
    # And that CPU is the API's, not the exporter's: pyexporter's own group grew far less.
    exporter_grown = api_cpu(after, "pyexporter") - api_cpu(before, "pyexporter")
    assert exporter_grown < grown, (exporter_grown, grown)
    # Counters only grow; the exporter and the API are still the only processes.
    assert {dict(k)["groupname"] for k in after["namedprocess_namegroup_num_procs"]} == {api_comm, "pyexporter"}
