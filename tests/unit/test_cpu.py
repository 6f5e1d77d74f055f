import re

import pytest

from pyexporter.collectors.cpu import (
    merge_cpu_stats,
    parse_cpuinfo,
    parse_cpuinfo_arm,
    parse_cpuinfo_loong,
    parse_cpuinfo_mips,
    parse_cpuinfo_ppc,
    parse_cpuinfo_riscv,
    parse_cpuinfo_s390x,
    parse_cpuinfo_x86,
    read_online,
    read_throttles,
)
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError
from pyexporter.toolkit.procstat import CPUStat, parse_stat_cpus

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


@pytest.mark.parametrize("text", ["", "intr 1 2\n", "cpu 1 2 3\n", "cpu0\n"])
def test_stat_without_cpu_lines_is_empty(text: str) -> None:
    assert parse_stat_cpus(text) == {}


# The total line is parsed as procfs parses it, though only the per-CPU lines are reported.
@pytest.mark.parametrize("text", ["cpu0 1 x 3\n", "cpux 1 2 3\n", "cpu  abc 612 1\ncpu0 1 2 3\n"])
def test_malformed_stat_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_stat_cpus(text)


def test_stat_cpu_lines_are_found_by_their_first_field() -> None:
    # procfs splits each line with strings.Fields: blanks of any kind around the name count too.
    text = "intr 1 " + "0 " * 5000 + "\n cpu1\t100 2 50 10000\ncpuid 1\n"
    with pytest.raises(CollectorError):
        parse_stat_cpus(text)
    cpus = parse_stat_cpus(text.replace("cpuid 1\n", ""))
    assert cpus == {1: CPUStat(1.0, 0.02, 0.5, 100.0)}


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
    first, second = parse_cpuinfo_x86(CPUINFO)
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
    # procfs parseCPUInfoARM: the one Features line is every CPU's flags.
    text = "processor\t: 0\nBogoMIPS\t: 50.00\nprocessor\t: 1\nFeatures\t: fp asimd aes\n"
    cpus = parse_cpuinfo(text, "aarch64")
    assert [c.flags for c in cpus] == [["fp", "asimd", "aes"]] * 2
    # parseCPUInfoX86 ignores Features.
    assert [c.flags for c in parse_cpuinfo(text, "x86_64")] == [[], []]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "vendor_id : x\n", "processor\t: zero\n", "processor\t: 0\ncpu MHz\t: fast\n",
     "processor\t: 0\nprocessor\t: \n"],
)
def test_malformed_cpuinfo_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_cpuinfo_x86(text)


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
    assert parse_cpuinfo_x86(f"processor\t: {number}\n")[0].processor == processor


@pytest.mark.parametrize("number", ["4294967296", "0 ", "-1", "08"])
def test_cpuinfo_processor_out_of_uint32_or_blank_is_refused(number: str) -> None:
    with pytest.raises(NumberError):
        parse_cpuinfo_x86(f"processor\t: {number}\n")


@pytest.mark.parametrize("mhz", ["800 ", "1e400", "٣"])
def test_cpuinfo_mhz_is_go_parse_float(mhz: str) -> None:
    with pytest.raises(NumberError):
        parse_cpuinfo_x86(f"processor\t: 0\ncpu MHz\t\t: {mhz}\n")


def test_online_is_the_trimmed_text_1(tmp_path) -> None:
    # sysfs CPU.Online: bytes.TrimSpace(content) is "1" (online) or "0"; anything else is an error,
    # which updateOnline reports as offline, as an unreadable file.
    for name, text in (("cpu0", "1\n"), ("cpu1", " 1 \n"), ("cpu2", "1\n0\n"), ("cpu3", "0\n"), ("cpu4", None)):
        (tmp_path / name).mkdir()
        if text is not None:
            (tmp_path / name / "online").write_text(text)
    assert read_online(str(tmp_path)) == [("0", True), ("1", True), ("2", False), ("3", False), ("4", False)]
    (tmp_path / "cpu0" / "online").unlink()
    assert read_online(str(tmp_path)) == []


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
    assert read_throttles(str(tmp_path), ["cpu1"]) == read_throttles(str(tmp_path), [])


def test_throttle_counts_read_once_per_core_and_package(tmp_path) -> None:
    # updateThermalThrottle: a core's count from the first CPU of that core, a package's from the
    # first CPU of that package; a CPU whose count is missing leaves it for the next one.
    def cpu(name: str, package: int, core: int, counts: tuple[str | None, str | None]) -> None:
        (tmp_path / name / "topology").mkdir(parents=True)
        (tmp_path / name / "thermal_throttle").mkdir()
        (tmp_path / name / "topology" / "physical_package_id").write_text(f"{package}\n")
        (tmp_path / name / "topology" / "core_id").write_text(f"{core}\n")
        for file, count in zip(("core_throttle_count", "package_throttle_count"), counts, strict=True):
            if count is not None:
                (tmp_path / name / "thermal_throttle" / file).write_text(count)

    cpu("cpu0", 0, 0, ("1", None))
    cpu("cpu1", 0, 0, ("2", "3"))
    cpu("cpu2", 0, 1, (None, "4"))
    cpu("cpu3", 1, 0, ("5", "6"))
    cpu("cpu4", 0, 1, ("7", "8"))
    throttles = read_throttles(str(tmp_path))
    assert throttles.core == {(0, 0): 1, (0, 1): 7, (1, 0): 5}
    assert throttles.package == {0: 3, 1: 6}


# One small /proc/cpuinfo per architecture procfs parses (cpuinfo_test.go's cases), written here.
CPUINFO_ARM6 = """Processor\t: ARMv6-compatible processor rev 7 (v6l)
BogoMIPS\t: 697.95
Features\t: half thumb fastmult vfp edsp java tls
CPU implementer\t: 0x41

Hardware\t: BCM2835
"""

CPUINFO_ARM7 = """Processor : ARMv7 Processor rev 5 (v7l)
processor : 0
BogoMIPS : 2400.00

processor : 1
BogoMIPS : 2400.00

Features : swp half thumb fastmult vfp edsp neon
CPU architecture: 7
"""

CPUINFO_ARM7_MODEL_NAME = """processor\t: 0
model name\t: ARMv7 Processor rev 3 (v7l)
BogoMIPS\t: 108.00
Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm crc32

processor\t: 1
model name\t: ARMv7 Processor rev 3 (v7l)
BogoMIPS\t: 108.00
Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm crc32
"""

CPUINFO_ARM64 = """processor\t: 0
BogoMIPS\t: 200.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid
CPU implementer\t: 0x43
CPU part\t: 0x0af

processor\t: 1
BogoMIPS\t: 200.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid
CPU implementer\t: 0x43
"""


def test_cpuinfo_arm6_processor_header_is_one_cpu() -> None:
    # parseCPUInfoARM: a `Processor : name` header, no `processor` lines: BogoMIPS opens CPU 0.
    (cpu,) = parse_cpuinfo_arm(CPUINFO_ARM6)
    assert cpu.processor == 0 and cpu.model_name == "ARMv6-compatible processor rev 7 (v6l)"
    assert cpu.flags == ["half", "thumb", "fastmult", "vfp", "edsp", "java", "tls"]


def test_cpuinfo_arm7_header_names_every_cpu() -> None:
    # parseCPUInfoARM: the header's name is common to the processors that follow.
    cpus = parse_cpuinfo_arm(CPUINFO_ARM7)
    assert [c.processor for c in cpus] == [0, 1]
    assert {c.model_name for c in cpus} == {"ARMv7 Processor rev 5 (v7l)"}
    assert cpus[1].flags[2] == "thumb"


def test_cpuinfo_arm7_model_name_lines() -> None:
    # parseCPUInfoARM: per-processor `model name` lines.
    cpus = parse_cpuinfo_arm(CPUINFO_ARM7_MODEL_NAME)
    assert [c.model_name for c in cpus] == ["ARMv7 Processor rev 3 (v7l)"] * 2
    assert cpus[0].flags[-1] == "crc32" and cpus[0].vendor_id == ""


def test_cpuinfo_arm64() -> None:
    # parseCPUInfoARM on aarch64 text: no model name, flags from Features.
    cpus = parse_cpuinfo(CPUINFO_ARM64, "aarch64")
    assert [c.processor for c in cpus] == [0, 1]
    assert cpus[1].flags == ["fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "cpuid"]
    assert cpus[0].model_name == "" and cpus[0].cpu_mhz == 0.0


def test_cpuinfo_arm_without_features_has_no_flags() -> None:
    # Go's parseCPUInfoARM indexes past an empty split and panics; we report no flags.
    assert parse_cpuinfo_arm("processor\t: 0\nBogoMIPS\t: 1.00\n")[0].flags == []


@pytest.mark.parametrize("text", ["", "cpu\t: x\n", "processor\t: x\n", "Processor : a\nmodel name\t: b\n",
                                  "processor\t: 0\nBogoMIPS\t: fast\n"])
def test_malformed_arm_cpuinfo_is_refused(text: str) -> None:
    with pytest.raises((CollectorError, NumberError)):
        parse_cpuinfo_arm(text)


CPUINFO_S390X = """vendor_id       : IBM/S390
# processors    : 2
bogomips per cpu: 3033.00
max thread id   : 0
features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx sie
cache0          : level=1 type=Data scope=Private size=128K line_size=256 associativity=8
processor 0: version = FF,  identification = 2733E8,  machine = 2964
processor 1: version = FF,  identification = 2733E8,  machine = 2964

cpu number      : 0
physical id     : 1
core id         : 0
cpu MHz dynamic : 5000
cpu MHz static  : 5000

cpu number      : 1
physical id     : 1
core id         : 1
cpu MHz dynamic : 4200.5 MHz
cpu MHz static  : 5000
"""


def test_cpuinfo_s390x() -> None:
    # parseCPUInfoS390X: common vendor and features, then per-CPU `cpu number` blocks.
    cpus = parse_cpuinfo(CPUINFO_S390X, "s390x")
    assert [c.processor for c in cpus] == [0, 1]
    assert {c.vendor_id for c in cpus} == {"IBM/S390"}
    assert cpus[1].flags[4] == "ldisp"
    assert [c.cpu_mhz for c in cpus] == [5000.0, 4200.5]
    assert [(c.physical_id, c.core_id) for c in cpus] == [("1", "0"), ("1", "1")]


def test_cpuinfo_s390x_needs_vendor_first() -> None:
    with pytest.raises(CollectorError):
        parse_cpuinfo_s390x("processor 0: version = FF\n")


CPUINFO_PPC64 = """processor\t: 0
cpu\t\t: POWER9 (architected), altivec supported
clock\t\t: 2166.000000MHz
revision\t: 2.2 (pvr 004e 1202)

processor\t: 1
cpu\t\t: POWER9 (architected), altivec supported
clock\t\t: 3000.000000MHz
revision\t: 2.2 (pvr 004e 1202)

timebase\t: 512000000
platform\t: pSeries
model\t\t: IBM pSeries (emulated by qemu)
"""


def test_cpuinfo_ppc64() -> None:
    # parseCPUInfoPPC: `cpu` is the vendor, the digits of `clock` the MHz.
    cpus = parse_cpuinfo(CPUINFO_PPC64, "ppc64le")
    assert parse_cpuinfo_ppc(CPUINFO_PPC64) == cpus
    assert [c.processor for c in cpus] == [0, 1]
    assert cpus[0].vendor_id == "POWER9 (architected), altivec supported"
    assert [c.cpu_mhz for c in cpus] == [2166.0, 3000.0]
    assert cpus[1].model == ""


CPUINFO_RISCV = """processor\t: 0
hart\t\t: 4
isa\t\t: rv64imafdcsu
mmu\t\t: sv39
uarch\t\t: sifive,u74-mc

processor\t: 1
hart\t\t: 1
isa\t\t: rv64imafdcsu
mmu\t\t: sv39
"""


def test_cpuinfo_riscv() -> None:
    # parseCPUInfoRISCV: `hart` is the core id, `isa` the model name.
    cpus = parse_cpuinfo(CPUINFO_RISCV, "riscv64")
    assert [(c.processor, c.core_id, c.model_name) for c in cpus] == [
        (0, "4", "rv64imafdcsu"), (1, "1", "rv64imafdcsu")]


def test_cpuinfo_riscv_with_an_offline_cpu() -> None:
    # Go's parseCPUInfoRISCV indexes cpuinfo[3] of a 2-long slice and panics; we keep the CPU.
    cpus = parse_cpuinfo_riscv("processor\t: 0\nhart\t: 0\n\nprocessor\t: 3\nhart\t: 3\n")
    assert [(c.processor, c.core_id) for c in cpus] == [(0, "0"), (3, "3")]


CPUINFO_MIPS = """system type\t\t: UBNT_E100
machine\t\t\t: Unknown
processor\t\t: 0
cpu model\t\t: Cavium Octeon+ V0.1
BogoMIPS\t\t: 1000.00

processor\t\t: 1
cpu model\t\t: Cavium Octeon+ V0.1
BogoMIPS\t\t: 1000.00
"""


def test_cpuinfo_mips() -> None:
    # parseCPUInfoMips: the `system type` header is every CPU's vendor.
    cpus = parse_cpuinfo(CPUINFO_MIPS, "mips64")
    assert [(c.processor, c.vendor_id, c.model_name) for c in cpus] == [
        (0, "UBNT_E100", "Cavium Octeon+ V0.1"), (1, "UBNT_E100", "Cavium Octeon+ V0.1")]
    with pytest.raises(CollectorError):
        parse_cpuinfo_mips("system type\t: x\ncpu model\t: y\n")


CPUINFO_LOONG = """system type\t\t: generic-loongson-machine

processor\t\t: 0
package\t\t\t: 0
core\t\t\t: 0
CPU Family\t\t: Loongson-64bit
Model Name\t\t: Loongson-3A5000
CPU Revision\t\t: 0x10
BogoMIPS\t\t: 4600.00

processor\t\t: 1
package\t\t\t: 0
core\t\t\t: 1
CPU Family\t\t: Loongson-64bit
Model Name\t\t: Loongson-3A5000
"""


def test_cpuinfo_loongarch() -> None:
    # parseCPUInfoLoong: vendor from `system type`, `CPU Family` and `Model Name` per CPU.
    cpus = parse_cpuinfo(CPUINFO_LOONG, "loongarch64")
    assert [(c.processor, c.vendor_id, c.cpu_family, c.model_name) for c in cpus] == [
        (0, "generic-loongson-machine", "Loongson-64bit", "Loongson-3A5000"),
        (1, "generic-loongson-machine", "Loongson-64bit", "Loongson-3A5000")]
    with pytest.raises(CollectorError):
        parse_cpuinfo_loong(CPUINFO_RISCV)


def test_cpuinfo_x86_checks_the_numbers_it_does_not_export() -> None:
    # parseCPUInfoX86 fails on a bad `siblings`, `cpu cores`, `cpuid level`, `bogomips` ...
    with pytest.raises(NumberError):
        parse_cpuinfo_x86("processor\t: 0\nsiblings\t: many\n")
    with pytest.raises(NumberError):
        parse_cpuinfo_x86("processor\t: 0\nbogomips\t: n/a\n")
    # `vendor` is an alias of vendor_id (older kernels).
    assert parse_cpuinfo_x86("processor\t: 0\nvendor\t: AMD\n")[0].vendor_id == "AMD"


def test_cpuinfo_unknown_architecture_is_refused() -> None:
    # parseCPUInfoDummy: "not implemented".
    with pytest.raises(CollectorError):
        parse_cpuinfo(CPUINFO, "sparc64")


# /proc/stat texts around the shape the kernel prints, which parse_stat_cpus reads as one block:
# every one must give what the line-by-line parser gives (or raise what it raises).
_KERNEL_STAT = (
    "cpu  64000 640 32000 5760000 3200 0 1280 0 0 0\n"
    "cpu0 1000 10 500 90000 50 0 20 0 7 3\n"
    "cpu1 1001 10 501 90001 50 0 20 0 0 0\n"
    "intr 12 0 3 0\nctxt 10\nbtime 1700000000\nprocesses 5\nsoftirq 1 0 1 0 0 0 0 0 0 0 0\n"
)


@pytest.mark.parametrize("text", [
    _KERNEL_STAT,
    _KERNEL_STAT.replace("cpu1 ", "cpu7 "),  # an offline CPU's gap
    _KERNEL_STAT.replace(" 0 7 3\n", "\n"),  # an older kernel's shorter lines
    _KERNEL_STAT.replace(" 0 7 3\n", " 0 7 3 9 9\n"),  # more columns than CPUStat: ignored
    _KERNEL_STAT.replace("cpu1 1001", "cpu1 18446744073709551616"),  # past 64 bits: still a float
    _KERNEL_STAT.replace("cpu1 ", "cpu0 "),  # a repeated id: the later line wins
    _KERNEL_STAT.replace("cpu1 ", "cpu01 "),
    _KERNEL_STAT + "cpu2 5 5 5 5\n",  # a cpu line after the others
    _KERNEL_STAT.replace("ctxt", " cpu3 1 2 3\nctxt"),  # one the kernel never writes, found by its field
    _KERNEL_STAT.replace("ctxt", "cpu3\x0b4 5\nctxt"),  # a line splitlines splits further
    _KERNEL_STAT.replace("cpu0 1000", "cpu0  1000"),  # two blanks
    _KERNEL_STAT.replace("cpu0 1000", "cpu0\t1000"),
    _KERNEL_STAT.replace("cpu0 1000", "cpu0 1.5e3"),
    _KERNEL_STAT.replace("cpu0 1000", "cpu0 ١٠"),  # non-ASCII digits: refused
    _KERNEL_STAT.replace("cpu0 1000", "cpu0 0x10"),
    _KERNEL_STAT.replace("cpu1 ", "cpu99999999999999999999 "),  # the id past int64: refused
    _KERNEL_STAT.replace("cpu  64000", "cpu  64000\x0bcpu9 1"),  # the total line split by splitlines
    _KERNEL_STAT.replace("\n", "\r\n"),
    _KERNEL_STAT.replace("cpu1 1001 10 501 90001 50 0 20 0 0 0\n", "cpu1\n"),
    "cpu  1 2\n",
    "cpu  1 2\ncpu0 3 4\n",
])
def test_stat_as_the_kernel_prints_it_reads_as_line_by_line(text: str) -> None:
    from pyexporter.toolkit.procstat import _parse_stat_cpu_lines
    try:
        expected = _parse_stat_cpu_lines(text)
    except CollectorError as err:
        with pytest.raises(type(err), match=re.escape(str(err))):
            parse_stat_cpus(text)
        return
    got = parse_stat_cpus(text)
    assert got == expected
    assert list(got) == list(expected)
    assert [repr(v) for s in got.values() for v in s] == [repr(v) for s in expected.values() for v in s]


def test_stat_as_the_kernel_prints_it() -> None:
    assert parse_stat_cpus(_KERNEL_STAT) == {
        0: CPUStat(10.0, 0.1, 5.0, 900.0, 0.5, 0.0, 0.2, 0.0, 0.07, 0.03),
        1: CPUStat(10.01, 0.1, 5.01, 900.01, 0.5, 0.0, 0.2, 0.0, 0.0, 0.0),
    }


@pytest.mark.parametrize(("old", "new"), [
    (CPUStat(1.0, 2.0), CPUStat(1.0, 3.0)),
    (CPUStat(0.0), CPUStat(-0.0)),  # equal: the old value stays, as max keeps its first argument
    (CPUStat(-0.0), CPUStat(0.0)),
    (CPUStat(float("nan")), CPUStat(1.0)),
    (CPUStat(1.0), CPUStat(float("nan"))),
    (None, CPUStat(-1.0, 2.0)),
])
def test_merge_takes_max_of_each_counter(old: CPUStat | None, new: CPUStat) -> None:
    expected = CPUStat._make(map(max, old or CPUStat(), new))
    assert [repr(v) for v in merge_cpu_stats(old, new)] == [repr(v) for v in expected]


def test_the_tenth_time_is_read_as_sscanfs_last_operand() -> None:
    """procfs's Sscanf reads ten %f after the name; the last takes the number at the start of its
    field and reads no further, any earlier field must be a number whole."""
    line = "cpu0 1 2 3 4 5 6 7 8 9 10\udcff\n"
    assert parse_stat_cpus("cpu  1 2 3 4 5 6 7 8 9 10\x00\n" + line)[0].guest_nice == 0.1
    with pytest.raises(CollectorError):
        parse_stat_cpus("cpu0 1 2 3 4 5 6 7 8\x00 9 10\n")
