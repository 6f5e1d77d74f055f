"""The container collector on this machine's real cgroups, scraped over HTTP from a running server.

The test makes its own cgroup in each v1 controller it needs (the machines run cgroup v1, with cpu
and cpuacct mounted apart), gives it a CPU quota and a memory limit, and puts a busy process in
it: the exporter must find the cgroup through that process, report its limits, CPU use held at
the quota with throttled periods growing, and an OOM kill when a process allocates past the
limit. Needs root and a writable cgroup v1 hierarchy: it skips without them, except under CI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import require

CGROUPFS = Path("/sys/fs/cgroup")
CONTROLLERS = ("cpu", "cpuacct", "memory", "pids")
QUOTA_US, PERIOD_US = 20000, 100000  # 0.2 CPU
MEMORY_LIMIT = 64 * 1024 * 1024


def _v1_writable() -> str | None:
    """Why this machine cannot run the test, or None."""
    if os.geteuid() != 0:
        return "needs root to make cgroups"
    if (CGROUPFS / "cgroup.controllers").exists():
        return "this host runs cgroup v2; the v1 live test does not apply (v2 is covered by fixtures)"
    missing = [c for c in CONTROLLERS if not (CGROUPFS / c / "cgroup.procs").exists()]
    if missing:
        return f"cgroup v1 controllers not mounted: {missing}"
    return None


@pytest.fixture
def cgroup() -> Iterator[tuple[str, Callable[[list[str]], subprocess.Popen[bytes]]]]:
    """A fresh cgroup in each controller; yields its id and a starter of processes inside it."""
    reason = _v1_writable()
    require(reason is None, reason or "")
    name = f"pyexporter-live-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    dirs = [CGROUPFS / c / name for c in CONTROLLERS]
    procs: list[subprocess.Popen[bytes]] = []
    for directory in dirs:
        directory.mkdir()
    try:
        (CGROUPFS / "cpu" / name / "cpu.cfs_period_us").write_text(f"{PERIOD_US}\n")
        (CGROUPFS / "cpu" / name / "cpu.cfs_quota_us").write_text(f"{QUOTA_US}\n")
        (CGROUPFS / "memory" / name / "memory.limit_in_bytes").write_text(f"{MEMORY_LIMIT}\n")
        # No swap to escape to, where the kernel accounts swap.
        swappiness = CGROUPFS / "memory" / name / "memory.swappiness"
        if swappiness.exists():
            swappiness.write_text("0\n")

        def start(argv: list[str]) -> subprocess.Popen[bytes]:
            # The child joins the cgroup before it execs, so everything it runs is counted there.
            script = "; ".join(f"echo $$ > {d}/cgroup.procs" for d in dirs) + '; exec "$@"'
            proc = subprocess.Popen(["sh", "-c", script, "sh", *argv])
            procs.append(proc)
            return proc

        yield f"/{name}", start
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        for directory in dirs:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def _scrape(base: str, cgroup_id: str) -> dict[str, float]:
    text = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
    assert 'node_scrape_collector_success{collector="container"} 1' in text, text[-2000:]
    values: dict[str, float] = {}
    for match in re.finditer(r'^(container_\w+)\{([^}]*)\} (\S+)$', text, re.MULTILINE):
        if f'id="{cgroup_id}"' in match.group(2):
            values[match.group(1)] = float(match.group(3))
    return values


def _wait_for(base: str, cgroup_id: str, family: str, timeout: float = 20.0) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        values = _scrape(base, cgroup_id)
        if family in values or time.monotonic() > deadline:
            return values
        time.sleep(0.2)


def test_busy_cgroup_is_held_at_its_quota(cgroup, run_pyexporter) -> None:
    cgroup_id, start = cgroup
    busy = start([sys.executable, "-c", "while True: pass"])
    base, _ = run_pyexporter("--collector.disable-defaults", "--collector.container",
                             "--collector.container.name=.*pyexporter-live-.*=busy")
    first = _wait_for(base, cgroup_id, "container_cpu_usage_seconds_total")
    assert first, f"cgroup {cgroup_id} not reported"
    assert first["container_spec_cpu_quota"] == QUOTA_US
    assert first["container_spec_cpu_period"] == PERIOD_US
    assert first["container_spec_memory_limit_bytes"] == MEMORY_LIMIT
    assert first["container_processes"] == 1
    assert first["container_threads"] == 1
    assert 0 < first["container_memory_working_set_bytes"] < MEMORY_LIMIT
    t0 = time.monotonic()
    time.sleep(3)
    second = _scrape(base, cgroup_id)
    elapsed = time.monotonic() - t0
    rate = (second["container_cpu_usage_seconds_total"] - first["container_cpu_usage_seconds_total"]) / elapsed
    # A spinning process would use a whole CPU; the quota holds it at 0.2. The bound allows for one
    # period's burst at either end of the window and scrape timing.
    assert 0.1 < rate < 0.2 + 0.05, rate
    throttled = second["container_cpu_cfs_throttled_periods_total"] - first["container_cpu_cfs_throttled_periods_total"]
    periods = second["container_cpu_cfs_periods_total"] - first["container_cpu_cfs_periods_total"]
    assert throttled > 0.5 * periods > 0, (throttled, periods)
    assert second["container_cpu_cfs_throttled_seconds_total"] > first["container_cpu_cfs_throttled_seconds_total"]
    assert busy.poll() is None


def test_allocation_past_the_limit_counts_an_oom_kill(cgroup, run_pyexporter) -> None:
    cgroup_id, start = cgroup
    oom_control = (CGROUPFS / "memory" / cgroup_id.lstrip("/") / "memory.oom_control").read_text()
    require("oom_kill " in oom_control, "this kernel's memory.oom_control has no oom_kill count (Linux < 4.13)")
    idle = start(["sleep", "600"])
    base, _ = run_pyexporter("--collector.disable-defaults", "--collector.container")
    before = _wait_for(base, cgroup_id, "container_oom_events_total")
    assert before.get("container_oom_events_total") == 0, before
    hog = start([sys.executable, "-c", "b = bytearray(256 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1"])
    assert hog.wait(timeout=60) != 0  # killed
    after = _scrape(base, cgroup_id)
    assert after["container_oom_events_total"] >= 1, after
    assert after["container_memory_failcnt"] > 0
    assert idle.poll() is None  # the OOM killer took the hog, not the idle process
