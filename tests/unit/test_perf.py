"""The perf collector's pure parts on literal bytes and strings: the perf_event_attr packing
(perf-utils' NewProfiler, TracepointEventAttr, NewGroupProfiler), the read formats
(profiler.Profile, groupProfiler.Profile), the flags (perfCPUFlagToCPUs,
perfTracepointFlagToTracepoints, NewPerfCollector's profiler sets), TraceFSMount, and the
families node_exporter's NewPerfCollector describes."""

from __future__ import annotations

import struct

import pytest

from pyexporter.collectors.perf import (
    ATTR_BIT_DISABLED,
    ATTR_BIT_EXCLUDE_HV,
    ATTR_BIT_INHERIT,
    CACHE_EVENTS,
    HARDWARE_EVENTS,
    PERF_FORMAT_GROUP,
    PERF_TYPE_TRACEPOINT,
    SOFTWARE_EVENTS,
    GroupValue,
    ProfileValue,
    Tracepoint,
    attr_bits,
    decode_group_read,
    decode_read,
    ioctl_request,
    pack_event_attr,
    parse_cpus_flag,
    parse_tracepoints,
    select_events,
    syscall_number,
    tracefs_mount,
)
from pyexporter.flags import FlagValueError
from pyexporter.toolkit.collector import CollectorError

PROFILER_BITS = (ATTR_BIT_DISABLED, ATTR_BIT_EXCLUDE_HV, ATTR_BIT_INHERIT)


def test_attr_of_a_profiler_little_endian() -> None:
    # NewProfiler(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, ...): disabled|exclude_hv|inherit,
    # read_format TOTAL_TIME_RUNNING|TOTAL_TIME_ENABLED, sample_type PERF_SAMPLE_IDENTIFIER.
    attr = pack_event_attr(0, 0, attr_bits(PROFILER_BITS, "little"), 3, byteorder="little")
    expected = bytes.fromhex(
        "00000000" "80000000"        # type HARDWARE, size 128
        "0000000000000000"           # config CPU_CYCLES
        "0000000000000000"           # sample_period
        "0000010000000000"           # sample_type 1<<16
        "0300000000000000"           # read_format
        "4300000000000000"           # disabled (bit 0) | inherit (bit 1) | exclude_hv (bit 6)
    ) + bytes(80)
    assert attr == expected
    assert len(attr) == 128


def test_attr_of_a_cache_event() -> None:
    # NewLLCacheProfiler(op WRITE, result MISS): config LL | WRITE<<8 | MISS<<16, type HW_CACHE.
    ll_write_miss = next(e for e in CACHE_EVENTS if e.profiler == "LLWriteMiss")
    assert (ll_write_miss.event_type, ll_write_miss.config) == (3, 0x10102)
    attr = pack_event_attr(ll_write_miss.event_type, ll_write_miss.config, 0, 3, byteorder="little")
    assert struct.unpack_from("<IIQ", attr) == (3, 128, 0x10102)


def test_attr_big_endian_bitfield_from_the_top() -> None:
    # x/sys/unix's CBitFieldMaskBit0 is 1<<63 on big-endian machines.
    flags = attr_bits(PROFILER_BITS, "big")
    assert flags == (1 << 63) | (1 << 62) | (1 << 57)
    attr = pack_event_attr(1, 3, flags, 3, byteorder="big")
    assert attr[:8] == bytes.fromhex("00000001" "00000080")
    assert attr[40:48] == bytes.fromhex("c200000000000000")


def test_attr_of_a_tracepoint_group() -> None:
    # NewGroupProfiler: the leader disabled|exclude_hv, the others exclude_hv, all with
    # PERF_FORMAT_GROUP; the config is the tracepoint's id.
    leader = pack_event_attr(PERF_TYPE_TRACEPOINT, 318, attr_bits((ATTR_BIT_DISABLED, ATTR_BIT_EXCLUDE_HV), "little"),
                             3 | PERF_FORMAT_GROUP, byteorder="little")
    assert struct.unpack_from("<IIQQQQQ", leader) == (2, 128, 318, 0, 1 << 16, 0x0B, 0x41)
    member = pack_event_attr(PERF_TYPE_TRACEPOINT, 7, attr_bits((ATTR_BIT_EXCLUDE_HV,), "little"),
                             3 | PERF_FORMAT_GROUP, byteorder="little")
    assert struct.unpack_from("<Q", member, 40) == (0x40,)


def test_decode_read() -> None:
    raw = struct.pack("=QQQ", 123456789012, 2_000_000, 1_000_000)
    # perf-utils reports the value unscaled, whatever time_running says.
    assert decode_read(raw) == ProfileValue(123456789012, 2_000_000, 1_000_000)
    assert decode_read(raw + b"extra") == ProfileValue(123456789012, 2_000_000, 1_000_000)


def test_decode_read_short_gives_zeros_as_go_does() -> None:
    # Go reads into a zeroed 24-byte buffer and ignores the count: 0 bytes (event in error) is 0.
    assert decode_read(b"") == ProfileValue(0, 0, 0)
    assert decode_read(struct.pack("=Q", 5)) == ProfileValue(5, 0, 0)


def test_decode_group_read() -> None:
    raw = struct.pack("=5Q", 2, 900, 800, 17, 42)
    assert decode_group_read(raw, 2) == GroupValue(2, 900, 800, (17, 42))
    # Truncated: the missing values are zeros.
    assert decode_group_read(raw[:32], 2) == GroupValue(2, 900, 800, (17, 0))


@pytest.mark.parametrize(("text", "cpus"), [
    ("0", [0]),
    ("0,2-5", [0, 2, 3, 4, 5]),
    ("1-10:5", [1, 6]),          # the Go comment says 1,5,10; the loop gives 1,6
    ("8-16:4", [8, 12, 16]),
    ("3-1", []),
    ("+1", [1]),                 # strconv.Atoi takes a sign
    ("0,0", [0, 0]),
    ("0-3:1:2", [0, 1, 2, 3]),   # not two parts after ":": the stride stays 1
])
def test_cpus_flag(text: str, cpus: list[int]) -> None:
    assert parse_cpus_flag(text) == cpus  # perfCPUFlagToCPUs


@pytest.mark.parametrize("text", ["0,", "a", "1-2-3", "1-x", "-1", "0-3:x", "0-3:0", "0-3:-1", " 1"])
def test_cpus_flag_refused(text: str) -> None:
    with pytest.raises(FlagValueError, match=r"collector\.perf\.cpus"):
        parse_cpus_flag(text)


def test_cpus_flag_bounded() -> None:
    with pytest.raises(FlagValueError, match="too many"):
        parse_cpus_flag("0-4294967295")


def test_tracepoints_flag() -> None:
    tracepoints = parse_tracepoints(["sched:sched_switch", "syscalls:sys_enter_read"])
    assert tracepoints == [Tracepoint("sched", "sched_switch"), Tracepoint("syscalls", "sys_enter_read")]
    assert tracepoints[0].label == "sched_sched_switch"
    assert tracepoints[0].name == "sched:sched_switch"
    assert parse_tracepoints([]) == []


@pytest.mark.parametrize("text", ["sched", "a:b:c", ""])
def test_tracepoints_flag_refused(text: str) -> None:
    with pytest.raises(FlagValueError, match="invalid tracepoint config"):
        parse_tracepoints([text])


def test_tracefs_mount() -> None:
    mounts = (
        "proc /proc proc rw 0 0\n"
        "debugfs /sys/kernel/debug debugfs rw 0 0\n"
        "tracefs /sys/kernel/tracing tracefs rw,nosuid 0 0\n"
        "tracefs /sys/kernel/debug/tracing tracefs rw 0 0\n"
    )
    assert tracefs_mount(mounts) == "/sys/kernel/tracing"  # the first one
    assert tracefs_mount("proc /proc proc rw 0 0\n") is None
    assert tracefs_mount("tracefs /t tracefs\n") is None  # GetFSMount wants more than 3 fields
    assert tracefs_mount("") is None


def test_select_events() -> None:
    # NewPerfCollector ORs the named profilers into a set starting at 0; 0 means all.
    assert select_events(HARDWARE_EVENTS, ()) == HARDWARE_EVENTS
    chosen = select_events(HARDWARE_EVENTS, ("CpuInstr", "CpuCycles", "Bogus"))
    assert [e.profiler for e in chosen] == ["CpuCycles", "CpuInstr"]
    assert select_events(SOFTWARE_EVENTS, ("CpuClock",)) == SOFTWARE_EVENTS  # commented out in the map
    assert select_events(CACHE_EVENTS, ("L1InstrReadHit",)) == CACHE_EVENTS
    assert [e.profiler for e in select_events(CACHE_EVENTS, ("BPUReadMiss",))] == ["BPUReadMiss"]


def test_syscall_numbers() -> None:
    assert syscall_number("x86_64", 8) == 298
    assert syscall_number("aarch64", 8) == 241
    assert syscall_number("riscv64", 8) == 241
    assert syscall_number("ppc64le", 8) == 319
    assert syscall_number("s390x", 8) == 331
    assert syscall_number("x86_64", 4) == 336   # a 32-bit Python on a 64-bit kernel
    assert syscall_number("armv7l", 4) == 364
    with pytest.raises(CollectorError, match="unknown syscall number"):
        syscall_number("vax", 8)


def test_ioctl_requests() -> None:
    assert ioctl_request("x86_64", 0) == 0x2400       # PERF_EVENT_IOC_ENABLE
    assert ioctl_request("aarch64", 1) == 0x2401      # PERF_EVENT_IOC_DISABLE
    assert ioctl_request("ppc64le", 0) == 0x20002400  # _IOC_NONE is 1 on powerpc


def test_families_are_node_exporters() -> None:
    # NewPerfCollector's descs: names and HELP texts, each with the one label cpu.
    hardware = {e.family: e.help for e in HARDWARE_EVENTS}
    assert hardware == {
        "node_perf_cpucycles_total": "Number of CPU cycles (frequency scaled)",
        "node_perf_instructions_total": "Number of CPU instructions",
        "node_perf_branch_instructions_total": "Number of CPU branch instructions",
        "node_perf_branch_misses_total": "Number of CPU branch misses",
        "node_perf_cache_refs_total": "Number of cache references (non frequency scaled)",
        "node_perf_cache_misses_total": "Number of cache misses",
        "node_perf_ref_cpucycles_total": "Number of CPU cycles",
        "node_perf_stalled_cycles_backend_total": "Number of stalled backend CPU cycles",
        "node_perf_stalled_cycles_frontend_total": "Number of stalled frontend CPU cycles",
    }
    assert {e.family: (e.config, e.help) for e in SOFTWARE_EVENTS} == {
        "node_perf_page_faults_total": (2, "Number of page faults"),
        "node_perf_context_switches_total": (3, "Number of context switches"),
        "node_perf_cpu_migrations_total": (4, "Number of CPU process migrations"),
        "node_perf_minor_faults_total": (5, "Number of minor page faults"),
        "node_perf_major_faults_total": (6, "Number of major page faults"),
    }
    assert {e.family: e.help for e in CACHE_EVENTS} == {
        "node_perf_cache_l1d_read_hits_total": "Number L1 data cache read hits",
        "node_perf_cache_l1d_read_misses_total": "Number L1 data cache read misses",
        "node_perf_cache_l1d_write_hits_total": "Number L1 data cache write hits",
        "node_perf_cache_l1_instr_read_misses_total": "Number instruction L1 instruction read misses",
        "node_perf_cache_tlb_instr_read_hits_total": "Number instruction TLB read hits",
        "node_perf_cache_tlb_instr_read_misses_total": "Number instruction TLB read misses",
        "node_perf_cache_tlb_data_read_hits_total": "Number of data TLB read hits",
        "node_perf_cache_tlb_data_read_misses_total": "Number of data TLB read misses",
        "node_perf_cache_tlb_data_write_hits_total": "Number of data TLB write hits",
        "node_perf_cache_tlb_data_write_misses_total": "Number of data TLB write misses",
        "node_perf_cache_ll_read_hits_total": "Number last level read hits",
        "node_perf_cache_ll_read_misses_total": "Number last level read misses",
        "node_perf_cache_ll_write_hits_total": "Number last level write hits",
        "node_perf_cache_ll_write_misses_total": "Number last level write misses",
        "node_perf_cache_bpu_read_hits_total": "Number BPU read hits",
        "node_perf_cache_bpu_read_misses_total": "Number BPU read misses",
    }
    # The hardware event configs (PERF_COUNT_HW_*), bus cycles (6) not reported.
    assert sorted(e.config for e in HARDWARE_EVENTS) == [0, 1, 2, 3, 4, 5, 7, 8, 9]
