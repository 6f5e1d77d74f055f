import pytest

from pyexporter.collectors.cpu import (
    CPUStat,
    merge_cpu_stats,
    parse_cpuinfo,
    parse_stat_cpus,
    read_throttles,
)
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError

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


@pytest.mark.parametrize("value", ["٣", "1e400", "0x10", "+nan"])
def test_stat_times_are_go_floats(value: str) -> None:
    # procfs scans the times with fmt.Sscanf's %f, that is strconv.ParseFloat on each word;
    # Python's float() would take the Arabic digit, the overflow to infinity and the signed NaN.
    with pytest.raises(NumberError):
        parse_stat_cpus(f"cpu0 1 {value} 3\n")


def test_stat_times_take_what_go_floats_take() -> None:
    # Hex floats with a p exponent and `_` between digits are ParseFloat's too.
    cpus = parse_stat_cpus("cpu0 0x1p4 1_00 inf\n")
    assert (cpus[0].user, cpus[0].nice, cpus[0].system) == (0.16, 1.0, float("inf"))


@pytest.mark.parametrize("name", ["cpu1_0", "cpu٣", "cpu99999999999999999999"])
def test_stat_cpu_id_is_go_parse_int(name: str) -> None:
    with pytest.raises(CollectorError):
        parse_stat_cpus(f"{name} 1 2 3\n")


@pytest.mark.parametrize(("number", "processor"), [("010", 8), ("0x1f", 31), ("1_0", 10), ("4294967295", 2**32 - 1)])
def test_cpuinfo_processor_is_parse_uint_base_0(number: str, processor: int) -> None:
    # procfs: strconv.ParseUint(field[1], 0, 32); Python's int(x, 0) refuses a leading-zero octal.
    assert parse_cpuinfo(f"processor\t: {number}\n")[0].processor == processor


@pytest.mark.parametrize("number", ["4294967296", "0 ", "-1", "08"])
def test_cpuinfo_processor_out_of_uint32_or_blank_is_refused(number: str) -> None:
    with pytest.raises(NumberError):
        parse_cpuinfo(f"processor\t: {number}\n")


@pytest.mark.parametrize("mhz", ["800 ", "1e400", "٣"])
def test_cpuinfo_mhz_is_go_parse_float(mhz: str) -> None:
    with pytest.raises(NumberError):
        parse_cpuinfo(f"processor\t: 0\ncpu MHz\t\t: {mhz}\n")


def test_throttle_counts_are_read_uint_from_file(tmp_path) -> None:
    # readUintFromFile: trimmed, base 10, uint64; a CPU whose topology does not parse is skipped.
    def cpu(name: str, package: str, core: str, core_count: str, package_count: str) -> None:
        (tmp_path / name / "topology").mkdir(parents=True)
        (tmp_path / name / "thermal_throttle").mkdir()
        (tmp_path / name / "topology" / "physical_package_id").write_text(package)
        (tmp_path / name / "topology" / "core_id").write_text(core)
        (tmp_path / name / "thermal_throttle" / "core_throttle_count").write_text(core_count)
        (tmp_path / name / "thermal_throttle" / "package_throttle_count").write_text(package_count)

    cpu("cpu0", " 0\n", "1\n", "5\n", "18446744073709551616\n")
    cpu("cpu1", "+1\n", "0\n", "7\n", "9\n")
    throttles = read_throttles(str(tmp_path))
    assert throttles.core == {(0, 1): 5}
    assert throttles.package == {}
