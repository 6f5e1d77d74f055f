"""The container collector's pure parsers on literal strings, and read_v1 / read_v2 on small cgroup
directories written here (file contents as the kernel writes them)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from pyexporter.collectors.container import (
    CgroupLine,
    CgroupStats,
    count_ids,
    parse_blkio,
    parse_cfs_quota,
    parse_cpu_max,
    parse_flat_keyed,
    parse_io_stat,
    parse_name_rule,
    parse_proc_cgroup,
    parse_psi_totals,
    parse_single_uint,
    read_v1,
    read_v2,
    shares_from_weight,
)
from pyexporter.flags import FlagValueError
from pyexporter.toolkit.collector import CollectorError

U64_MAX = (1 << 64) - 1
# The kernel's v1 "no limit" (PAGE_COUNTER_MAX pages of 4 KiB): below 2^64, above cAdvisor's 2^62.
V1_UNLIMITED = 9223372036854771712

# -- /proc/PID/cgroup ------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2:cpu,cpuacct:/docker/x\n", [CgroupLine("2", ("cpu", "cpuacct"), "/docker/x")]),
    ("1:name=systemd:/\n", [CgroupLine("1", ("name=systemd",), "/")]),
    ("0::/system.slice/docker-x.scope\n", [CgroupLine("0", (), "/system.slice/docker-x.scope")]),
    ("0::/kubepods/pod1:x:y\n", [CgroupLine("0", (), "/kubepods/pod1:x:y")]),
    ("0::/../docker-y.scope\n", [CgroupLine("0", (), "/../docker-y.scope")]),
    ("", []),
])
def test_parse_proc_cgroup_one_line(text: str, expected: list[CgroupLine]) -> None:
    assert parse_proc_cgroup(text) == expected


def test_parse_proc_cgroup_hybrid_file_skips_blank_lines() -> None:
    text = "12:pids:/user.slice\n\n4:cpu,cpuacct:/user.slice\n1:name=systemd:/user.slice/session-1.scope\n0::/\n\n"
    assert parse_proc_cgroup(text) == [
        CgroupLine("12", ("pids",), "/user.slice"),
        CgroupLine("4", ("cpu", "cpuacct"), "/user.slice"),
        CgroupLine("1", ("name=systemd",), "/user.slice/session-1.scope"),
        CgroupLine("0", (), "/"),
    ]


@pytest.mark.parametrize("text", ["garbage\n", "3:cpu\n", "3:cpu:relative/path\n", "0::\n", "0::/\nbad\n"])
def test_parse_proc_cgroup_garbage(text: str) -> None:
    with pytest.raises(CollectorError, match="unexpected cgroup line"):
        parse_proc_cgroup(text)


# -- flat keyed files ------------------------------------------------------------------------------

MEMORY_STAT_V1 = (
    "cache 9830400\nrss 5586944\nrss_huge 0\nshmem 9084928\nmapped_file 7479296\nswap 0\n"
    "inactive_file 16384\nactive_file 729088\nhierarchical_memory_limit 9223372036854771712\n"
    "total_cache 4225224704\ntotal_rss 9863168\ntotal_swap 4096\ntotal_inactive_file 2087649280\n"
)
MEMORY_STAT_V2 = (
    "anon 1097728\nfile 4096000\nkernel 491520\nkernel_stack 65536\nsock 0\nshmem 0\nfile_mapped 1228800\n"
    "inactive_anon 1069056\nactive_anon 28672\ninactive_file 3002368\nactive_file 1093632\nunevictable 0\n"
    "pgfault 1725\nthp_fault_alloc 0\n"
)
CPU_STAT_V1 = "nr_periods 120\nnr_throttled 7\nthrottled_time 2500000000\nnr_bursts 0\nburst_time 0\n"
CPU_STAT_V2 = (
    "usage_usec 8285002020\nuser_usec 5722525138\nsystem_usec 2562476881\nnice_usec 4000\n"
    "core_sched.force_idle_usec 0\nnr_periods 40\nnr_throttled 4\nthrottled_usec 1500000\n"
    "nr_bursts 0\nburst_usec 0\n"
)


@pytest.mark.parametrize("text, key, value, count", [
    (MEMORY_STAT_V1, "total_rss", 9863168, 13),
    (MEMORY_STAT_V1, "hierarchical_memory_limit", V1_UNLIMITED, 13),
    (MEMORY_STAT_V2, "inactive_file", 3002368, 14),
    (CPU_STAT_V1, "throttled_time", 2500000000, 5),
    (CPU_STAT_V2, "core_sched.force_idle_usec", 0, 10),
    (CPU_STAT_V2, "usage_usec", 8285002020, 10),
    ("user 577457\nsystem 258577\n\n", "system", 258577, 2),
])
def test_parse_flat_keyed(text: str, key: str, value: int, count: int) -> None:
    parsed = parse_flat_keyed(text)
    assert parsed[key] == value
    assert len(parsed) == count


@pytest.mark.parametrize("text, match", [
    ("nr_periods 1 2\n", "unexpected line"),
    ("nr_periods\n", "unexpected line"),
    ("rss lots\n", "parsing 'lots'"),
    ("rss -1\n", "parsing '-1'"),
    ("rss 18446744073709551616\n", "out of range"),
])
def test_parse_flat_keyed_malformed(text: str, match: str) -> None:
    with pytest.raises(CollectorError, match=match):
        parse_flat_keyed(text, "memory.stat")


# -- single values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("max\n", U64_MAX), ("9223372036854771712\n", V1_UNLIMITED), ("1024\n", 1024), ("0", 0),
])
def test_parse_single_uint(text: str, expected: int) -> None:
    assert parse_single_uint(text) == expected


@pytest.mark.parametrize("text", ["", "\n", "-1\n", "12 34\n"])
def test_parse_single_uint_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_single_uint(text, "memory.max")


@pytest.mark.parametrize("text, expected", [
    ("max 100000\n", (0, 100000)), ("50000 100000\n", (50000, 100000)), ("200000 250000", (200000, 250000)),
])
def test_parse_cpu_max(text: str, expected: tuple[int, int]) -> None:
    assert parse_cpu_max(text) == expected


@pytest.mark.parametrize("text", ["", "max\n", "50000\n", "half 100000\n", "max max\n", "1 2 3\n"])
def test_parse_cpu_max_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_cpu_max(text)


@pytest.mark.parametrize("text, expected", [("-1\n", 0), ("50000\n", 50000), ("0\n", 0)])
def test_parse_cfs_quota(text: str, expected: int) -> None:
    assert parse_cfs_quota(text) == expected


def test_parse_cfs_quota_garbage() -> None:
    with pytest.raises(CollectorError):
        parse_cfs_quota("-2\n")


# cAdvisor's convertCPUWeightToCPULimit is 2 + ((w-1)*262142)/9999, the inverse of runc's
# ConvertCPUSharesToCgroupV2Value 1 + ((s-2)*9999)/262142. Docker's default 1024 shares become
# weight 39, which maps back to 998; systemd's default weight 100 maps to 2597 (not 1024).
@pytest.mark.parametrize("weight, shares", [
    (1, 2), (39, 998), (100, 2597), (5000, 131059), (10000, 262144), (0, 0), (10001, 0),
])
def test_shares_from_weight(weight: int, shares: int) -> None:
    assert shares_from_weight(weight) == shares


@pytest.mark.parametrize("shares", [2, 512, 1024, 4096, 262144])
def test_shares_from_weight_inverts_runc(shares: int) -> None:
    weight = 1 + ((shares - 2) * 9999) // 262142
    # Integer division loses up to one weight step (26 shares) on the way there and back.
    assert 0 <= shares - shares_from_weight(weight) <= 27


# -- blkio and io.stat -----------------------------------------------------------------------------

BLKIO_THROTTLE = (
    "8:0 Read 4096000\n8:0 Write 12288\n8:0 Sync 4108288\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4108288\n"
    "253:0 Read 1024\n253:0 Write 2048\n253:0 Sync 3072\n253:0 Async 0\n253:0 Discard 0\n253:0 Total 3072\n"
    "Total 4111360\n"
)


def test_parse_blkio() -> None:
    assert parse_blkio(BLKIO_THROTTLE) == {
        (8, 0): {"Read": 4096000, "Write": 12288, "Sync": 4108288, "Async": 0, "Discard": 0, "Total": 4108288},
        (253, 0): {"Read": 1024, "Write": 2048, "Sync": 3072, "Async": 0, "Discard": 0, "Total": 3072},
    }


@pytest.mark.parametrize("text", ["", "Total 0\n", "\n"])
def test_parse_blkio_nothing(text: str) -> None:
    assert parse_blkio(text) == {}


@pytest.mark.parametrize("text", ["8:0 Read\n", "8-0 Read 1\n", "8:0 Read x\n", "Total\n"])
def test_parse_blkio_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_blkio(text)


def test_parse_io_stat() -> None:
    text = (
        "8:0 rbytes=90112 wbytes=4096 rios=13 wios=1 dbytes=512 dios=2\n"
        "253:0 rbytes=1024 wbytes=0 rios=1 wios=0 dbytes=0 dios=0 debug\n"
        "\n"
        "7:1\n"
    )
    parsed = parse_io_stat(text)
    assert parsed[(8, 0)] == {"rbytes": 90112, "wbytes": 4096, "rios": 13, "wios": 1, "dbytes": 512, "dios": 2}
    # A device with nothing counted is skipped, as runc's statIo skips it.
    assert (7, 1) not in parsed
    assert "debug" not in parsed[(253, 0)] and parsed[(253, 0)]["rbytes"] == 1024


# The root cgroup's io.stat with blk-iocost enabled (block/blk-iocost.c ioc_pd_stat), and a cgroup's with
# blk-iolatency and blkcg_debug_stats (iolatency_pd_stat): runc's fs2 statIo skips keys it does not map
# before parsing their values, so neither fails there.
@pytest.mark.parametrize("text", [
    "8:0 rbytes=90112 wbytes=4096 rios=13 wios=1 dbytes=0 dios=0 cost.vrate=100.00 cost.usage=2\n",
    "8:0 rbytes=90112 wbytes=4096 rios=13 wios=1 dbytes=0 dios=0 depth=max avg_lat=0 win=0\n",
])
def test_parse_io_stat_skips_unmapped_values(text: str) -> None:
    assert parse_io_stat(text)[(8, 0)]["wbytes"] == 4096


@pytest.mark.parametrize("text", ["rbytes=1\n", "8:0 rbytes=x\n"])
def test_parse_io_stat_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_io_stat(text)


# -- PSI, id lists, name rules ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("some avg10=0.33 avg60=2.38 avg300=1.63 total=542414464\n"
     "full avg10=0.00 avg60=0.00 avg300=0.00 total=418680988\n", {"some": 542414464, "full": 418680988}),
    ("some avg10=0.00 avg60=0.00 avg300=0.00 total=1200\n", {"some": 1200}),  # cpu.pressure before Linux 5.13
    ("", {}),
])
def test_parse_psi_totals(text: str, expected: dict[str, int]) -> None:
    assert parse_psi_totals(text) == expected


@pytest.mark.parametrize("text", ["partial avg10=0.00 total=1\n", "some total=x\n"])
def test_parse_psi_totals_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_psi_totals(text)


@pytest.mark.parametrize("text, count", [("", 0), ("1\n", 1), ("1\n22\n333\n", 3), ("1\n\n 2\n", 2)])
def test_count_ids(text: str, count: int) -> None:
    assert count_ids(text) == count


def test_parse_name_rule() -> None:
    plain = parse_name_rule("server")
    assert plain.pattern is None and plain.name == "server"
    rule = parse_name_rule("/docker/.*=api")
    assert rule.name == "api" and rule.pattern is not None
    assert rule.pattern.fullmatch("/docker/abc") and not rule.pattern.fullmatch("/system.slice/docker/abc")
    # The last "=" splits: a regex may hold "=", a name may not.
    assert parse_name_rule("/a=b/.*=c").name == "c"


def test_parse_name_rule_bad_regex() -> None:
    with pytest.raises(FlagValueError, match="invalid regular expression"):
        parse_name_rule("/docker/(.*=api")


# -- read_v1 / read_v2 on directory trees ----------------------------------------------------------

def write_files(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def v1_dirs(root: Path, files: Mapping[str, str]) -> dict[str, str]:
    """The controller directories of one v1 cgroup (FILES: "controller/file" -> text)."""
    write_files(root, files)
    return {rel.split("/")[0]: str(root / rel.split("/")[0]) for rel in files}


V1_FULL = {
    "cpuacct/cpuacct.usage": "123456789000\n",
    "cpuacct/cpuacct.stat": "user 150\nsystem 50\n",
    "cpu/cpu.stat": CPU_STAT_V1,
    "cpu/cpu.shares": "512\n",
    "cpu/cpu.cfs_period_us": "100000\n",
    "cpu/cpu.cfs_quota_us": "50000\n",
    "cpu/cgroup.procs": "101\n102\n",
    "cpu/tasks": "101\n102\n103\n",
    "memory/memory.usage_in_bytes": "3000000000\n",
    "memory/memory.stat": MEMORY_STAT_V1,
    "memory/memory.use_hierarchy": "1\n",
    "memory/memory.failcnt": "7\n",
    "memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    "memory/memory.limit_in_bytes": "9223372036854771712\n",
    "blkio/blkio.throttle.io_service_bytes_recursive": BLKIO_THROTTLE,
    "pids/pids.current": "5\n",
}


def test_read_v1_full(tmp_path: Path) -> None:
    stats = read_v1(v1_dirs(tmp_path, V1_FULL))
    assert stats == CgroupStats(
        usage_seconds=123.456789, user_seconds=1.5, system_seconds=0.5,
        cfs_periods=120, cfs_throttled_periods=7, cfs_throttled_seconds=2.5,
        memory_usage=3000000000, working_set=3000000000 - 2087649280, rss=9863168, cache=4225224704, swap=4096,
        failcnt=7, oom_kills=2, memory_limit=V1_UNLIMITED, cpu_quota=50000, cpu_period=100000, cpu_shares=512,
        io={(8, 0): (4096000, 12288), (253, 0): (1024, 2048)}, processes=2, threads=5,
    )


@pytest.mark.parametrize("use_hierarchy, rss, cache, swap", [
    ("1\n", 9863168, 4225224704, 4096),  # total_* keys
    ("0\n", 5586944, 9830400, 0),  # the cgroup's own keys
    (None, 9863168, 4225224704, 4096),  # no file: hierarchical when total_cache is there
])
def test_read_v1_memory_hierarchy(tmp_path: Path, use_hierarchy: str | None, rss: int, cache: int,
                                  swap: int) -> None:
    files = {"memory/memory.usage_in_bytes": "3000000000\n", "memory/memory.stat": MEMORY_STAT_V1}
    if use_hierarchy is not None:
        files["memory/memory.use_hierarchy"] = use_hierarchy
    stats = read_v1(v1_dirs(tmp_path, files))
    assert (stats.rss, stats.cache, stats.swap) == (rss, cache, swap)
    # The working set subtracts total_inactive_file either way, as cAdvisor does on v1.
    assert stats.working_set == 3000000000 - 2087649280


def test_read_v1_flat_memory_stat_without_use_hierarchy(tmp_path: Path) -> None:
    stats = read_v1(v1_dirs(tmp_path, {"memory/memory.usage_in_bytes": "4096\n",
                                       "memory/memory.stat": "cache 100\nrss 200\ninactive_file 50\n"}))
    assert (stats.rss, stats.cache, stats.swap) == (200, 100, None)
    assert stats.working_set == 4096  # no total_inactive_file: the whole usage


@pytest.mark.parametrize("usage, inactive, working_set", [
    (1000, 5000, 0), (5000, 5000, 0), (5001, 5000, 1), (0, 0, 0),
])
def test_read_v1_working_set_floored_at_zero(tmp_path: Path, usage: int, inactive: int, working_set: int) -> None:
    stats = read_v1(v1_dirs(tmp_path, {"memory/memory.usage_in_bytes": f"{usage}\n",
                                       "memory/memory.stat": f"total_cache 0\ntotal_inactive_file {inactive}\n"}))
    assert (stats.memory_usage, stats.working_set) == (usage, working_set)


def test_read_v1_missing_files_are_none(tmp_path: Path) -> None:
    dirs = v1_dirs(tmp_path, {"cpuacct/cpuacct.usage": "1000000000\n",
                              "memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\n"})  # before 4.13
    dirs["cpu"] = str(tmp_path / "cpu")
    dirs["blkio"] = str(tmp_path / "blkio")
    dirs["pids"] = str(tmp_path / "pids")
    for name in ("cpu", "blkio", "pids"):
        (tmp_path / name).mkdir()
    stats = read_v1(dirs)
    assert stats.usage_seconds == 1.0
    assert stats == CgroupStats(usage_seconds=1.0)


def test_read_v1_no_directories() -> None:
    assert read_v1({}) == CgroupStats()


@pytest.mark.parametrize("files, io", [
    # BFQ and CFQ files there but empty (their scheduler is not in use): the throttle file.
    ({"blkio.bfq.io_service_bytes_recursive": "Total 0\n", "blkio.io_service_bytes_recursive": "",
      "blkio.throttle.io_service_bytes_recursive": BLKIO_THROTTLE, "blkio.throttle.io_service_bytes": "8:16 Read 9\n"},
     {(8, 0): (4096000, 12288), (253, 0): (1024, 2048)}),
    # BFQ in use: it wins over the throttle file.
    ({"blkio.bfq.io_service_bytes_recursive": "8:0 Read 10\n8:0 Write 20\nTotal 30\n",
      "blkio.throttle.io_service_bytes_recursive": BLKIO_THROTTLE}, {(8, 0): (10, 20)}),
    # CFQ before throttle.
    ({"blkio.io_service_bytes_recursive": "8:0 Read 1\n8:0 Total 1\nTotal 1\n",
      "blkio.throttle.io_service_bytes_recursive": BLKIO_THROTTLE}, {(8, 0): (1, 0)}),
    # Only the non-recursive throttle file (old kernels).
    ({"blkio.throttle.io_service_bytes": "8:16 Write 9\nTotal 9\n"}, {(8, 16): (0, 9)}),
    ({"blkio.throttle.io_service_bytes_recursive": "Total 0\n"}, {}),
])
def test_read_v1_blkio_fallback_order(tmp_path: Path, files: dict[str, str], io: dict[tuple[int, int], tuple[int, int]]
                                      ) -> None:
    stats = read_v1(v1_dirs(tmp_path, {f"blkio/{name}": text for name, text in files.items()}))
    assert stats.io == io


@pytest.mark.parametrize("files, processes, threads", [
    ({"cpu/cgroup.procs": "1\n2\n", "cpu/tasks": "1\n2\n3\n", "pids/pids.current": "9\n"}, 2, 9),
    ({"cpu/cgroup.procs": "1\n2\n", "cpu/tasks": "1\n2\n3\n"}, 2, 3),  # no pids controller
    ({"cpu/cgroup.procs": "1\n", "cpu/tasks": "1\n4\n", "pids/cgroup.procs": "1\n"}, 1, 2),  # no pids.current
    ({"memory/cgroup.procs": "7\n", "memory/tasks": "7\n8\n"}, 1, 2),  # neither cpu nor cpuacct
    ({"pids/pids.current": "0\n"}, None, 0),
])
def test_read_v1_processes_and_threads(tmp_path: Path, files: dict[str, str], processes: int | None,
                                       threads: int | None) -> None:
    stats = read_v1(v1_dirs(tmp_path, files))
    assert (stats.processes, stats.threads) == (processes, threads)


V2_FULL = {
    "cpu.stat": CPU_STAT_V2,
    "cpu.max": "50000 100000\n",
    "cpu.weight": "100\n",
    "memory.current": "8000000\n",
    "memory.stat": MEMORY_STAT_V2,
    "memory.swap.current": "4096\n",
    "memory.events": "low 0\nhigh 0\nmax 12\noom 3\noom_kill 1\noom_group_kill 0\n",
    "memory.max": "max\n",
    "io.stat": "8:0 rbytes=90112 wbytes=4096 rios=13 wios=1 dbytes=0 dios=0\n",
    "cpu.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=2500000\n",
    "memory.pressure": "some avg10=0.00 avg60=0.00 avg300=0.00 total=300\n"
                       "full avg10=0.00 avg60=0.00 avg300=0.00 total=100\n",
    "cgroup.procs": "201\n202\n203\n",
    "cgroup.threads": "201\n202\n203\n204\n",
    "pids.current": "6\n",
}


def test_read_v2_full(tmp_path: Path) -> None:
    write_files(tmp_path, V2_FULL)
    assert read_v2(str(tmp_path)) == CgroupStats(
        usage_seconds=8285.00202, user_seconds=5722.525138, system_seconds=2562.476881,
        cfs_periods=40, cfs_throttled_periods=4, cfs_throttled_seconds=1.5,
        memory_usage=8000000, working_set=8000000 - 3002368, rss=1097728, cache=4096000, swap=4096,
        oom_kills=1, memory_limit=U64_MAX, cpu_quota=50000, cpu_period=100000, cpu_shares=2597,
        io={(8, 0): (90112, 4096)},
        pressure={("cpu", "some"): 2.5, ("memory", "some"): 0.0003, ("memory", "full"): 0.0001},
        processes=3, threads=6,
    )


def test_read_v2_no_quota_no_weight(tmp_path: Path) -> None:
    write_files(tmp_path, {"cpu.max": "max 100000\n", "memory.max": "536870912\n"})
    stats = read_v2(str(tmp_path))
    assert (stats.cpu_quota, stats.cpu_period, stats.cpu_shares, stats.memory_limit) == (0, 100000, 0, 536870912)


def test_read_v2_root_cgroup_is_mostly_none(tmp_path: Path) -> None:
    # The root cgroup: cpu.stat without the CFS keys, no cpu.max, no memory.current, no memory.max.
    write_files(tmp_path, {"cpu.stat": "usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n",
                           "cgroup.procs": "1\n", "cgroup.threads": "1\n2\n"})
    assert read_v2(str(tmp_path)) == CgroupStats(usage_seconds=2.0, user_seconds=1.5, system_seconds=0.5,
                                                 processes=1, threads=2)


@pytest.mark.parametrize("usage, inactive, working_set", [("100\n", "500", 0), ("500\n", "100", 400)])
def test_read_v2_working_set_floored_at_zero(tmp_path: Path, usage: str, inactive: str, working_set: int) -> None:
    write_files(tmp_path, {"memory.current": usage, "memory.stat": f"anon 1\nfile 2\ninactive_file {inactive}\n"})
    assert read_v2(str(tmp_path)).working_set == working_set


def test_read_v2_empty_directory(tmp_path: Path) -> None:
    assert read_v2(str(tmp_path)) == CgroupStats()


@pytest.mark.parametrize("name, text", [
    ("cpu.stat", "usage_usec 1 2\n"), ("memory.max", "\n"), ("cpu.max", "max\n"), ("io.stat", "8:0 rbytes=x\n"),
    ("io.pressure", "sometimes total=1\n"),
])
def test_read_v2_malformed_file(tmp_path: Path, name: str, text: str) -> None:
    write_files(tmp_path, {name: text})
    with pytest.raises(CollectorError):
        read_v2(str(tmp_path))
