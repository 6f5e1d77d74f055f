"""--web.systemd-socket: pyexporter serving on a socket passed as systemd does (fd 3, LISTEN_PID,
LISTEN_FDS), and the one-line error when no socket is passed."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import bcrypt
import pytest

from tests.e2e.conftest import ROOT, pyexporter_cmd, require, which
from tests.helpers import FIXTURES

# What systemd does between fork and exec: the socket at fd 3, LISTEN_FDS/LISTEN_FDNAMES, and
# LISTEN_PID set to the pid of the process that will run pyexporter (exec keeps the pid).
WRAPPER = """
import os, sys
fd = int(sys.argv[1])
if fd != 3:
    os.dup2(fd, 3)  # the copy is inheritable
    os.close(fd)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1", LISTEN_FDNAMES="pyexporter.socket")
os.execv(sys.executable, sys.argv[2:])
"""

ARGS = (f"--path.procfs={FIXTURES}/basic/proc", "--collector.disable-defaults", "--collector.loadavg")

Activate = Callable[..., tuple[str, "subprocess.Popen[str]"]]


@pytest.fixture
def activate() -> Iterator[Activate]:
    """Starts pyexporter ARGS socket-activated on a loopback socket bound here; the starter
    returns (base URL, process) once it answers."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[str, subprocess.Popen[str]]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            port = sock.getsockname()[1]
            proc = subprocess.Popen(
                [sys.executable, "-c", WRAPPER, str(sock.fileno()), *pyexporter_cmd("--web.systemd-socket", *args)],
                pass_fds=(sock.fileno(),), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            )
            procs.append(proc)
        # Our copy is closed: only the child listens now, as after systemd handed the socket over.
        base = f"http://127.0.0.1:{port}"
        _wait_answering(f"{base}/-/healthy")
        return base, proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def _wait_answering(url: str, timeout: float = 20.0) -> None:
    """Until an HTTP answer, whatever its status (401 with basic auth). The socket listens before
    the child starts, so a connection is accepted at once and waits for the child's first answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=timeout).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serves_on_the_passed_socket(activate: Activate) -> None:
    base, proc = activate(*ARGS)
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        assert resp.status == 200
        assert b"node_load1 0.21" in resp.read()
    # Made close-on-exec, so that no child of pyexporter's holds the listening socket.
    with open(f"/proc/{proc.pid}/fdinfo/3") as fdinfo:
        flags = int(fdinfo.read().split("flags:")[1].split()[0], 8)
    assert flags & os.O_CLOEXEC
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    _, err = proc.communicate(timeout=10)
    assert 'msg="Listening on systemd activated listeners instead of port listeners."' in err
    port = base.rsplit(":", 1)[1]
    assert f"address=127.0.0.1:{port}" in err
    assert ":9100" not in err  # --web.listen-address's default is not bound


def test_web_config_applies(activate: Activate, tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    config = tmp_path / "web.yml"
    config.write_text(f"basic_auth_users:\n  prometheus: '{hashed}'\n")
    base, _ = activate(*ARGS, f"--web.config.file={config}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/metrics", timeout=10)
    assert refused.value.code == 401
    token = base64.b64encode(b"prometheus:s3cret").decode()
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert b"node_load1 0.21" in resp.read()


def test_flag_without_sockets_exits_2_with_one_line() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LISTEN_")}
    proc = subprocess.run(pyexporter_cmd("--web.systemd-socket", *ARGS), capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.strip() == (
        "pyexporter: error: --web.systemd-socket: no socket activation file descriptors found "
        "(LISTEN_PID is not set)"
    )


def test_sockets_meant_for_another_process_are_not_taken() -> None:
    env = {**os.environ, "LISTEN_PID": "1", "LISTEN_FDS": "1"}
    proc = subprocess.run(pyexporter_cmd("--web.systemd-socket", *ARGS), capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)
    assert proc.returncode == 2
    assert "LISTEN_PID=1 is not this process" in proc.stderr


def test_socket_unit_verifies(tmp_path: Path) -> None:
    """deploy/systemd/pyexporter.socket with the service beside it, as `systemd-analyze verify` sees them."""
    from tests.e2e.test_deploy import _systemd_root, unit_settings

    analyze = which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (apt-get install systemd)")
    socket_unit = Path(ROOT) / "deploy" / "systemd" / "pyexporter.socket"
    settings = {key: values[-1] for key, values in unit_settings(socket_unit).items()}
    assert settings["Accept"] == "no" and settings["ListenStream"] == "9100"
    root, service = _systemd_root(tmp_path)
    installed = service.with_name("pyexporter.socket")
    installed.write_text(socket_unit.read_text())
    proc = subprocess.run([analyze, "verify", "--man=no", f"--root={root}", str(installed), str(service)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), proc
