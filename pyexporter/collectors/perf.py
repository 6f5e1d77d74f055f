"""perf: per-CPU hardware, software and cache counters from perf_event_open(2), and optional
kernel tracepoints, as node_exporter's perf collector (collector/perf_linux.go: NewPerfCollector,
perfCPUFlagToCPUs, perfTracepointFlagToTracepoints, newPerfTracepointCollector, Update) over
hodgesds/perf-utils v0.7.0 (hardware_profiler.go, software_profiler.go, cache_profiler.go:
NewHardwareProfiler/NewSoftwareProfiler/NewCacheProfiler and their Profile; process_profile.go:
NewProfiler and profiler.Profile; group_profiler.go: NewGroupProfiler and its Profile; events.go:
TracepointEventAttr, GetTracepointConfig; fs_utils.go: TraceFSMount).

What perf-utils does, and so what this does:
- One counting event per CPU per profiler, opened at start-up with pid -1 (every task on that CPU),
  group -1, flags 0; attr: the event's type and config, `disabled | exclude_hv | inherit`,
  read_format TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING, sample_type PERF_SAMPLE_IDENTIFIER; then
  enabled with PERF_EVENT_IOC_ENABLE. Kept open; each scrape reads the 24 bytes {value,
  time_enabled, time_running} of each descriptor. The value is reported as read: perf-utils does
  not scale it by time_enabled/time_running, so a multiplexed hardware counter reads low, as in Go.
- A profiler that the kernel refuses (a VM without a PMU: ENOENT for every hardware and cache
  event; kernel.perf_event_paranoid above 0 without CAP_PERFMON: EACCES) is skipped, CPU by CPU
  and event by event: perf-utils' HasProfilers is `len(profilers) >= 0`, always true, so
  NewPerfCollector never fails for it, and its families are simply absent. Failing to enable an
  opened event, or any tracepoint problem, does fail NewPerfCollector (node_exporter then refuses
  to start); here the collector cannot start and every scrape reports it failed
  (scrape._Unavailable). A flag that node_exporter cannot parse stops start-up here too.
- A scrape fails if reading a hardware or cache counter fails (their Profile returns the errors);
  a software counter that cannot be read is left out (the software Profile returns nil).
- Tracepoints (`--collector.perf.tracepoint=subsystem:event`, repeatable) form one group per CPU:
  the first is the disabled leader, the others follow it (exclude_hv only), read_format adds
  PERF_FORMAT_GROUP; the group is enabled with PERF_IOC_FLAG_GROUP and read as {nr,
  time_enabled, time_running, value[nr]}. The event id comes from `events/SUBSYSTEM/EVENT/id`
  under the first tracefs mount listed in /proc/mounts. Their families, node_perf_SUBSYSTEM_EVENT
  with HELP `Perf tracepoint SUBSYSTEM:EVENT`, are counters without a _total suffix: served
  under that very name in the text format (a VerbatimFamily), and as `unknown` in OpenMetrics,
  which requires the suffix.
- `--collector.perf.hardware-profilers` / `software-profilers` / `cache-profilers` name the
  events to open (perfHardwareProfilerMap etc.); unknown names are ignored, and when none is
  known the set is 0, which perf-utils reads as "all". Without the flags every event
  node_exporter reports is opened; the cache default is its explicit list.
- Without `--collector.perf.cpus`, CPUs 0 .. runtime.NumCPU()-1, i.e. as many as the process's
  affinity mask holds, numbered from 0 as Go does.

Where this deliberately differs:
- Only the events node_exporter reports are opened. With the "all" set perf-utils also opens
  bus cycles, cpu/task clock, alignment and emulation faults, L1 instruction read hits and the
  node cache events, and never reads them: they cost descriptors and, for bus cycles, a PMU
  slot that makes the reported hardware counters multiplex more.
- A stride of 0 or less in --collector.perf.cpus (`0-3:0`) makes Go loop for ever; refused here.
- The tracefs mount point found in /proc/mounts is read under --path.rootfs (the same path when
  the root is /). node_exporter 1.5.0 (perf-utils 0.5) read /sys/kernel/debug/tracing instead.
- A repeated CPU is opened once (Go opens it twice, reports one and leaks the other's events).
- The descriptors are opened close-on-exec (PERF_FLAG_FD_CLOEXEC); perf-utils passes no flags.
- node_exporter 1.5.0 (the Debian reference) has only the cpus and tracepoint flags; the
  profiler selection and disable flags came later.
- There is no close hook in the collector framework: the descriptors live as long as the
  collector, which is the life of the process; `close()` (also run when the collector is
  garbage-collected) closes them.
"""

from __future__ import annotations

import errno
import fcntl
import os
import platform
import struct
import sys
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import FlagValueError, flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import METRIC_NAME, CounterMetricFamily, VerbatimFamily
from pyexporter.toolkit.files import decode, read_bytes, read_text
from pyexporter.toolkit.numbers import NumberError, parse_int, parse_uint

# -- the kernel's ABI (include/uapi/linux/perf_event.h) -------------------------------------------

PERF_TYPE_HARDWARE = 0
PERF_TYPE_SOFTWARE = 1
PERF_TYPE_TRACEPOINT = 2
PERF_TYPE_HW_CACHE = 3

PERF_FORMAT_TOTAL_TIME_ENABLED = 1 << 0
PERF_FORMAT_TOTAL_TIME_RUNNING = 1 << 1
PERF_FORMAT_GROUP = 1 << 3
PERF_SAMPLE_IDENTIFIER = 1 << 16

# Bit numbers in the attr's flags bitfield.
ATTR_BIT_DISABLED = 0
ATTR_BIT_INHERIT = 1
ATTR_BIT_EXCLUDE_HV = 6

PERF_IOC_FLAG_GROUP = 1

# PERF_ATTR_SIZE_VER7: through sig_data, the struct golang.org/x/sys/unix.PerfEventAttr describes.
# Older kernels accept it as long as the fields they do not know are zero, as they are here.
PERF_ATTR_SIZE = 128

# perf_event_open's number in each architecture's syscall table (64-bit processes).
SYSCALL_NUMBERS = {
    "x86_64": 298, "amd64": 298,
    "aarch64": 241, "arm64": 241,
    "riscv64": 241, "loongarch64": 241,
    "ppc64": 319, "ppc64le": 319,
    "s390x": 331,
    "mips64": 5296,
    "sparc64": 327,
}
# 32-bit processes, including a 32-bit Python on a 64-bit kernel of the same family.
SYSCALL_NUMBERS_32 = {
    "i386": 336, "i486": 336, "i586": 336, "i686": 336, "x86_64": 336, "amd64": 336,
    "armv6l": 364, "armv7l": 364, "armv8l": 364, "aarch64": 364, "arm64": 364,
    "ppc": 319, "ppc64": 319, "ppc64le": 319,
    "s390": 331, "s390x": 331,
    "mips": 4333, "mips64": 4333,
    "sparc": 327, "sparc64": 327,
}


def syscall_number(machine: str, pointer_bytes: int) -> int:
    """perf_event_open's syscall number for MACHINE (platform.machine(), the kernel's) in a process
    with POINTER_BYTES-byte pointers; CollectorError for an architecture not in the tables."""
    table = SYSCALL_NUMBERS if pointer_bytes == 8 else SYSCALL_NUMBERS_32
    number = table.get(machine)
    if number is None:
        raise CollectorError(f"perf_event_open: unknown syscall number for {machine} ({pointer_bytes * 8}-bit)")
    return number


def ioctl_request(machine: str, number: int) -> int:
    """_IO('$', NUMBER): the perf ioctls take no argument buffer. powerpc, mips and sparc encode
    "no direction" as 1 << 29; the other architectures as 0."""
    request = (ord("$") << 8) | number
    if machine.startswith(("ppc", "powerpc", "mips", "sparc")):
        request |= 1 << 29
    return request


PERF_EVENT_IOC_ENABLE = 0
PERF_EVENT_IOC_DISABLE = 1


def attr_bits(bits: Iterable[int], byteorder: str = sys.byteorder) -> int:
    """The attr's u64 flags word with the bitfield members BITS set: C allocates bitfields from the
    least significant bit on little-endian machines and from the most significant on big-endian
    ones (x/sys/unix's CBitFieldMaskBit0 differs the same way)."""
    word = 0
    for bit in bits:
        word |= 1 << (bit if byteorder == "little" else 63 - bit)
    return word


def pack_event_attr(event_type: int, config: int, flags: int, read_format: int,
                    sample_type: int = PERF_SAMPLE_IDENTIFIER, size: int = PERF_ATTR_SIZE,
                    byteorder: str = sys.byteorder) -> bytes:
    """struct perf_event_attr: type u32, size u32, config u64, sample_period u64, sample_type u64,
    read_format u64, the flags bitfield u64 (FLAGS as attr_bits builds it), then zeros to SIZE."""
    order = "<" if byteorder == "little" else ">"
    head = struct.pack(order + "IIQQQQQ", event_type, size, config, 0, sample_type, read_format, flags)
    return head + bytes(size - len(head))


class ProfileValue(NamedTuple):
    value: int
    time_enabled: int
    time_running: int


_READ_FORMAT = struct.Struct("=QQQ")


def decode_read(buf: bytes) -> ProfileValue:
    """profiler.Profile: the 24 bytes read from one counter, {value, time_enabled, time_running}
    in native order. Go decodes a zeroed 24-byte buffer whatever read(2) returned, so a short read
    (0 bytes from an event in error state) gives zeros rather than an error."""
    return ProfileValue(*_READ_FORMAT.unpack(buf[:24].ljust(24, b"\0")))


class GroupValue(NamedTuple):
    events: int
    time_enabled: int
    time_running: int
    values: tuple[int, ...]


def decode_group_read(buf: bytes, count: int) -> GroupValue:
    """groupProfiler.Profile: {nr, time_enabled, time_running, value[COUNT]} in native order, read
    into a zeroed buffer of 24 + 8*COUNT bytes as Go does (the values come from the positions of
    the group's COUNT descriptors whatever nr says)."""
    size = 24 + 8 * count
    words = struct.unpack(f"={3 + count}Q", buf[:size].ljust(size, b"\0"))
    return GroupValue(words[0], words[1], words[2], tuple(words[3:]))


# -- flags ----------------------------------------------------------------------------------------


def parse_cpus_flag(text: str) -> list[int]:
    """perfCPUFlagToCPUs: `0,2-5,8-16:4`, each number strconv.Atoi's; `a-b:s` counts from a to b
    by s. FlagValueError where Go returns an error, and for a stride below 1, which loops for ever
    in Go."""
    cpus: list[int] = []
    try:
        for subset in text.split(","):
            if "-" not in subset:
                cpus.append(parse_int(subset))
                continue
            stride = 1
            stride_set = subset.split(":")
            if len(stride_set) == 2:
                stride = parse_int(stride_set[1])
            range_set = stride_set[0].split("-")
            if len(range_set) != 2:
                raise FlagValueError(f"--collector.perf.cpus: invalid flag value {text!r}")
            start, end = parse_int(range_set[0]), parse_int(range_set[1])
            if stride < 1:
                raise FlagValueError(f"--collector.perf.cpus: invalid stride {stride} in {subset!r}")
            if (end - start) // stride >= 1 << 16:
                raise FlagValueError(f"--collector.perf.cpus: range {subset!r} names too many CPUs")
            cpus.extend(range(start, end + 1, stride))
    except NumberError as err:
        raise FlagValueError(f"--collector.perf.cpus: {err}") from None
    return cpus


class Tracepoint(NamedTuple):
    subsystem: str
    event: str

    @property
    def label(self) -> str:
        return f"{self.subsystem}_{self.event}"

    @property
    def name(self) -> str:
        return f"{self.subsystem}:{self.event}"


def parse_tracepoints(flags: Sequence[str]) -> list[Tracepoint]:
    """perfTracepointFlagToTracepoints: each `subsystem:event`, exactly one colon."""
    tracepoints = []
    for text in flags:
        split = text.split(":")
        if len(split) != 2:
            raise FlagValueError(f"--collector.perf.tracepoint: invalid tracepoint config {text}")
        tracepoints.append(Tracepoint(split[0], split[1]))
    return tracepoints


def tracefs_mount(mounts: str) -> str | None:
    """TraceFSMount/GetFSMount: the mount point of the first tracefs line of /proc/mounts (fields
    split on single spaces, more than 3 of them, the third `tracefs`)."""
    for line in mounts.splitlines():
        fields = line.split(" ")
        if len(fields) > 3 and fields[2] == "tracefs":
            return fields[1]
    return None


# -- the events node_exporter reports -------------------------------------------------------------


class Event(NamedTuple):
    profiler: str  # the name perfHardwareProfilerMap & co. give it
    event_type: int
    config: int
    family: str
    help: str


def _cache(cache: int, op: int, result: int) -> int:
    return cache | (op << 8) | (result << 16)


_L1D, _L1I, _LL, _DTLB, _ITLB, _BPU = 0, 1, 2, 3, 4, 5
_READ, _WRITE = 0, 1
_ACCESS, _MISS = 0, 1

# In the order of node_exporter's updateHardwareStats / updateSoftwareStats / updateCacheStats.
HARDWARE_EVENTS = (
    Event("CpuCycles", PERF_TYPE_HARDWARE, 0, "node_perf_cpucycles_total",
          "Number of CPU cycles (frequency scaled)"),
    Event("CpuInstr", PERF_TYPE_HARDWARE, 1, "node_perf_instructions_total", "Number of CPU instructions"),
    Event("BranchInstr", PERF_TYPE_HARDWARE, 4, "node_perf_branch_instructions_total",
          "Number of CPU branch instructions"),
    Event("BranchMisses", PERF_TYPE_HARDWARE, 5, "node_perf_branch_misses_total", "Number of CPU branch misses"),
    Event("CacheRef", PERF_TYPE_HARDWARE, 2, "node_perf_cache_refs_total",
          "Number of cache references (non frequency scaled)"),
    Event("CacheMisses", PERF_TYPE_HARDWARE, 3, "node_perf_cache_misses_total", "Number of cache misses"),
    Event("RefCpuCycles", PERF_TYPE_HARDWARE, 9, "node_perf_ref_cpucycles_total", "Number of CPU cycles"),
    Event("StalledCyclesBackend", PERF_TYPE_HARDWARE, 8, "node_perf_stalled_cycles_backend_total",
          "Number of stalled backend CPU cycles"),
    Event("StalledCyclesFrontend", PERF_TYPE_HARDWARE, 7, "node_perf_stalled_cycles_frontend_total",
          "Number of stalled frontend CPU cycles"),
)
SOFTWARE_EVENTS = (
    Event("PageFault", PERF_TYPE_SOFTWARE, 2, "node_perf_page_faults_total", "Number of page faults"),
    Event("ContextSwitch", PERF_TYPE_SOFTWARE, 3, "node_perf_context_switches_total", "Number of context switches"),
    Event("CpuMigration", PERF_TYPE_SOFTWARE, 4, "node_perf_cpu_migrations_total",
          "Number of CPU process migrations"),
    Event("MinorFault", PERF_TYPE_SOFTWARE, 5, "node_perf_minor_faults_total", "Number of minor page faults"),
    Event("MajorFault", PERF_TYPE_SOFTWARE, 6, "node_perf_major_faults_total", "Number of major page faults"),
)
CACHE_EVENTS = (
    Event("L1DataReadHit", PERF_TYPE_HW_CACHE, _cache(_L1D, _READ, _ACCESS), "node_perf_cache_l1d_read_hits_total",
          "Number L1 data cache read hits"),
    Event("L1DataReadMiss", PERF_TYPE_HW_CACHE, _cache(_L1D, _READ, _MISS), "node_perf_cache_l1d_read_misses_total",
          "Number L1 data cache read misses"),
    Event("L1DataWriteHit", PERF_TYPE_HW_CACHE, _cache(_L1D, _WRITE, _ACCESS), "node_perf_cache_l1d_write_hits_total",
          "Number L1 data cache write hits"),
    Event("L1InstrReadMiss", PERF_TYPE_HW_CACHE, _cache(_L1I, _READ, _MISS),
          "node_perf_cache_l1_instr_read_misses_total", "Number instruction L1 instruction read misses"),
    Event("InstrTLBReadHit", PERF_TYPE_HW_CACHE, _cache(_ITLB, _READ, _ACCESS),
          "node_perf_cache_tlb_instr_read_hits_total", "Number instruction TLB read hits"),
    Event("InstrTLBReadMiss", PERF_TYPE_HW_CACHE, _cache(_ITLB, _READ, _MISS),
          "node_perf_cache_tlb_instr_read_misses_total", "Number instruction TLB read misses"),
    Event("DataTLBReadHit", PERF_TYPE_HW_CACHE, _cache(_DTLB, _READ, _ACCESS),
          "node_perf_cache_tlb_data_read_hits_total", "Number of data TLB read hits"),
    Event("DataTLBReadMiss", PERF_TYPE_HW_CACHE, _cache(_DTLB, _READ, _MISS),
          "node_perf_cache_tlb_data_read_misses_total", "Number of data TLB read misses"),
    Event("DataTLBWriteHit", PERF_TYPE_HW_CACHE, _cache(_DTLB, _WRITE, _ACCESS),
          "node_perf_cache_tlb_data_write_hits_total", "Number of data TLB write hits"),
    Event("DataTLBWriteMiss", PERF_TYPE_HW_CACHE, _cache(_DTLB, _WRITE, _MISS),
          "node_perf_cache_tlb_data_write_misses_total", "Number of data TLB write misses"),
    Event("LLReadHit", PERF_TYPE_HW_CACHE, _cache(_LL, _READ, _ACCESS), "node_perf_cache_ll_read_hits_total",
          "Number last level read hits"),
    Event("LLReadMiss", PERF_TYPE_HW_CACHE, _cache(_LL, _READ, _MISS), "node_perf_cache_ll_read_misses_total",
          "Number last level read misses"),
    Event("LLWriteHit", PERF_TYPE_HW_CACHE, _cache(_LL, _WRITE, _ACCESS), "node_perf_cache_ll_write_hits_total",
          "Number last level write hits"),
    Event("LLWriteMiss", PERF_TYPE_HW_CACHE, _cache(_LL, _WRITE, _MISS), "node_perf_cache_ll_write_misses_total",
          "Number last level write misses"),
    Event("BPUReadHit", PERF_TYPE_HW_CACHE, _cache(_BPU, _READ, _ACCESS), "node_perf_cache_bpu_read_hits_total",
          "Number BPU read hits"),
    Event("BPUReadMiss", PERF_TYPE_HW_CACHE, _cache(_BPU, _READ, _MISS), "node_perf_cache_bpu_read_misses_total",
          "Number BPU read misses"),
)


def select_events(events: Sequence[Event], names: Sequence[str]) -> tuple[Event, ...]:
    """The events NAMES select, as NewPerfCollector ORs perf*ProfilerMap[name] into a set that
    starts at 0: unknown names are ignored, and an empty set means every event."""
    chosen = {name for name in names if any(e.profiler == name for e in events)}
    if not chosen:
        return tuple(events)
    return tuple(e for e in events if e.profiler in chosen)


# -- the system calls, behind a seam tests can replace --------------------------------------------


class Syscalls(Protocol):
    def perf_event_open(self, attr: bytes, pid: int, cpu: int, group_fd: int, flags: int) -> int: ...
    def ioctl(self, fd: int, number: int, arg: int) -> None: ...
    def read(self, fd: int, size: int) -> bytes: ...
    def close(self, fd: int) -> None: ...


class LinuxSyscalls:
    """perf_event_open(2) through libc's syscall(2), ioctl(2), read(2), close(2)."""

    def __init__(self) -> None:
        import ctypes  # only for a server that enables this collector

        machine = platform.machine()
        self._number = syscall_number(machine, ctypes.sizeof(ctypes.c_void_p))
        self._machine = machine
        libc = ctypes.CDLL(None, use_errno=True)
        self._syscall = libc.syscall
        self._syscall.restype = ctypes.c_long
        self._syscall.argtypes = [ctypes.c_long, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                  ctypes.c_int, ctypes.c_ulong]
        self._get_errno = ctypes.get_errno

    def perf_event_open(self, attr: bytes, pid: int, cpu: int, group_fd: int, flags: int) -> int:
        fd = int(self._syscall(self._number, attr, pid, cpu, group_fd, flags | _PERF_FLAG_FD_CLOEXEC))
        if fd < 0:
            code = self._get_errno()
            raise OSError(code, os.strerror(code))
        return fd

    def ioctl(self, fd: int, number: int, arg: int) -> None:
        fcntl.ioctl(fd, ioctl_request(self._machine, number), arg)

    def read(self, fd: int, size: int) -> bytes:
        return os.read(fd, size)

    def close(self, fd: int) -> None:
        os.close(fd)


# perf-utils passes flags 0. PERF_FLAG_FD_CLOEXEC (Linux 3.14) is added here so that a child this
# process starts does not inherit the counters' descriptors (node_exporter starts none).
_PERF_FLAG_FD_CLOEXEC = 1 << 3

_syscalls: Syscalls | None = None


def syscalls() -> Syscalls:
    """The process's LinuxSyscalls, made on first use."""
    global _syscalls
    if _syscalls is None:
        _syscalls = LinuxSyscalls()
    return _syscalls


# -- the collector --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PerfOptions:
    cpus: str = flag("cpus", "List of CPUs from which perf metrics should be collected", "")
    tracepoint: tuple[str, ...] = flag("tracepoint", "perf tracepoint that should be collected", ())
    disable_hardware_profilers: bool = flag("disable-hardware-profilers", "disable perf hardware profilers", False)
    hardware_profilers: tuple[str, ...] = flag(
        "hardware-profilers", "perf hardware profilers that should be collected", ())
    disable_software_profilers: bool = flag("disable-software-profilers", "disable perf software profilers", False)
    software_profilers: tuple[str, ...] = flag(
        "software-profilers", "perf software profilers that should be collected", ())
    disable_cache_profilers: bool = flag("disable-cache-profilers", "disable perf cache profilers", False)
    cache_profilers: tuple[str, ...] = flag("cache-profilers", "perf cache profilers that should be collected", ())


class _Counter(NamedTuple):
    event: Event
    cpu: int
    fd: int


class _Group(NamedTuple):
    cpu: int
    fds: tuple[int, ...]  # the leader first


_PROFILER_FLAGS = attr_bits((ATTR_BIT_DISABLED, ATTR_BIT_EXCLUDE_HV, ATTR_BIT_INHERIT))
_READ_TIMES = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING


def _close_all(sys_calls: Syscalls, fds: list[int]) -> None:
    while fds:
        try:
            sys_calls.close(fds.pop())
        except OSError:
            pass


def _cpu_order(cpu: int) -> str:
    return str(cpu)  # client_golang sorts a family's samples by their label values, as text


@collector("perf", default=False, options=PerfOptions)
class PerfCollector(Collector[PerfOptions]):
    def __init__(self, ctx: CollectorContext[PerfOptions], sys_calls: Syscalls | None = None) -> None:
        super().__init__(ctx)
        opts = self.options
        # Every flag is checked before anything is opened.
        if opts.cpus:
            cpus = parse_cpus_flag(opts.cpus)
        else:
            cpus = list(range(len(os.sched_getaffinity(0))))  # runtime.NumCPU
        cpus = sorted(dict.fromkeys(cpus), key=_cpu_order)
        tracepoints = parse_tracepoints(opts.tracepoint)
        self._sys = sys_calls if sys_calls is not None else syscalls()
        self._fds: list[int] = []
        self._finalizer = weakref.finalize(self, _close_all, self._sys, self._fds)
        self._hardware: list[_Counter] = []
        self._software: list[_Counter] = []
        self._cache: list[_Counter] = []
        self._groups: list[_Group] = []
        self._tracepoints = tracepoints
        self._tracepoint_names = [f"node_perf_{tp.label}" for tp in tracepoints]
        try:
            if tracepoints:
                self._open_tracepoints(tracepoints, cpus)
            groups = (
                (opts.disable_hardware_profilers, HARDWARE_EVENTS, opts.hardware_profilers, self._hardware, "hardware"),
                (opts.disable_software_profilers, SOFTWARE_EVENTS, opts.software_profilers, self._software, "software"),
                (opts.disable_cache_profilers, CACHE_EVENTS, opts.cache_profilers, self._cache, "cache"),
            )
            for cpu in cpus:
                for disabled, events, names, counters, kind in groups:
                    if not disabled:
                        counters.extend(self._open_profiler(kind, select_events(events, names), cpu))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close every perf descriptor (the framework has no close hook; see the module doc)."""
        self._finalizer()

    # -- start-up --

    def _open_profiler(self, kind: str, events: Sequence[Event], cpu: int) -> list[_Counter]:
        """NewHardwareProfiler & co. for CPU, then Start: the events the kernel refuses are left
        out; failing to enable one that opened fails the collector."""
        opened: list[_Counter] = []
        failed: dict[str, str] = {}
        for event in events:
            attr = pack_event_attr(event.event_type, event.config, _PROFILER_FLAGS, _READ_TIMES)
            try:
                fd = self._sys.perf_event_open(attr, -1, cpu, -1, 0)
            except OSError as err:
                failed[event.profiler] = errno.errorcode.get(err.errno or 0, str(err.errno))
                continue
            self._fds.append(fd)
            opened.append(_Counter(event, cpu, fd))
        if failed:
            self.log.debug("perf events could not be opened; they are not reported",
                           extra={"kv": {"profiler": kind, "cpu": cpu, "events": failed}})
        for counter in opened:
            try:
                self._sys.ioctl(counter.fd, PERF_EVENT_IOC_ENABLE, 0)
            except OSError as err:
                raise CollectorError(f"cannot start perf {kind} profiler {counter.event.profiler} "
                                     f"on cpu {cpu}: {err}") from None
        return opened

    def _open_tracepoints(self, tracepoints: Sequence[Tracepoint], cpus: Sequence[int]) -> None:
        """newPerfTracepointCollector: an event group per CPU, each enabled; any failure fails
        the collector."""
        for name in self._tracepoint_names:
            if not METRIC_NAME.match(name):
                # client_golang refuses such a Desc (node_exporter panics on its first scrape).
                raise CollectorError(f"perf tracepoint family {name!r} is not a valid metric name")
        mounts = read_text(self.paths.proc("mounts"))
        mount = tracefs_mount(mounts)
        if mount is None:
            raise CollectorError("perf tracepoints: no such mount (tracefs is not mounted)")
        configs = [self._tracepoint_config(mount, tp) for tp in tracepoints]
        leader_flags = attr_bits((ATTR_BIT_DISABLED, ATTR_BIT_EXCLUDE_HV))
        member_flags = attr_bits((ATTR_BIT_EXCLUDE_HV,))
        read_format = _READ_TIMES | PERF_FORMAT_GROUP
        for cpu in cpus:
            fds: list[int] = []
            for i, config in enumerate(configs):
                attr = pack_event_attr(PERF_TYPE_TRACEPOINT, config, member_flags if i else leader_flags, read_format)
                try:
                    fd = self._sys.perf_event_open(attr, -1, cpu, fds[0] if fds else -1, 0)
                except OSError as err:
                    raise CollectorError(f"cannot open perf tracepoint {tracepoints[i].name} on cpu {cpu}: "
                                         f"{err}") from None
                self._fds.append(fd)
                fds.append(fd)
            self._groups.append(_Group(cpu, tuple(fds)))
        for group in self._groups:
            try:
                self._sys.ioctl(group.fds[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP)
            except OSError as err:
                raise CollectorError(f"cannot start perf tracepoints on cpu {group.cpu}: {err}") from None

    def _tracepoint_config(self, mount: str, tracepoint: Tracepoint) -> int:
        """GetTracepointConfig: the first line of events/SUBSYSTEM/EVENT/id, a uint64."""
        path = self.paths.root(mount, "events", tracepoint.subsystem, tracepoint.event, "id")
        try:
            lines = decode(read_bytes(path)).splitlines()
        except OSError as err:
            raise CollectorError(f"Failed to get tracepoint config for {tracepoint.name}: {err}") from None
        if not lines:
            raise CollectorError(f"Failed to get tracepoint config for {tracepoint.name}: {path} is empty")
        try:
            return parse_uint(lines[0].rstrip("\r"))
        except NumberError as err:
            raise CollectorError(f"tracepoint {tracepoint.name}: {err}") from None

    # -- scrapes --

    def collect(self) -> Iterable[Metric]:
        yield from self._families(self._hardware, HARDWARE_EVENTS, strict=True)
        yield from self._families(self._software, SOFTWARE_EVENTS, strict=False)
        yield from self._families(self._cache, CACHE_EVENTS, strict=True)
        if self._groups:
            yield from self._tracepoint_families()

    def _families(self, counters: Sequence[_Counter], events: Sequence[Event], strict: bool) -> list[Metric]:
        """updateHardwareStats & co.: one counter per opened event and CPU. STRICT: a failed
        read fails the scrape (the hardware and cache Profile); else the counter is left out."""
        if not counters:
            return []
        values: dict[str, list[tuple[int, int]]] = {}
        for counter in counters:
            try:
                raw = self._sys.read(counter.fd, 24)
            except OSError as err:
                if strict:
                    raise CollectorError(f"reading perf counter {counter.event.profiler} on cpu "
                                         f"{counter.cpu}: {err}") from None
                continue
            values.setdefault(counter.event.family, []).append((counter.cpu, decode_read(raw).value))
        families: list[Metric] = []
        for event in events:
            read = values.get(event.family)
            if read:
                family = CounterMetricFamily(event.family, event.help, labels=["cpu"])
                for cpu, value in read:
                    family.add_metric([str(cpu)], float(value))
                families.append(family)
        return families

    def _tracepoint_families(self) -> list[Metric]:
        """perfTracepointCollector.update: one counter per tracepoint and CPU, named
        node_perf_SUBSYSTEM_EVENT without a _total suffix (so served as it is named, as the
        VerbatimFamily of a counter); a failed group read fails the scrape."""
        families = [VerbatimFamily(name, f"Perf tracepoint {tp.name}", "counter")
                    for name, tp in zip(self._tracepoint_names, self._tracepoints, strict=True)]
        for group in self._groups:
            try:
                raw = self._sys.read(group.fds[0], 24 + 8 * len(group.fds))
            except OSError as err:
                raise CollectorError(f"reading perf tracepoints on cpu {group.cpu}: {err}") from None
            value = decode_group_read(raw, len(group.fds))
            labels = {"cpu": str(group.cpu)}
            for family, count in zip(families, value.values, strict=True):
                family.add_sample(family.name, labels, float(count))
        return list(families)
