"""The container collector in the compose stack: the sidecar reports the API container's cgroup.

compose.yml limits the server to half a CPU and 256 MiB without swap, and runs the sidecar (which
shares the server's PID namespace) with `--collector.container --collector.container.name=server`
and the host's cgroup tree mounted read-only, unprivileged and without the Docker socket. On a
private engine (see docker_harness), these tests check that:

- the sidecar's /metrics has cAdvisor's container_* families for the server's cgroup, with the
  `id` the host's /proc/PID/cgroup gives and name="server", and the collector succeeds;
- the limits it reports are compose.yml's (and the engine's, from `docker inspect`), and the
  working set lies between nothing and the limit and follows an allocation;
- its numbers agree with the cgroup's own files read on the host (CPU: the counter lies between
  two host reads taken around the scrape) and with `docker stats` (memory, limit, tasks);
- under `ab` load, Prometheus sees the server's CPU rise to its limit and no further, throttled;
- /alloc past the memory limit ends in an OOM kill that the sidecar counts, while the API lives on.

Missing programs skip locally and fail under CI, as in test_compose.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import require, which
from tests.e2e.docker_harness import REPO, Engine, Stack, http_get, prom_query_range, prom_wait

MIB = 1 << 20
HOST_CGROUPFS = Path("/sys/fs/cgroup")

_SERVER = yaml.safe_load((REPO / "compose.yml").read_text())["services"]["server"]
_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def compose_bytes(text: str) -> int:
    """A compose byte value ("256m", "1g", "512000"): binary units, as Docker reads them."""
    match = re.fullmatch(r"(\d+)\s*([bkmg]?)b?", str(text).strip().lower())
    assert match, f"not a compose byte value: {text!r}"
    return int(match.group(1)) * _UNITS[match.group(2) or "b"]


CPU_LIMIT = float(_SERVER["cpus"])
MEMORY_LIMIT = compose_bytes(_SERVER["mem_limit"])
# What `docker run --cpus` sets: a CFS quota of CPUS periods of 100 ms (the kernel's default period).
CFS_PERIOD_US = 100_000

# The families the collector must report for the server's cgroup on any host; pressure (v2 only)
# and the fs families (only once the cgroup has done block I/O) are not required.
REQUIRED = {
    "container_cpu_usage_seconds_total", "container_cpu_user_seconds_total", "container_cpu_system_seconds_total",
    "container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total",
    "container_cpu_cfs_throttled_seconds_total", "container_memory_usage_bytes",
    "container_memory_working_set_bytes", "container_memory_rss", "container_memory_cache", "container_memory_swap",
    "container_oom_events_total", "container_spec_memory_limit_bytes", "container_spec_cpu_quota",
    "container_spec_cpu_period", "container_spec_cpu_shares", "container_processes", "container_threads",
}


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(exporter: str) -> list[Sample]:
    """The samples of the exporter's text exposition, under the names it sends (prometheus_client's
    parser would rename a counter such as container_memory_failcnt to ..._total)."""
    samples = []
    for line in http_get(f"{exporter}/metrics").decode().splitlines():
        match = _LINE.match(line)
        if match:
            name, labels, value = match.groups()
            samples.append(Sample(name, dict(_LABEL.findall(labels or "")), float(value)))
    return samples


def value_of(samples: list[Sample], name: str, cgroup: str) -> float:
    """The one sample NAME has for the cgroup CGROUP (labelled name="server")."""
    found = [s for s in samples if s.name == name and s.labels.get("id") == cgroup]
    assert len(found) == 1, (name, cgroup, found)
    assert found[0].labels.get("name") == "server", found[0]
    return found[0].value


@dataclass(frozen=True)
class Cgroup:
    """A process's cgroup as the host sees it: cgroup VERSION 1 (PATH in the v1 cpu hierarchy, as
    on this project's hosts) or 2 (the unified hierarchy)."""

    version: int
    path: str

    @classmethod
    def of(cls, pid: int) -> Cgroup:
        unified = None
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "cpu" in controllers.split(","):
                return cls(1, path)
            if controllers == "":
                unified = path
        assert unified is not None, f"/proc/{pid}/cgroup names no cpu hierarchy"
        return cls(2, unified)

    def file(self, controller: str, name: str) -> Path:
        base = HOST_CGROUPFS / controller if self.version == 1 else HOST_CGROUPFS
        return base / self.path.lstrip("/") / name

    def cpu_seconds(self) -> float:
        """The cgroup's CPU time from the kernel: cpuacct.usage (ns) on v1, cpu.stat usage_usec on v2."""
        if self.version == 1:
            return int(self.file("cpuacct", "cpuacct.usage").read_text()) / 1e9
        stat = dict(line.split() for line in self.file("", "cpu.stat").read_text().splitlines())
        return int(stat["usage_usec"]) / 1e6

    def oom_kills(self) -> int | None:
        """oom_kill from memory.oom_control (v1) or memory.events (v2); None where the kernel has none
        (before Linux 4.13 on v1)."""
        path = self.file("memory", "memory.oom_control") if self.version == 1 else self.file("", "memory.events")
        fields = dict(line.split() for line in path.read_text().splitlines())
        return int(fields["oom_kill"]) if "oom_kill" in fields else None


@dataclass(frozen=True)
class Server:
    cgroup: Cgroup
    container: str
    sidecar_cgroup: Cgroup
    urls: dict[str, str]


@pytest.fixture(scope="module")
def server(stack: tuple[Stack, dict[str, str]]) -> Server:
    running, urls = stack
    return Server(Cgroup.of(running.host_pid("server")), running.container("server"),
                  Cgroup.of(running.host_pid("pyexporter")), urls)


def wait_for(check: Callable[[], bool], timeout: float = 15.0, interval: float = 0.3) -> bool:
    """Whether CHECK answers true within TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(interval)


_DOCKER_SIZE = re.compile(r"([\d.]+)\s*([KMGTP]?i?B)")
_DOCKER_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50}


def docker_size(text: str) -> float:
    """A size as `docker stats` prints it (go-units' BytesSize: "23.82MiB", 4 significant digits)."""
    match = _DOCKER_SIZE.fullmatch(text.strip())
    assert match, f"not a docker stats size: {text!r}"
    return float(match.group(1)) * _DOCKER_UNITS[match.group(2)]


# ---------------------------------------------------------------------------------------------


def test_sidecar_reports_the_servers_cgroup(server: Server) -> None:
    samples = scrape(server.urls["exporter"])
    success = [s.value for s in samples
               if s.name == "node_scrape_collector_success" and s.labels == {"collector": "container"}]
    assert success == [1.0], success
    named = [s for s in samples if s.name.startswith("container_") and s.labels.get("name") == "server"]
    # name="server" goes to the server's cgroup alone, with the path the host gives it as its id
    # (on a cgroup v1 host under Docker's cgroupfs driver, /docker/<64 hex>).
    assert {s.labels["id"] for s in named} == {server.cgroup.path}, {s.labels["id"] for s in named}
    required = REQUIRED | ({"container_memory_failcnt"} if server.cgroup.version == 1 else set())
    assert required <= {s.name for s in named}, sorted(required - {s.name for s in named})
    assert all(s.labels.keys() >= {"id", "name"} for s in samples if s.name.startswith("container_"))
    usage = [s for s in named if s.name == "container_cpu_usage_seconds_total"]
    assert [s.labels for s in usage] == [{"cpu": "total", "id": server.cgroup.path, "name": "server"}], usage
    assert all("device" in s.labels for s in samples if s.name.startswith("container_fs_"))
    # The sidecar's own cgroup is not the server's, and is never named after it.
    assert server.sidecar_cgroup.path != server.cgroup.path
    assert not [s for s in named if s.labels["id"] == server.sidecar_cgroup.path]


def test_sidecar_reads_cgroups_unprivileged(engine: Engine, stack: tuple[Stack, dict[str, str]]) -> None:
    """What the sidecar reported above, it read as nobody, with no capabilities, a read-only root and
    the host's cgroup tree mounted read-only, without the Docker socket."""
    running, _ = stack
    container = running.container("pyexporter")
    inspect = json.loads(engine.docker("inspect", container).stdout)[0]
    assert inspect["HostConfig"]["ReadonlyRootfs"] is True and inspect["HostConfig"]["Privileged"] is False
    assert inspect["HostConfig"]["CapDrop"] == ["ALL"] and not inspect["HostConfig"]["CapAdd"]
    mounts = {m["Destination"]: m for m in inspect["Mounts"]}
    assert mounts["/host/sys/fs/cgroup"]["Source"] == "/sys/fs/cgroup" and mounts["/host/sys/fs/cgroup"]["RW"] is False
    assert not [m for m in inspect["Mounts"] if "docker.sock" in m["Source"]], inspect["Mounts"]
    status = Path(f"/proc/{running.host_pid('pyexporter')}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines())
    assert fields["Uid"].split()[:2] == ["65534", "65534"], fields["Uid"]
    assert int(fields["CapEff"], 16) == 0 and int(fields["CapPrm"], 16) == 0, (fields["CapEff"], fields["CapPrm"])
    assert fields["NoNewPrivs"].strip() == "1"


def test_limits_are_the_compose_files(engine: Engine, server: Server) -> None:
    samples = scrape(server.urls["exporter"])
    quota = value_of(samples, "container_spec_cpu_quota", server.cgroup.path)
    period = value_of(samples, "container_spec_cpu_period", server.cgroup.path)
    assert (quota, period) == (CPU_LIMIT * CFS_PERIOD_US, CFS_PERIOD_US)
    assert quota / period == CPU_LIMIT
    assert value_of(samples, "container_spec_memory_limit_bytes", server.cgroup.path) == MEMORY_LIMIT
    assert value_of(samples, "container_spec_cpu_shares", server.cgroup.path) > 0
    # The engine applied what compose.yml asked for.
    inspect = engine.docker("inspect", "--format", "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}",
                            server.container).stdout.decode().split()
    assert [int(v) for v in inspect] == [int(CPU_LIMIT * 1e9), MEMORY_LIMIT], inspect
    working_set = value_of(samples, "container_memory_working_set_bytes", server.cgroup.path)
    assert 0 < working_set < MEMORY_LIMIT
    assert working_set <= value_of(samples, "container_memory_usage_bytes", server.cgroup.path)
    assert value_of(samples, "container_processes", server.cgroup.path) >= 1


def test_numbers_agree_with_the_host_and_docker_stats(engine: Engine, server: Server) -> None:
    # CPU: the exporter's counter was read between these two reads of the kernel's own counter.
    before = server.cgroup.cpu_seconds()
    samples = scrape(server.urls["exporter"])
    after = server.cgroup.cpu_seconds()
    usage = value_of(samples, "container_cpu_usage_seconds_total", server.cgroup.path)
    assert before > 0
    # 1 µs for the round trip through a float of seconds (and v2's microsecond counter).
    assert before - 1e-6 <= usage <= after + 1e-6, (before, usage, after)
    user = value_of(samples, "container_cpu_user_seconds_total", server.cgroup.path)
    system = value_of(samples, "container_cpu_system_seconds_total", server.cgroup.path)
    assert user >= 0 and system >= 0

    # Memory: `docker stats` (this engine's CLI, 20.10 and later) shows the cgroup's usage less its
    # inactive file pages (total_inactive_file on v1, inactive_file on v2), which is cAdvisor's
    # working set. The idle server's memory moves by a few pages between the daemon's read and the
    # exporter's, and the CLI prints 4 significant digits (0.05 %): 1 % and 256 KiB cover both.
    stats = json.loads(engine.docker("stats", "--no-stream", "--format", "{{json .}}",
                                     server.container).stdout.decode())
    later = scrape(server.urls["exporter"])
    used, limit = (docker_size(part) for part in stats["MemUsage"].split("/"))
    assert limit == MEMORY_LIMIT, stats
    working = [value_of(s, "container_memory_working_set_bytes", server.cgroup.path) for s in (samples, later)]
    tolerance = 0.01 * used + 256 * 1024
    assert min(working) - tolerance <= used <= max(working) + tolerance, (stats["MemUsage"], working)
    # docker stats's PIDs is the pids controller's count of tasks, which are threads.
    threads = [value_of(s, "container_threads", server.cgroup.path) for s in (samples, later)]
    assert int(stats["PIDs"]) in threads, (stats["PIDs"], threads)


def test_working_set_follows_an_allocation(server: Server) -> None:
    exporter = server.urls["exporter"]
    baseline = value_of(scrape(exporter), "container_memory_working_set_bytes", server.cgroup.path)
    held_mb = 96
    answers: list[bytes] = []
    # /alloc holds the memory in a child process for 4 s; the scrapes meanwhile see it.
    request = threading.Thread(target=lambda: answers.append(
        http_get(f"{server.urls['server']}/alloc?mb={held_mb}&ms=4000", timeout=60)))
    request.start()
    try:
        grown = wait_for(lambda: value_of(scrape(exporter), "container_memory_working_set_bytes",
                                          server.cgroup.path) >= baseline + held_mb * MIB, timeout=10)
    finally:
        request.join(timeout=60)
    assert grown, f"the working set never grew by {held_mb} MiB from {baseline / MIB:.1f} MiB"
    assert answers and json.loads(answers[0]) == {"mb": held_mb, "ms": 4000, "killed": False}, answers


def test_cpu_under_load_rises_to_the_limit_and_no_further(server: Server) -> None:
    ab = which("ab")
    require(ab is not None, "ab is not installed (apt-get install apache2-utils)")
    base = server.urls["prometheus"]
    selector = f'{{name="server", id="{server.cgroup.path}"}}'
    # Enough history for a 5 s rate before the load.
    assert prom_wait(base, f"count_over_time(container_cpu_usage_seconds_total{selector}[8s]) >= 6",
                     timeout=60), "Prometheus has too few scrapes of the server's cgroup"
    counters = ("container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total",
                "container_cpu_cfs_throttled_seconds_total")
    first = scrape(server.urls["exporter"])
    host_first, clock_first = server.cgroup.cpu_seconds(), time.monotonic()
    start = time.time()
    # Five clients on 40 ms requests want a whole CPU of the server's event loop: twice its limit.
    result = subprocess.run([ab, "-q", "-c", "5", "-t", "15", f"{server.urls['server']}/work?ms=40"],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    assert int(re.search(r"Complete requests:\s+(\d+)", result.stdout).group(1)) >= 20, result.stdout
    host_cpu = (server.cgroup.cpu_seconds() - host_first) / (time.monotonic() - clock_first)
    # Let the last scrapes of the load land.
    time.sleep(3)
    end = time.time()
    last = scrape(server.urls["exporter"])

    rates = prom_query_range(base, f"rate(container_cpu_usage_seconds_total{selector}[5s])", start, end)
    assert rates, "no rate of container_cpu_usage_seconds_total in Prometheus"
    values = [float(v) for _, v in rates[0]["values"]]
    peak = max(values)
    # The quota holds the server to 50 ms per 100 ms period. A 5 s rate over 1 s scrapes spans
    # about 4 s between its first and last sample; each sample may fall anywhere within a period's
    # 50 ms of running, so the span's CPU is off by at most one period's quota (50 ms in 4 s: 2.5 %
    # of the limit), and Prometheus stamps a scrape when it starts, some milliseconds before the
    # collector reads the counter (under 1 %). 10 % above the limit is three times both.
    assert 0.35 < peak < CPU_LIMIT * 1.10, values
    # The kernel's own counter agrees: no more than the limit on average over the load, give or take
    # one period's quota (the server may spend a whole 50 ms at either end of the ~15 s measured:
    # 0.7 %); 2 % is three times that.
    assert host_cpu <= CPU_LIMIT * 1.02, host_cpu

    periods, throttled, throttled_s = (value_of(last, name, server.cgroup.path)
                                       - value_of(first, name, server.cgroup.path) for name in counters)
    # Wanting twice its quota, the server runs out of it in almost every period it runs in (153 of
    # 155 on an idle 2-CPU host); on a host busy with other work it may not get the CPU to reach its
    # quota in many periods, so a tenth is all this asks.
    assert periods >= 50 and throttled >= 0.1 * periods, (periods, throttled)
    assert throttled_s > 0
    print(f"server CPU: peak rate {peak:.3f} (limit {CPU_LIMIT}), {host_cpu:.3f} on average from cpuacct; "
          f"{throttled:.0f} of {periods:.0f} periods throttled, {throttled_s:.1f} s")


def test_alloc_past_the_limit_counts_an_oom_kill(engine: Engine, server: Server) -> None:
    kills_before = server.cgroup.oom_kills()
    if kills_before is None:
        pytest.skip("this kernel does not count OOM kills per memory cgroup (oom_kill needs Linux >= 4.13)")
    exporter = server.urls["exporter"]
    reported_before = value_of(scrape(exporter), "container_oom_events_total", server.cgroup.path)
    assert reported_before == kills_before
    mb = MEMORY_LIMIT // MIB + 64
    answer = json.loads(http_get(f"{server.urls['server']}/alloc?mb={mb}", timeout=120))
    # The kernel killed the allocating child, not the API: it answers, and its container still runs.
    assert answer == {"mb": mb, "ms": 0, "killed": True}, answer
    assert http_get(f"{server.urls['server']}/healthz") == b"ok\n"
    state = json.loads(engine.docker("inspect", "--format", "{{json .State}}", server.container).stdout)
    assert state["Running"] and state["Pid"] > 0, state
    kills = server.cgroup.oom_kills()
    assert kills is not None and kills >= kills_before + 1, (kills_before, kills)
    # The collector reads the count at each scrape.
    reported = value_of(scrape(exporter), "container_oom_events_total", server.cgroup.path)
    assert reported == kills, (reported, kills)
    assert prom_wait(server.urls["prometheus"],
                     f'container_oom_events_total{{name="server", id="{server.cgroup.path}"}} >= {kills}'), \
        "Prometheus never saw the OOM kill"
