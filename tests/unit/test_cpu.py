import pytest

from pyexporter.collectors.cpu import (
    CPUStat,
    merge_cpu_stats,
    parse_cpu_list,
    parse_cpuinfo,
    parse_stat_cpus,
)
from pyexporter.toolkit.collector import CollectorError

STAT = """cpu  300 4 150 20000 30 1 2 0 7 3
cpu0 100 2 50 10000 10 1 2 0 7 3
cpu3 200 2 100 10000 20 0 0 0
intr 5 0 0
ctxt 10
"""


def test_stat_keeps_cpu_ids_and_divides_by_user_hz() -> None:
    cpus = parse_stat_cpus(STAT)
    assert sorted(cpus) == [0, 3]
    assert cpus[0] == CPUStat(1.0, 0.02, 0.5, 100.0, 0.1, 0.01, 0.02, 0.0, 0.07, 0.03)
    # An older kernel's shorter line: the missing guest columns are zero.
    assert cpus[3].user == 2.0 and cpus[3].guest == 0.0 and cpus[3].guest_nice == 0.0


@pytest.mark.parametrize("text", ["", "intr 1 2\n", "cpu 1 2 3\n"])
def test_stat_without_cpu_lines_is_empty(text: str) -> None:
    assert parse_stat_cpus(text) == {}


@pytest.mark.parametrize("text", ["cpu0\n", "cpu0 1 x 3\n", "cpux 1 2 3\n"])
def test_malformed_stat_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_stat_cpus(text)


def test_counters_never_go_backwards() -> None:
    old = CPUStat(user=10.0, idle=100.0, steal=5.0)
    merged = merge_cpu_stats(old, CPUStat(user=9.0, idle=99.0, steal=6.0))
    assert merged.user == 10.0 and merged.idle == 100.0 and merged.steal == 6.0


def test_large_idle_jump_back_resets_the_cpu() -> None:
    old = CPUStat(user=10.0, idle=100.0)
    assert merge_cpu_stats(old, CPUStat(user=1.0, idle=5.0)) == CPUStat(user=1.0, idle=5.0)
    assert merge_cpu_stats(None, CPUStat(idle=1.0)) == CPUStat(idle=1.0)


CPUINFO = """
processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 142
model name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz
stepping\t: 10
microcode\t: 0xb4
cpu MHz\t\t: 799.998
cache size\t: 8192 KB
physical id\t: 0
core id\t\t: 1
flags\t\t: fpu aes avx
bugs\t\t: cpu_meltdown mds
power management:

processor\t: 1
cpu MHz\t\t: 800
"""


def test_cpuinfo_x86() -> None:
    first, second = parse_cpuinfo(CPUINFO)
    assert first.processor == 0
    assert first.vendor_id == "GenuineIntel"
    assert first.cpu_family == "6" and first.model == "142" and first.stepping == "10"
    assert first.model_name == "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"
    assert first.microcode == "0xb4" and first.cache_size == "8192 KB"
    assert first.physical_id == "0" and first.core_id == "1"
    assert first.cpu_mhz == 799.998
    assert first.flags == ["fpu", "aes", "avx"] and first.bugs == ["cpu_meltdown", "mds"]
    assert second.processor == 1 and second.cpu_mhz == 800.0 and second.vendor_id == ""


def test_cpuinfo_arm_features_become_flags() -> None:
    text = "processor\t: 0\nBogoMIPS\t: 50.00\nprocessor\t: 1\nFeatures\t: fp asimd aes\n"
    cpus = parse_cpuinfo(text)
    assert [c.flags for c in cpus] == [["fp", "asimd", "aes"]] * 2


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "vendor_id : x\n", "processor\t: zero\n", "processor\t: 0\ncpu MHz\t: fast\n",
     "processor\t: 0\nprocessor\t: \n"],
)
def test_malformed_cpuinfo_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_cpuinfo(text)


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("1,3-5,9\n", [1, 3, 4, 5, 9]), ("\n", []), ("", []), ("0", [0]), ("2-2", [2])],
)
def test_cpu_list(text: str, cpus: list[int]) -> None:
    assert parse_cpu_list(text) == cpus


@pytest.mark.parametrize("text", ["a", "1-", "1-2-3", "1,,x"])
def test_malformed_cpu_list_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_cpu_list(text)
