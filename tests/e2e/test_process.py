"""The installed command as a user runs it: --once, start-up errors, and signals."""

from __future__ import annotations

import signal
import subprocess
import urllib.request

import pytest

from tests.e2e.conftest import free_port, pyexporter_cmd, wait_http, which
from tests.helpers import FIXTURES


def test_once_prints_the_exposition() -> None:
    proc = subprocess.run(
        pyexporter_cmd("--once", f"--path.procfs={FIXTURES}/basic/proc", "--collector.disable-defaults",
                       "--collector.loadavg"),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "node_load1 0.21\n" in proc.stdout
    assert 'node_scrape_collector_success{collector="loadavg"} 1.0' in proc.stdout


def test_open_files_limit_raised_to_the_hard_one_as_node_exporter_raises_it() -> None:
    """Go's runtime raises the soft limit of open files to the hard one as node_exporter starts,
    and its process_max_fds says so; pyexporter does the same."""
    import re
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard = min(hard, 4096)

    def lowered() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    proc = subprocess.run(pyexporter_cmd("--once", "--collector.disable-defaults", "--collector.loadavg"),
                          capture_output=True, text=True, timeout=60, preexec_fn=lowered)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^process_max_fds (\S+)$", proc.stdout, re.M).group(1) == f"{float(hard)}"
    binary = which("prometheus-node-exporter")
    if binary is not None:  # the reference, started with the same limits
        port = free_port()
        go = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
                               "--collector.loadavg"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=lowered)
        try:
            wait_http(f"http://127.0.0.1:{port}/metrics")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
                body = resp.read().decode()
            assert re.search(r"^process_max_fds (\S+)$", body, re.M).group(1) == str(hard)
        finally:
            go.kill()
            go.wait(timeout=10)


def test_bad_flag_exits_2_with_one_line() -> None:
    proc = subprocess.run(pyexporter_cmd("--collector.nonsense"), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "unrecognized arguments: --collector.nonsense" in proc.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_with_exit_0(run_pyexporter, signum: int) -> None:
    base, proc = run_pyexporter(f"--path.procfs={FIXTURES}/basic/proc", "--collector.disable-defaults",
                                "--collector.loadavg")
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        assert b"node_load1 0.21" in resp.read()
    proc.send_signal(signum)
    assert proc.wait(timeout=20) == 0
    _, err = proc.communicate()
    assert "level=info" in err and 'msg="Listening on"' in err


def test_port_in_use_exits_2(run_pyexporter) -> None:
    base, _ = run_pyexporter("--collector.disable-defaults", "--collector.loadavg")
    port = base.rsplit(":", 1)[1]
    proc = subprocess.run(pyexporter_cmd(f"--web.listen-address=127.0.0.1:{port}"), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "cannot listen" in proc.stderr


def test_sigterm_lets_an_in_flight_scrape_finish(run_pyexporter, gate) -> None:
    import threading

    base, proc = run_pyexporter(*gate.args(), module="tests.slow_exporter")
    result: dict[str, object] = {}

    def scrape() -> None:
        with urllib.request.urlopen(f"{base}/metrics", timeout=30) as resp:
            result["status"] = resp.status
            result["body"] = resp.read().decode()

    client = threading.Thread(target=scrape)
    client.start()
    gate.hold()
    proc.send_signal(signal.SIGTERM)
    gate.release()
    client.join(timeout=30)
    assert result.get("status") == 200
    assert "slow_metric 42" in str(result["body"])
    assert proc.wait(timeout=20) == 0
