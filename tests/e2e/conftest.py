from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip with REASON when a prerequisite is missing; under CI a missing one fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def pyexporter_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyexporter", *args]


@pytest.fixture
def run_pyexporter() -> Iterator:
    """Start `pyexporter ARGS` on a free loopback port; yields a starter returning (url, process)."""
    procs: list[subprocess.Popen] = []

    def start(*args: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        proc = subprocess.Popen(
            pyexporter_cmd(f"--web.listen-address=127.0.0.1:{port}", *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/-/healthy")
        return base, proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        # Close pipes so nothing leaks between tests.
        proc.communicate()


def which(name: str) -> str | None:
    return shutil.which(name)
