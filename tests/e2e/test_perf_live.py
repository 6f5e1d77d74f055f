"""The perf collector on the real kernel of this host, and side by side with Debian's
node_exporter 1.5.0 (`--collector.perf`).

What the kernel allows decides what is reported, as in node_exporter (NewPerfCollector over
perf-utils skips every event perf_event_open refuses): cpu-wide events need root (or
CAP_PERFMON) unless kernel.perf_event_paranoid is 0 or less; hardware and cache events need a PMU,
which a VM often lacks (no /sys/bus/event_source/devices/cpu: every such event is ENOENT).
Tracepoints need tracefs; the tests mount it in a private mount namespace (unshare -m), so the
host's mounts are left alone.
"""

from __future__ import annotations

import mmap
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from pyexporter.collectors import load_all, perf
from pyexporter.paths import Paths
from tests.e2e.conftest import ROOT, free_port, pyexporter_cmd, require, wait_http, which

SOFTWARE = {e.family for e in perf.SOFTWARE_EVENTS}
HARDWARE = {e.family for e in perf.HARDWARE_EVENTS} | {e.family for e in perf.CACHE_EVENTS}
# The PMU devices perf registers for the CPU's hardware counters on x86, arm64 and hybrid Intel.
PMU_DEVICES = ("cpu", "cpu_core", "cpu_atom", "armv8_pmuv3", "armv8_pmuv3_0")


def _paranoid() -> int | None:
    try:
        with open("/proc/sys/kernel/perf_event_paranoid") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return None


def _allowed() -> None:
    paranoid = _paranoid()
    require(paranoid is not None, "no /proc/sys/kernel/perf_event_paranoid: the kernel has no perf events")
    require(os.geteuid() == 0 or (paranoid is not None and paranoid <= 0),
            f"cpu-wide perf events need root or kernel.perf_event_paranoid <= 0 (it is {paranoid})")


def _has_pmu() -> bool:
    return any(os.path.isdir(f"/sys/bus/event_source/devices/{name}") for name in PMU_DEVICES)


def _totals(families: list[Metric]) -> dict[str, float]:
    """{family exposition name: sum over CPUs}."""
    return {f.name + "_total": sum(s.value for s in f.samples) for f in families if f.type == "counter"}


@pytest.fixture
def collector() -> Iterator[perf.PerfCollector]:
    _allowed()
    built = load_all()["perf"].build(Paths())
    assert isinstance(built, perf.PerfCollector)
    yield built
    built.close()


def _fault_pages(pages: int) -> None:
    """Touch PAGES fresh anonymous pages, one minor fault each (huge pages refused)."""
    size = pages * mmap.PAGESIZE
    area = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        if hasattr(mmap, "MADV_NOHUGEPAGE"):
            area.madvise(mmap.MADV_NOHUGEPAGE)
        for offset in range(0, size, mmap.PAGESIZE):
            area[offset] = 1
    finally:
        area.close()


def _switch_contexts(times: int) -> None:
    """Two threads handing a token back and forth: every hand-over blocks one of them."""
    ping, pong = threading.Event(), threading.Event()

    def other() -> None:
        for _ in range(times):
            ping.wait()
            ping.clear()
            pong.set()

    thread = threading.Thread(target=other)
    thread.start()
    for _ in range(times):
        ping.set()
        pong.wait()
        pong.clear()
    thread.join()


def test_software_counters_increase_while_we_work(collector: perf.PerfCollector) -> None:
    before = _totals(list(collector.collect()))
    assert SOFTWARE <= set(before), sorted(before)
    _fault_pages(4096)
    _switch_contexts(300)
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:  # some CPU time, for the scheduler to move us about
        sum(range(10000))
    after = _totals(list(collector.collect()))
    # Counted on every CPU for every task: at least what this test did.
    assert after["node_perf_page_faults_total"] - before["node_perf_page_faults_total"] >= 4096
    assert after["node_perf_minor_faults_total"] - before["node_perf_minor_faults_total"] >= 4096
    assert after["node_perf_context_switches_total"] - before["node_perf_context_switches_total"] >= 300
    for name in SOFTWARE:
        assert after[name] >= before[name], name
    # Labelled by every CPU of the affinity mask, counted from 0 as runtime.NumCPU is.
    cpus = {s.labels["cpu"] for f in collector.collect() for s in f.samples}
    assert cpus == {str(cpu) for cpu in range(len(os.sched_getaffinity(0)))}


def test_hardware_counters_as_the_host_allows(collector: perf.PerfCollector) -> None:
    names = {f.name + "_total" for f in collector.collect()}
    if _has_pmu():
        # At least the architectural events (cycles, instructions) count on a real PMU.
        assert {"node_perf_cpucycles_total", "node_perf_instructions_total"} <= names
    else:
        # No PMU (this VM): every hardware and cache event is refused at start-up, left out,
        # and the scrapes succeed, as NewPerfCollector and Update do.
        assert not names & HARDWARE, sorted(names & HARDWARE)
        assert SOFTWARE <= names


def test_close_releases_the_descriptors() -> None:
    _allowed()
    before = len(os.listdir("/proc/self/fd"))
    built = load_all()["perf"].build(Paths())
    assert len(os.listdir("/proc/self/fd")) > before
    assert isinstance(built, perf.PerfCollector)
    built.close()
    assert len(os.listdir("/proc/self/fd")) == before


def _scrape(url: str) -> dict[str, tuple[str, str, frozenset[frozenset[tuple[str, str]]]]]:
    """{family: (type, HELP, label sets)} of the node_perf families at URL."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        text = resp.read().decode()
    return _families(text)


def _families(text: str) -> dict[str, tuple[str, str, frozenset[frozenset[tuple[str, str]]]]]:
    found = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith("node_perf_"):
            found[family.name] = (family.type, family.documentation,
                                  frozenset(frozenset(s.labels.items()) for s in family.samples))
    return found


@pytest.fixture
def reference() -> Iterator[tuple[str, ...]]:
    binary = which("prometheus-node-exporter")
    require(binary is not None, "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)")
    assert binary is not None
    yield (binary,)


def _serve(cmd: list[str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        wait_http(url)
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    return proc


def test_same_families_as_node_exporter_1_5_0(reference: tuple[str, ...]) -> None:
    _allowed()
    ref_port, py_port = free_port(), free_port()
    flags = ["--collector.disable-defaults", "--collector.perf"]
    ref = _serve([*reference, *flags, f"--web.listen-address=127.0.0.1:{ref_port}"],
                 f"http://127.0.0.1:{ref_port}/metrics")
    try:
        py = _serve(pyexporter_cmd(*flags, f"--web.listen-address=127.0.0.1:{py_port}"),
                    f"http://127.0.0.1:{py_port}/-/healthy")
        try:
            theirs = _scrape(f"http://127.0.0.1:{ref_port}/metrics")
            ours = _scrape(f"http://127.0.0.1:{py_port}/metrics")
        finally:
            py.terminate()
            py.wait(timeout=20)
    finally:
        ref.terminate()
        ref.wait(timeout=20)
    # Names, types, HELP texts and label sets alike; the values are counts since each exporter
    # opened its events, so they differ.
    assert ours == theirs
    assert {name.removesuffix("_total") for name in SOFTWARE} <= set(ours)


def _unshare() -> str:
    unshare = shutil.which("unshare")
    require(unshare is not None, "unshare (util-linux) is not installed")
    require(os.geteuid() == 0, "mounting tracefs in a private mount namespace needs root")
    assert unshare is not None
    return unshare


def test_tracepoints_in_a_private_mount_namespace() -> None:
    _allowed()
    unshare = _unshare()
    script = ("mount -t tracefs nodev /sys/kernel/tracing && exec \"$@\"")
    cmd = [unshare, "--mount", "sh", "-c", script, "sh", *pyexporter_cmd(
        "--once", "--collector.disable-defaults", "--collector.perf", "--collector.perf.disable-software-profilers",
        "--collector.perf.tracepoint=sched:sched_switch", "--collector.perf.tracepoint=syscalls:sys_enter_read")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT)
    if done.returncode != 0 and "mount" in done.stderr:
        require(False, f"cannot mount tracefs here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    families = _families(done.stdout)
    switch = families["node_perf_sched_sched_switch"]
    assert switch[:2] == ("counter", "Perf tracepoint sched:sched_switch")
    assert {dict(labels)["cpu"] for labels in switch[2]} == {str(c) for c in range(len(os.sched_getaffinity(0)))}
    assert "node_perf_syscalls_sys_enter_read" in families
    assert 'node_perf_sched_sched_switch{cpu="0"}' in done.stdout  # no _total, as node_exporter
    assert 'node_scrape_collector_success{collector="perf"} 1.0' in done.stdout


def test_tracepoints_as_node_exporter_1_5_0(reference: tuple[str, ...]) -> None:
    # 1.5.0 (perf-utils 0.5) reads /sys/kernel/debug/tracing, where debugfs mounts tracefs on
    # first access; pyexporter, as node_exporter since, the first tracefs of /proc/mounts. 1.5.0
    # has only the cpus and tracepoint flags (the profiler flags came later).
    _allowed()
    unshare = _unshare()
    script = ("mount -t debugfs none /sys/kernel/debug && ls /sys/kernel/debug/tracing/events >/dev/null "
              "&& exec \"$@\"")
    flags = ["--collector.disable-defaults", "--collector.perf", "--collector.perf.tracepoint=sched:sched_switch"]
    port = free_port()
    ref = subprocess.Popen([unshare, "--mount", "sh", "-c", script, "sh", *reference, *flags,
                            f"--web.listen-address=127.0.0.1:{port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        try:
            wait_http(f"http://127.0.0.1:{port}/metrics", timeout=10)
        except OSError:
            ref.kill()
            _, err = ref.communicate(timeout=10)
            require(False, f"node_exporter with a tracepoint did not start: {err.decode()[-300:]}")
        theirs = _scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        if ref.poll() is None:
            ref.terminate()
        ref.communicate(timeout=20)
    done = subprocess.run([unshare, "--mount", "sh", "-c", script, "sh", *pyexporter_cmd(*flags, "--once")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert _families(done.stdout) == theirs
    assert "node_perf_sched_sched_switch" in theirs


def test_without_tracefs_the_collector_reports_failure(tmp_path) -> None:
    # NewPerfCollector fails (node_exporter panics: "couldn't create collector"); pyexporter
    # starts, and every scrape reports the collector failed.
    _allowed()
    mounts = tmp_path / "proc"
    mounts.mkdir()
    (mounts / "mounts").write_text("proc /proc proc rw 0 0\n")
    done = subprocess.run(pyexporter_cmd("--once", "--collector.disable-defaults", "--collector.perf",
                                         f"--path.procfs={mounts}", "--collector.perf.tracepoint=sched:sched_switch"),
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert 'node_scrape_collector_success{collector="perf"} 0.0' in done.stdout
    assert "no such mount" in done.stderr
    assert "node_perf_" not in done.stdout

