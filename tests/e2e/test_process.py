"""The installed command as a user runs it: --once, start-up errors, and signals."""

from __future__ import annotations

import signal
import subprocess
import urllib.request

import pytest

from tests.e2e.conftest import pyexporter_cmd
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
