"""The perf collector against a fake kernel (the perf_event_open/ioctl/read/close seam), pinning
what node_exporter's NewPerfCollector and Update do over perf-utils v0.7.0: which events are opened
with which attr, what happens when the kernel refuses some (a VM without a PMU) or all of them
(perf_event_paranoid), when enabling or reading fails, and the tracepoint groups. The real kernel
is in tests/e2e/test_perf_live.py."""

from __future__ import annotations

import errno
import logging
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from pyexporter.collectors import load_all, perf
from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.scrape import Scraper
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.families import VerbatimFamily
from tests.helpers import by_name, captured_logs, exposition, samples, write_tree

ENABLE, DISABLE = 0, 1


@dataclass
class Opened:
    event_type: int
    config: int
    cpu: int
    pid: int
    group_fd: int
    flags: int
    bits: int
    read_format: int
    sample_type: int
    size: int


@dataclass
class FakeKernel:
    """Counts for event (type, config) on CPU: config * 1000 + cpu * 10 + type."""

    refuse: Callable[[int, int, int], int | None] = lambda event_type, config, cpu: None
    read_errors: set[tuple[int, int, int]] = field(default_factory=set)
    ioctl_errno: int | None = None
    opened: dict[int, Opened] = field(default_factory=dict)
    closed: list[int] = field(default_factory=list)
    ioctls: list[tuple[int, int, int]] = field(default_factory=list)
    next_fd: int = 1000

    def perf_event_open(self, attr: bytes, pid: int, cpu: int, group_fd: int, flags: int) -> int:
        event_type, size, config, _, sample_type, read_format, bits = struct.unpack_from("=IIQQQQQ", attr)
        assert len(attr) == size == 128
        code = self.refuse(event_type, config, cpu)
        if code:
            raise OSError(code, os.strerror(code))
        fd = self.next_fd
        self.next_fd += 1
        self.opened[fd] = Opened(event_type, config, cpu, pid, group_fd, flags, bits, read_format, sample_type, size)
        return fd

    def ioctl(self, fd: int, number: int, arg: int) -> None:
        assert fd in self.opened and fd not in self.closed
        if self.ioctl_errno:
            raise OSError(self.ioctl_errno, os.strerror(self.ioctl_errno))
        self.ioctls.append((fd, number, arg))

    @staticmethod
    def count(event: Opened) -> int:
        return event.config * 1000 + event.cpu * 10 + event.event_type

    def read(self, fd: int, size: int) -> bytes:
        event = self.opened[fd]
        if (event.event_type, event.config, event.cpu) in self.read_errors:
            raise OSError(errno.EIO, "Input/output error")
        if event.read_format & perf.PERF_FORMAT_GROUP:
            members = [fd] + [f for f, e in self.opened.items() if e.group_fd == fd]
            counts = [self.count(self.opened[f]) for f in members]
            return struct.pack(f"=3Q{len(counts)}Q", len(counts), 900, 800, *counts)[:size]
        return struct.pack("=QQQ", self.count(event), 2000, 1000)[:size]

    def close(self, fd: int) -> None:
        assert fd not in self.closed
        self.closed.append(fd)

    def kinds(self) -> set[int]:
        return {e.event_type for e in self.opened.values()}


def no_pmu(event_type: int, config: int, cpu: int) -> int | None:
    """A VM without a PMU: every hardware and cache event is ENOENT."""
    return errno.ENOENT if event_type in (perf.PERF_TYPE_HARDWARE, perf.PERF_TYPE_HW_CACHE) else None


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKernel]:
    fake = FakeKernel()
    monkeypatch.setattr(perf, "_syscalls", fake)
    yield fake


def build(paths: Paths | None = None, **options: object) -> perf.PerfCollector:
    given = {"cpus": "0-1", **{name.replace("_", "-"): value for name, value in options.items()}}
    built = load_all()["perf"].build(paths or Paths(), given)
    assert isinstance(built, perf.PerfCollector)
    return built


def test_vm_without_pmu_reports_software_counters_only(kernel: FakeKernel) -> None:
    # NewHardwareProfiler/NewCacheProfiler fail for every event, HasProfilers is still true:
    # NewPerfCollector succeeds and Update reports the software profilers alone.
    kernel.refuse = no_pmu
    families = list(build().collect())
    assert sorted(by_name(families)) == [
        "node_perf_context_switches_total", "node_perf_cpu_migrations_total", "node_perf_major_faults_total",
        "node_perf_minor_faults_total", "node_perf_page_faults_total",
    ]
    assert samples(families)[("node_perf_page_faults_total", frozenset({("cpu", "1")}))] == 2 * 1000 + 10 + 1
    assert samples(families)[("node_perf_major_faults_total", frozenset({("cpu", "0")}))] == 6 * 1000 + 1
    assert all(f.type == "counter" and f.documentation for f in families)
    assert kernel.kinds() == {perf.PERF_TYPE_SOFTWARE}


def test_the_attr_and_start_of_each_profiler(kernel: FakeKernel) -> None:
    build()
    # perf-utils NewProfiler: pid -1, the CPU, group -1, flags (ours adds FD_CLOEXEC).
    bits = perf.attr_bits((perf.ATTR_BIT_DISABLED, perf.ATTR_BIT_EXCLUDE_HV, perf.ATTR_BIT_INHERIT))
    for event in kernel.opened.values():
        assert (event.pid, event.group_fd, event.flags & ~(1 << 3)) == (-1, -1, 0)
        assert (event.bits, event.read_format, event.sample_type) == (bits, 3, 1 << 16)
    # 9 hardware + 5 software + 16 cache events on each of two CPUs, each enabled once (Start).
    assert len(kernel.opened) == 2 * 30
    assert sorted(fd for fd, _, _ in kernel.ioctls) == sorted(kernel.opened)
    assert {(number, arg) for _, number, arg in kernel.ioctls} == {(ENABLE, 0)}


def test_every_family_with_exact_values(kernel: FakeKernel) -> None:
    families = list(build(cpus="0,2,10").collect())
    names = by_name(families)
    assert len(names) == 30
    cycles = names["node_perf_cpucycles_total"]
    assert cycles.documentation == "Number of CPU cycles (frequency scaled)"
    # client_golang orders a family's samples by label value as text.
    assert [(s.labels["cpu"], s.value) for s in cycles.samples] == [("0", 0.0), ("10", 100.0), ("2", 20.0)]
    ll_write_miss = names["node_perf_cache_ll_write_misses_total"]
    assert ll_write_miss.samples[0].value == 0x10102 * 1000 + 3
    assert "node_perf_cpucycles_total{cpu=\"10\"} 100.0" in exposition(families)


def test_profiler_flags_choose_events(kernel: FakeKernel) -> None:
    # perfHardwareProfilerMap & co.: the named ones; unknown names ignored.
    families = build(hardware_profilers=["CpuInstr", "Nope"], software_profilers=["PageFault"],
                     cache_profilers=["BPUReadMiss"]).collect()
    assert sorted(by_name(families)) == [
        "node_perf_cache_bpu_read_misses_total", "node_perf_instructions_total", "node_perf_page_faults_total",
    ]
    assert len(kernel.opened) == 2 * 3


def test_disable_flags(kernel: FakeKernel) -> None:
    collector = build(disable_hardware_profilers=True, disable_cache_profilers=True)
    assert kernel.kinds() == {perf.PERF_TYPE_SOFTWARE}
    collector.close()
    build(disable_software_profilers=True)
    assert perf.PERF_TYPE_SOFTWARE not in {e.event_type for fd, e in kernel.opened.items() if fd not in kernel.closed}


def test_nothing_allowed_reports_nothing_and_succeeds(kernel: FakeKernel) -> None:
    # perf_event_paranoid 2 without CAP_PERFMON: every cpu-wide event is EACCES. node_exporter
    # (1.5.0 as nobody on this host, too) starts and reports no perf family.
    kernel.refuse = lambda event_type, config, cpu: errno.EACCES
    logger = logging.getLogger("pyexporter.collector.perf")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with captured_logs("pyexporter.collector.perf") as logs:
            assert list(build().collect()) == []
    finally:
        logger.setLevel(level)
    failures = logs.kv("could not be opened")
    assert {(f["profiler"], f["cpu"]) for f in failures} == {
        (kind, cpu) for kind in ("hardware", "software", "cache") for cpu in (0, 1)}
    assert failures[0]["events"]["CpuCycles"] == "EACCES"  # type: ignore[index]


def test_a_cpu_that_does_not_exist_is_left_out(kernel: FakeKernel) -> None:
    kernel.refuse = lambda event_type, config, cpu: errno.ENODEV if cpu == 7 else None
    families = build(cpus="0,7").collect()
    assert {s.labels["cpu"] for f in families for s in f.samples} == {"0"}


def test_hardware_read_failure_fails_the_scrape(kernel: FakeKernel) -> None:
    # hardwareProfiler.Profile returns the read errors; Update returns the first error.
    kernel.read_errors = {(perf.PERF_TYPE_HARDWARE, 1, 1)}
    with pytest.raises(CollectorError, match="CpuInstr on cpu 1"):
        list(build().collect())


def test_cache_read_failure_fails_the_scrape(kernel: FakeKernel) -> None:
    kernel.read_errors = {(perf.PERF_TYPE_HW_CACHE, 0x10000, 0)}
    with pytest.raises(CollectorError, match="L1DataReadMiss on cpu 0"):
        list(build(disable_hardware_profilers=True).collect())


def test_software_read_failure_leaves_the_counter_out(kernel: FakeKernel) -> None:
    # softwareProfiler.Profile returns nil whatever failed: the counter is just not set.
    kernel.refuse = no_pmu
    kernel.read_errors = {(perf.PERF_TYPE_SOFTWARE, 3, 0)}
    names = by_name(build().collect())
    assert [s.labels["cpu"] for s in names["node_perf_context_switches_total"].samples] == ["1"]
    assert len(names["node_perf_page_faults_total"].samples) == 2


def test_failing_to_start_fails_creation_and_closes_everything(kernel: FakeKernel) -> None:
    # hwProf.Start() error: NewPerfCollector returns it.
    kernel.ioctl_errno = errno.EBUSY
    with pytest.raises(CollectorError, match="cannot start perf hardware profiler CpuCycles on cpu 0"):
        build()
    assert sorted(kernel.closed) == sorted(kernel.opened)


def test_close_closes_every_descriptor_once(kernel: FakeKernel) -> None:
    collector = build()
    list(collector.collect())
    collector.close()
    collector.close()
    assert sorted(kernel.closed) == sorted(kernel.opened)


def test_garbage_collected_collector_closes_its_descriptors(kernel: FakeKernel) -> None:
    collector = build()
    del collector
    assert sorted(kernel.closed) == sorted(kernel.opened)


def test_bad_cpus_flag_stops_start_up_before_opening_anything(kernel: FakeKernel) -> None:
    with pytest.raises(FlagValueError, match=r"collector\.perf\.cpus"):
        build(cpus="0-3:0")
    with pytest.raises(FlagValueError):
        Scraper(Paths(), ["perf"], {"perf": {"cpus": "x"}})
    assert kernel.opened == {}


def _tracefs(tmp_path: object) -> Paths:
    return write_tree(str(tmp_path), {
        "proc/mounts": "sysfs /sys sysfs rw 0 0\ntracefs /sys/kernel/tracing tracefs rw,nosuid 0 0\n",
        "sys/kernel/tracing/events/sched/sched_switch/id": "318\n",
        "sys/kernel/tracing/events/syscalls/sys_enter_read/id": "712\n",
    })


def test_tracepoint_groups(kernel: FakeKernel, tmp_path: object) -> None:
    # newPerfTracepointCollector: one group per CPU, the first tracepoint leads; Start enables
    # the leader with PERF_IOC_FLAG_GROUP; Update reads the group from the leader.
    collector = build(_tracefs(tmp_path), tracepoint=["sched:sched_switch", "syscalls:sys_enter_read"],
                      disable_hardware_profilers=True, disable_software_profilers=True,
                      disable_cache_profilers=True)
    events = sorted(kernel.opened.items())
    assert [(e.cpu, e.config) for _, e in events] == [(0, 318), (0, 712), (1, 318), (1, 712)]
    (lead0, e0), (_, m0), (lead1, _), (_, m1) = events
    group_format = 3 | perf.PERF_FORMAT_GROUP
    assert (e0.event_type, e0.group_fd, e0.read_format) == (perf.PERF_TYPE_TRACEPOINT, -1, group_format)
    assert e0.bits == perf.attr_bits((perf.ATTR_BIT_DISABLED, perf.ATTR_BIT_EXCLUDE_HV))
    assert (m0.group_fd, m0.bits, m1.group_fd) == (lead0, perf.attr_bits((perf.ATTR_BIT_EXCLUDE_HV,)), lead1)
    assert sorted(kernel.ioctls) == [(lead0, ENABLE, 1), (lead1, ENABLE, 1)]
    families = list(collector.collect())
    assert [f.name for f in families] == ["node_perf_sched_sched_switch", "node_perf_syscalls_sys_enter_read"]
    assert all(type(f) is VerbatimFamily and f.type == "counter" for f in families)
    assert families[0].documentation == "Perf tracepoint sched:sched_switch"
    text = exposition(families)
    # Served without _total, as client_golang serves node_exporter's counter of that name.
    assert 'node_perf_sched_sched_switch{cpu="1"} 318012.0' in text
    assert 'node_perf_syscalls_sys_enter_read{cpu="0"} 712002.0' in text
    assert "# TYPE node_perf_sched_sched_switch counter" in text


def test_tracepoint_group_read_failure_fails_the_scrape(kernel: FakeKernel, tmp_path: object) -> None:
    kernel.read_errors = {(perf.PERF_TYPE_TRACEPOINT, 318, 1)}
    collector = build(_tracefs(tmp_path), tracepoint=["sched:sched_switch"], disable_hardware_profilers=True,
                      disable_software_profilers=True, disable_cache_profilers=True)
    with pytest.raises(CollectorError, match="tracepoints on cpu 1"):
        list(collector.collect())


@pytest.mark.parametrize(("tracepoint", "message"), [
    ("sched:sched_nope", "Failed to get tracepoint config for sched:sched_nope"),
    ("sched:bad-name", "not a valid metric name"),
])
def test_tracepoint_problems_fail_creation(kernel: FakeKernel, tmp_path: object, tracepoint: str,
                                           message: str) -> None:
    with pytest.raises(CollectorError, match=message):
        build(_tracefs(tmp_path), tracepoint=[tracepoint])
    assert kernel.opened == {}


def test_tracepoints_without_tracefs(kernel: FakeKernel, tmp_path: object) -> None:
    paths = write_tree(str(tmp_path), {"proc/mounts": "proc /proc proc rw 0 0\n"})
    with pytest.raises(CollectorError, match="no such mount"):
        build(paths, tracepoint=["sched:sched_switch"])


def test_tracepoint_refused_by_the_kernel_closes_the_group(kernel: FakeKernel, tmp_path: object) -> None:
    kernel.refuse = lambda event_type, config, cpu: errno.EACCES if (config, cpu) == (712, 1) else None
    with pytest.raises(CollectorError, match="syscalls:sys_enter_read on cpu 1"):
        build(_tracefs(tmp_path), tracepoint=["sched:sched_switch", "syscalls:sys_enter_read"])
    assert sorted(kernel.closed) == sorted(kernel.opened)


def test_a_collector_that_cannot_start_fails_every_scrape(kernel: FakeKernel, tmp_path: object) -> None:
    # node_exporter refuses to start ("couldn't create collector"); pyexporter serves the other
    # collectors and reports this one failed on every scrape, without retrying the kernel.
    paths = write_tree(str(tmp_path), {"proc/mounts": "proc /proc proc rw 0 0\n"})
    scraper = Scraper(paths, ["perf"], {"perf": {"tracepoint": ["sched:sched_switch"]}})
    for _ in range(2):
        result = samples(scraper.gather())
        assert result[("node_scrape_collector_success", frozenset({("collector", "perf")}))] == 0.0
    assert kernel.opened == {}
