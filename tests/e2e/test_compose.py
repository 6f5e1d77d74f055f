"""The compose stack (demo API + pyexporter sidecar + Prometheus) on a real Docker engine.

Everything is built from the project's own Dockerfiles on a private engine (see docker_harness):
the API answers, the sidecar reports the API's processes through namedprocess, Prometheus scrapes
the sidecar, and a load run against the API shows in Prometheus as a CPU peak. The exporter image
also runs read-only as an unprivileged user, and the Go variant of the API replaces the Python one.

Missing programs skip locally and fail under CI; an engine that cannot start (no root, no
privileges for namespaces or overlayfs) is the one reason these tests skip even under CI.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import GO_IMAGE, free_port, require, which
from tests.e2e.docker_harness import (
    GO_STANDIN,
    REPO,
    Engine,
    Stack,
    http_get,
    prom_query,
    prom_query_range,
    prom_wait,
    running_stack,
    wait_http,
)

NOT_IDLE = 'sum(rate(node_cpu_seconds_total{mode!="idle"}[3s]))'


def test_prometheus_config_is_valid() -> None:
    promtool = which("promtool")
    require(promtool is not None, "promtool is not installed (apt-get install prometheus)")
    result = subprocess.run([promtool, "check", "config", str(REPO / "prometheus.yml")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pyexporter:9100" in (REPO / "prometheus.yml").read_text()


@pytest.mark.parametrize(("variant", "context"), [(None, "docker/demo-api"), ("demo-api-go", "docker/demo-api-go")])
def test_compose_file_renders(variant: str | None, context: str, tmp_path: Path) -> None:
    """compose.yml is valid for docker-compose 1.29, and DEMO_API picks the API's build context."""
    require(which("docker-compose") is not None, "docker-compose is not installed (apt-get install docker-compose)")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if variant:
        env["DEMO_API"] = variant
    result = subprocess.run(["docker-compose", "-f", str(REPO / "compose.yml"), "config"], capture_output=True,
                            text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert f"context: {REPO / context}\n" in result.stdout
    assert "pid: service:server" in result.stdout
    assert re.findall(r"- (127\.0\.0\.1:\d+:\d+)/tcp", result.stdout) == [
        "127.0.0.1:9090:9090", "127.0.0.1:9100:9100", "127.0.0.1:8888:8888"]
    services = yaml.safe_load(result.stdout)["services"]
    # The limits the container collector shows: half a CPU, 256 MiB and no swap beyond it.
    server = services["server"]
    assert (server["cpus"], server["mem_limit"], server["memswap_limit"]) == (0.5, "256m", "256m"), server
    # The sidecar reads the host's cgroup tree read-only, and stays unprivileged without the Docker socket.
    sidecar = services["pyexporter"]
    assert {"--collector.container", "--path.cgroupfs=/host/sys/fs/cgroup",
            "--collector.container.name=server"} <= set(sidecar["command"]), sidecar["command"]
    assert sidecar["volumes"] == ["/sys/fs/cgroup:/host/sys/fs/cgroup:ro"], sidecar["volumes"]
    assert sidecar["read_only"] is True and sidecar["cap_drop"] == ["ALL"], sidecar
    assert sidecar["security_opt"] == ["no-new-privileges:true"] and "user" not in sidecar, sidecar
    assert "docker.sock" not in result.stdout and "privileged" not in sidecar


# -- on the engine (the `engine` and `stack` fixtures are in conftest.py) -------------------------


def namedprocess_groups(metrics: str, family: str = "namedprocess_namegroup_num_procs") -> dict[str, float]:
    pattern = re.compile(rf'^{family}\{{groupname="([^"]*)"\}} (\S+)$', re.MULTILINE)
    return {name: float(value) for name, value in pattern.findall(metrics)}


def test_demo_api_answers(stack: tuple[Stack, dict[str, str]]) -> None:
    _, urls = stack
    assert json.loads(http_get(f"{urls['server']}/helloWorld")) == {"message": "Hello World!"}
    assert http_get(f"{urls['server']}/healthz") == b"ok\n"


def test_sidecar_reports_the_servers_process_group(stack: tuple[Stack, dict[str, str]]) -> None:
    running, urls = stack
    comm = Path(f"/proc/{running.host_pid('server')}/comm").read_text().strip()
    metrics = http_get(f"{urls['exporter']}/metrics").decode()
    groups = namedprocess_groups(metrics)
    own = Path(f"/proc/{running.host_pid('pyexporter')}/comm").read_text().strip()
    # The sidecar shares the server's PID namespace: it sees the server and itself, nothing of the host.
    assert groups.get(comm, 0) >= 1, (comm, groups)
    assert groups.get(own, 0) >= 1, (own, groups)
    assert set(groups) <= {comm, own}, groups
    assert 'node_scrape_collector_success{collector="namedprocess"} 1.0' in metrics


def test_prometheus_scrapes_the_sidecar(stack: tuple[Stack, dict[str, str]]) -> None:
    _, urls = stack
    up = prom_wait(urls["prometheus"], 'up{job="pyexporter"} == 1')
    assert up and up[0]["metric"]["instance"] == "pyexporter:9100", up
    assert prom_wait(urls["prometheus"], "namedprocess_namegroup_num_procs"), "no namedprocess series in Prometheus"


def test_load_shows_as_a_cpu_peak_in_prometheus(stack: tuple[Stack, dict[str, str]]) -> None:
    running, urls = stack
    ab = which("ab")
    require(ab is not None, "ab is not installed (apt-get install apache2-utils)")
    base = urls["prometheus"]
    comm = Path(f"/proc/{running.host_pid('server')}/comm").read_text().strip()
    # A few seconds of quiet history to compare against.
    assert prom_wait(base, 'count_over_time(up{job="pyexporter"}[8s]) >= 6', timeout=60), "too few scrapes"
    quiet_end = time.time()
    # Up to 8 s of CPU on the server's single event loop, which its CPU limit (compose.yml: cpus 0.5)
    # spreads over ab's whole 15 s: ab's own clock bounds the run (-t before -n).
    result = subprocess.run([ab, "-q", "-t", "15", "-n", "200", "-c", "2", f"{urls['server']}/work?ms=40"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    complete = int(re.search(r"Complete requests:\s+(\d+)", result.stdout).group(1))
    # ab counts a body whose length differs from the first one's as failed; the iteration count varies.
    errors = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)", result.stdout)
    assert complete >= 20 and "Non-2xx" not in result.stdout, result.stdout
    assert errors is None or errors.groups() == ("0", "0", "0"), result.stdout
    # Let the last scrapes of the load land.
    time.sleep(3)
    end = time.time()

    node = prom_query_range(base, NOT_IDLE, quiet_end - 6, end)
    assert node, "no node_cpu_seconds_total rate"
    values = [(float(t), float(v)) for t, v in node[0]["values"]]
    before = min(v for t, v in values if t <= quiet_end)
    peak = max(v for t, v in values if t > quiet_end)
    # The server burns half a core, its limit, for several seconds.
    assert peak - before > 0.3, values

    group = prom_query_range(
        base, f'sum(rate(namedprocess_namegroup_cpu_seconds_total{{groupname="{comm}"}}[3s]))', quiet_end, end)
    assert group, f"no namedprocess CPU for group {comm}"
    group_peak = max(float(v) for _, v in group[0]["values"])
    assert group_peak > 0.3, group[0]["values"]
    print(f"non-idle CPU: {before:.2f} before the load, {peak:.2f} at its peak; {comm} peak {group_peak:.2f}")
    assert float(prom_query(base, 'min_over_time(up{job="pyexporter"}[30s])')[0]["value"][1]) == 1.0


def test_exporter_image_runs_read_only_and_unprivileged(engine: Engine, stack: tuple[Stack, dict[str, str]]) -> None:
    running, _ = stack
    # The image compose built from docker/Dockerfile for the sidecar.
    image = engine.docker("inspect", "--format", "{{.Image}}", running.container("pyexporter")).stdout.decode().strip()
    assert engine.docker("image", "inspect", "--format", "{{.Config.User}}", image).stdout.decode().strip() != ""
    # The image's own user, then an arbitrary uid with no passwd entry; both on a read-only root.
    for user_args, expected_uid in (((), 65534), (("--user", "4242:4242"), 4242)):
        port = free_port()
        name = f"pyexporter-e2e-ro-{port}"
        engine.docker("run", "-d", "--rm", "--name", name, "--read-only", "--cap-drop=ALL",
                      "--security-opt=no-new-privileges", "--network=host", *user_args, image,
                      f"--web.listen-address=127.0.0.1:{port}")
        try:
            metrics = wait_http(f"http://127.0.0.1:{port}/metrics", timeout=60).decode()
            assert "node_cpu_seconds_total{" in metrics
            assert "pyexporter_build_info{" in metrics
            pid = engine.docker("inspect", "--format", "{{.State.Pid}}", name).stdout.decode().strip()
            status = Path(f"/proc/{pid}/status").read_text()
            uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.MULTILINE)
            assert (int(uids.group(1)), int(uids.group(2))) == (expected_uid, expected_uid), status
            # It wrote nothing: a read-only root would have made any write fail loudly in the log.
            logs = engine.docker("logs", name).stderr.decode()
            assert "Read-only file system" not in logs and "Traceback" not in logs, logs
        finally:
            engine.docker("rm", "-f", name, check=False, timeout=60)


def test_go_demo_api_in_the_stack(engine: Engine, tmp_path: Path) -> None:
    """DEMO_API=demo-api-go builds docker/demo-api-go; the sidecar then sees the Go server."""
    engine.ensure_standin(GO_IMAGE, GO_STANDIN)
    ports = {"SERVER_PORT": free_port(), "EXPORTER_PORT": free_port(), "PROMETHEUS_PORT": free_port()}
    env = {"DEMO_API": "demo-api-go", **{name: str(port) for name, port in ports.items()}}
    with running_stack(engine, "pyexporter-e2e-go", tmp_path, env, "pyexporter") as running:
        server = f"http://127.0.0.1:{ports['SERVER_PORT']}"
        assert json.loads(wait_http(f"{server}/helloWorld")) == {"message": "Hello World!"}
        assert json.loads(http_get(f"{server}/work?ms=5"))["ms"] == 5
        # /alloc as in app.py: a child allocates; past the server's 256 MiB, the OOM killer takes the child only.
        assert json.loads(http_get(f"{server}/alloc?mb=8")) == {"mb": 8, "ms": 0, "killed": False}
        assert json.loads(http_get(f"{server}/alloc?mb=320", timeout=120)) == {"mb": 320, "ms": 0, "killed": True}
        assert http_get(f"{server}/healthz") == b"ok\n"
        comm = Path(f"/proc/{running.host_pid('server')}/comm").read_text().strip()
        assert comm == "demo-api"
        metrics = wait_http(f"http://127.0.0.1:{ports['EXPORTER_PORT']}/metrics").decode()
        assert namedprocess_groups(metrics).get("demo-api", 0) >= 1, namedprocess_groups(metrics)
