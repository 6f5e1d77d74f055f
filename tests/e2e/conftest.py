from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e import docker_harness
from tests.e2e.docker_harness import PROMETHEUS_STANDIN, REPO, Engine, EngineUnavailable, Stack, running_stack
from tests.helpers import require

__all__ = ["require"]


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


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pyexporter_cmd(*args: str, module: str = "pyexporter") -> list[str]:
    return [sys.executable, "-m", module, *args]


@pytest.fixture
def run_pyexporter() -> Iterator:
    """Start `pyexporter ARGS` on a free loopback port; yields a starter returning (url, process)."""
    procs: list[subprocess.Popen] = []

    def start(*args: str, module: str = "pyexporter") -> tuple[str, subprocess.Popen]:
        """MODULE `tests.slow_exporter` is pyexporter with a collector that holds scrapes."""
        port = free_port()
        proc = subprocess.Popen(
            pyexporter_cmd(f"--web.listen-address=127.0.0.1:{port}", *args, module=module),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
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


class Gate:
    """Holds scrapes of tests.slow_exporter's `test_slow` collector in flight.

    `hold()` returns once a scrape has entered the collector; `release()` lets it, and every later
    scrape, finish.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def args(self) -> tuple[str, ...]:
        return ("--collector.disable-defaults", "--collector.test_slow", f"--collector.test_slow.gate={self.path}")

    def hold(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.path + ".entered"):
            if time.monotonic() > deadline:
                raise AssertionError(f"no scrape entered the slow collector within {timeout} s")
            time.sleep(0.01)

    def release(self) -> None:
        with open(self.path, "w"):
            pass


@pytest.fixture
def gate(tmp_path) -> Gate:
    return Gate(str(tmp_path / "gate"))


def one_second_config(targets: dict[str, str]) -> dict[str, Any]:
    """A Prometheus config scraping each {job: host:port} every second."""
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [target]}]} for job, target in targets.items()
        ],
    }


@pytest.fixture
def prometheus(tmp_path) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Start Debian's Prometheus on loopback with the given config; yields the starter, which
    returns its base URL once it is ready."""
    import yaml

    binary = which("prometheus")
    require(binary is not None, "prometheus is not installed (apt-get install prometheus)")
    procs: list[subprocess.Popen] = []

    def start(config: dict[str, Any]) -> str:
        n = len(procs)
        path = tmp_path / f"prometheus{n}.yml"
        path.write_text(yaml.safe_dump(config))
        port = free_port()
        # The child keeps its own copy of the log's descriptor.
        with open(tmp_path / f"prometheus{n}.log", "w") as log:
            procs.append(subprocess.Popen(
                [binary, f"--config.file={path}", f"--storage.tsdb.path={tmp_path}/data{n}",
                 f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT,
            ))
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/-/ready", timeout=60)
        return base

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=30)


# -- the compose stack on a private Docker engine (tests/e2e/docker_harness.py) -------------------

EXPORTER_DOCKERFILE = REPO / "docker" / "Dockerfile"
BASE_IMAGE = docker_harness.dockerfile_arg(EXPORTER_DOCKERFILE, "BASE_IMAGE")
GO_IMAGE = docker_harness.dockerfile_arg(REPO / "docker" / "demo-api-go" / "Dockerfile", "GO_IMAGE")
_PROMETHEUS_IMAGE = re.search(r"image:\s*(prom/prometheus\S*)", (REPO / "compose.yml").read_text())
assert _PROMETHEUS_IMAGE, "compose.yml names no prom/prometheus image"
PROMETHEUS_IMAGE = _PROMETHEUS_IMAGE.group(1)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """A private dockerd with the base and Prometheus images, once per test module (starting one
    takes well under a second once the images are cached; between modules nothing keeps running)."""
    for program, package in (("dockerd", "docker.io"), ("docker-compose", "docker-compose"),
                             ("debootstrap", "debootstrap")):
        require(which(program) is not None, f"{program} is not installed (apt-get install {package})")
    eng = Engine()
    try:
        eng.start()
    except EngineUnavailable as err:
        # The one skip allowed under CI: the machine cannot run a container engine at all.
        print(f"no Docker engine: {err}", file=sys.stderr)
        pytest.skip(f"no Docker engine could start: {err}")
    started = time.monotonic()
    try:
        eng.ensure_base_image(BASE_IMAGE)
        eng.ensure_standin(PROMETHEUS_IMAGE, PROMETHEUS_STANDIN)
        eng.timings["images ready"] = time.monotonic() - started
        yield eng
    finally:
        eng.stop()
        print("docker harness timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in eng.timings.items()),
              file=sys.stderr)


@pytest.fixture(scope="module")
def stack(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, dict[str, str]]]:
    """compose.yml up on ENGINE with free loopback ports, once per module; (the stack, its base URLs)."""
    ports = {"SERVER_PORT": free_port(), "EXPORTER_PORT": free_port(), "PROMETHEUS_PORT": free_port()}
    urls = {
        "server": f"http://127.0.0.1:{ports['SERVER_PORT']}",
        "exporter": f"http://127.0.0.1:{ports['EXPORTER_PORT']}",
        "prometheus": f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}",
    }
    env = {name: str(port) for name, port in ports.items()}
    with running_stack(engine, "pyexporter-e2e", tmp_path_factory.mktemp("compose"), env) as running:
        try:
            docker_harness.wait_http(f"{urls['server']}/healthz")
            docker_harness.wait_http(f"{urls['exporter']}/-/healthy")
            docker_harness.wait_http(f"{urls['prometheus']}/-/ready")
        except OSError:
            print(running.logs(), file=sys.stderr)
            raise
        yield running, urls
