"""cpu: /proc/stat, /proc/cpuinfo and /sys/devices/system/cpu, as node_exporter's cpu collector
(collector/cpu_linux.go; procfs stat.go, cpuinfo.go with its per-GOARCH choice in
cpuinfo_{x86,armx,s390x,ppcx,riscvx,mipsx,loong64,others}.go, and sysfs/system_cpu.go)."""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.cpus import ModeLabels, cpu_dirs, parse_cpu_list
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_attributes, read_text
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_float, parse_uint, parse_uint_attribute
from pyexporter.toolkit.procstat import CPUStat, parse_kernel_stat, parse_stat_cpus

# An idle counter that falls back by this many seconds means the CPU was hot-plugged.
JUMP_BACK_SECONDS = 3.0


# node_cpu_seconds_total's modes: the names of CPUStat's first eight fields; its last two (guest,
# guest_nice) are node_cpu_guest_seconds_total's user and nice.
_MODES = CPUStat._fields[:8]
_NO_STAT = CPUStat()


def merge_cpu_stats(previous: CPUStat | None, new: CPUStat) -> CPUStat:
    """node_exporter's guard against counters that go backwards.

    A large fall of idle means a hot-plug event: the CPU's history is dropped. Otherwise each
    counter keeps its previous value when the new one is smaller, so counters never decrease.
    """
    old = previous or _NO_STAT
    if old.idle - new.idle >= JUMP_BACK_SECONDS:
        old = _NO_STAT
    # max(o, n) of each pair, written out: the builtin's argument parsing cost more than the rest.
    return CPUStat._make([n if n > o else o for o, n in zip(old, new, strict=True)])


@dataclass(slots=True)
class CPUInfo:
    """The fields of one processor block of /proc/cpuinfo that node_exporter exports."""

    processor: int
    vendor_id: str = ""
    cpu_family: str = ""
    model: str = ""
    model_name: str = ""
    stepping: str = ""
    microcode: str = ""
    cpu_mhz: float = 0.0
    cache_size: str = ""
    physical_id: str = ""
    core_id: str = ""
    flags: list[str] = field(default_factory=list)
    bugs: list[str] = field(default_factory=list)


_CPUINFO_TEXT_KEYS = {
    "vendor": "vendor_id",
    "vendor_id": "vendor_id",
    "cpu family": "cpu_family",
    "model": "model",
    "model name": "model_name",
    "stepping": "stepping",
    "microcode": "microcode",
    "cache size": "cache_size",
    "physical id": "physical_id",
    "core id": "core_id",
}
# Fields procfs's x86 parser converts (and fails on) although node_exporter exports none of them.
_CPUINFO_X86_UINT_KEYS = frozenset({"siblings", "cpu cores", "cpuid level", "clflush size", "cache_alignment"})
# cpuinfoClockRegexp: the first run of digits and dots in a ppc `clock` or s390x `cpu MHz dynamic`.
_CLOCK = re.compile(r"[\d.]+", re.ASCII)
_S390X_PROCESSOR = re.compile(r"^processor\s+(\d+):.*", re.ASCII)


def _fields(text: str) -> Iterator[tuple[str, str, str]]:
    """(line, trimmed key, value) of each line holding a colon, as procfs splits them: on the
    first `: `, the value kept verbatim. A line with a colon but no `: ` keeps its whole text
    as key, which names no field (its colon is in it), and an empty value."""
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, _, value = line.partition(": ")
        yield line, key.strip(), value


def _first_line(text: str) -> tuple[str, Iterator[tuple[str, str, str]]]:
    """firstNonEmptyLine, and the fields of the lines after it."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip():
            return line, _fields("\n".join(lines[index + 1:]))
    return "", iter(())


def _first_value(first: str, prefix: str) -> str:
    """The value of the first line, which must start with PREFIX and hold `: `."""
    _, sep, value = first.partition(": ")
    if not first.startswith(prefix) or ":" not in first or not sep:
        raise CollectorError(f"invalid /proc/cpuinfo: first line {first[:80]!r}")
    return value


def _at(cpus: list[CPUInfo], index: int) -> CPUInfo:
    """cpuinfo[i] where Go would panic on an index out of range: a clear error here."""
    if not 0 <= index < len(cpus):
        raise CollectorError(f"invalid /proc/cpuinfo: no processor {index} before its fields")
    return cpus[index]


def parse_cpuinfo_x86(text: str) -> list[CPUInfo]:
    """procfs parseCPUInfoX86 (386, amd64): processor blocks of `key<tabs>: value` lines.

    Values are taken verbatim after the first `: `; `processor` is strconv.ParseUint(x, 0, 32),
    `cpu MHz` and `bogomips` strconv.ParseFloat; the other numeric fields must parse too.
    """
    first, rest = _first_line(text)
    cpus = [CPUInfo(parse_uint(_first_value(first, "processor"), 0, 32))]
    for _line, key, value in rest:
        current = cpus[-1]
        if key == "processor":
            cpus.append(CPUInfo(parse_uint(value, 0, 32)))
        elif key in _CPUINFO_TEXT_KEYS:
            setattr(current, _CPUINFO_TEXT_KEYS[key], value)
        elif key == "cpu MHz":
            current.cpu_mhz = parse_float(value)
        elif key == "flags":
            current.flags = value.split()
        elif key == "bugs":
            current.bugs = value.split()
        elif key in _CPUINFO_X86_UINT_KEYS:
            parse_uint(value, 0, 32)
        elif key == "bogomips":
            parse_float(value)
    return cpus


def parse_cpuinfo_arm(text: str) -> list[CPUInfo]:
    """procfs parseCPUInfoARM (arm, arm64).

    The first line is `processor : N` (arm64, newer arm) or an ARMv6/7 `Processor : <name>`,
    whose name becomes every CPU's model name; with such a header and no `processor` lines, the
    first `BogoMIPS` line opens CPU 0. `model name` lines set the model name; the one `Features`
    line gives every CPU its flags. Go panics when the file has no `Features` line: here the
    flags are then empty.
    """
    first, rest = _first_line(text)
    key, sep, value = first.partition(": ")
    if not re.match("^[Pp]rocessor", first) or ":" not in first or not sep:
        raise CollectorError(f"invalid /proc/cpuinfo: first line {first[:80]!r}")
    common_name = ""
    cpus: list[CPUInfo] = []
    if key.strip() == "Processor":
        common_name = value
    else:
        cpus.append(CPUInfo(parse_uint(value, 0, 32)))
    features: list[str] = []
    for _line, key, value in rest:
        if key == "processor":
            cpus.append(CPUInfo(parse_uint(value, 0, 32), model_name=common_name))
        elif key == "BogoMIPS":
            if not cpus:
                cpus.append(CPUInfo(0, model_name=common_name))
            parse_float(value)
        elif key == "Features":
            features = value.split()
        elif key == "model name":
            _at(cpus, len(cpus) - 1).model_name = value
    for cpu in cpus:
        cpu.flags = list(features)
    return cpus


def parse_cpuinfo_s390x(text: str) -> list[CPUInfo]:
    """procfs parseCPUInfoS390X: a `vendor_id` header, common `features` and `bogomips per
    cpu`, one `processor N: ...` line per CPU, then per-CPU blocks opened by `cpu number`
    (`cpu MHz dynamic`, `physical id`, `core id`, `cpu cores`, `siblings`)."""
    first, rest = _first_line(text)
    vendor = _first_value(first, "vendor_id")
    features: list[str] = []
    cpus: list[CPUInfo] = []
    for line, key, value in rest:
        if key == "bogomips per cpu":
            parse_float(value)
        elif key == "features":
            features = value.split()
        if line.startswith("processor"):
            match = _S390X_PROCESSOR.match(line)
            if match is None:
                raise CollectorError(f"invalid /proc/cpuinfo: {line[:80]!r}")
            cpus.append(CPUInfo(parse_uint(match[1], 0, 32), vendor_id=vendor, flags=list(features)))
        if line.startswith("cpu number"):
            break
    index = 0
    for _line, key, value in rest:
        if key == "cpu number":
            index += 1
        elif key == "cpu MHz dynamic":
            clock = _CLOCK.search(value.strip())
            _at(cpus, index).cpu_mhz = parse_float(clock[0] if clock else "")
        elif key == "physical id":
            _at(cpus, index).physical_id = value
        elif key == "core id":
            _at(cpus, index).core_id = value
        elif key in ("cpu cores", "siblings"):
            parse_uint(value, 0, 32)
    return cpus


def parse_cpuinfo_ppc(text: str) -> list[CPUInfo]:
    """procfs parseCPUInfoPPC (ppc64, ppc64le): `cpu` is the vendor, `clock` (`3000.000000MHz`)
    the frequency."""
    first, rest = _first_line(text)
    cpus = [CPUInfo(parse_uint(_first_value(first, "processor"), 0, 32))]
    for _line, key, value in rest:
        if key == "processor":
            cpus.append(CPUInfo(parse_uint(value, 0, 32)))
        elif key == "cpu":
            cpus[-1].vendor_id = value
        elif key == "clock":
            clock = _CLOCK.search(value.strip())
            cpus[-1].cpu_mhz = parse_float(clock[0] if clock else "")
    return cpus


def _indexed(cpus: list[CPUInfo], number: int) -> CPUInfo:
    """The mips/riscv/loong parsers' `i = processor; cpuinfo = append(cpuinfo, CPUInfo{});
    cpuinfo[i].Processor = processor`. Where the number skips ahead (an offline CPU), Go
    indexes past the end and panics: here the new entry takes the number instead."""
    cpus.append(CPUInfo(0))
    current = cpus[number] if number < len(cpus) else cpus[-1]
    current.processor = number
    return current


def parse_cpuinfo_riscv(text: str) -> list[CPUInfo]:
    """procfs parseCPUInfoRISCV (riscv, riscv64): `hart` is the core id, `isa` the model name."""
    first, rest = _first_line(text)
    cpus = [CPUInfo(parse_uint(_first_value(first, "processor"), 0, 32))]
    current = cpus[0]
    for _line, key, value in rest:
        if key == "processor":
            current = _indexed(cpus, parse_uint(value, 0, 32))
        elif key == "hart":
            current.core_id = value
        elif key == "isa":
            current.model_name = value
    return cpus


def _parse_cpuinfo_after_system_type(text: str, fields: dict[str, str | None]) -> list[CPUInfo]:
    """The cpuinfo layout of MIPS and LoongArch: a `system type` header (every CPU's vendor), then
    per processor the keys of FIELDS, each setting that CPUInfo attribute (None: a float that is
    checked, not kept)."""
    first, rest = _first_line(text)
    system_type = _first_value(first, "system type")
    cpus: list[CPUInfo] = []
    current: CPUInfo | None = None
    for _line, key, value in rest:
        if key == "processor":
            current = _indexed(cpus, parse_uint(value, 0, 32))
            current.vendor_id = system_type
        elif key in fields:
            if current is None:
                raise CollectorError(f"invalid /proc/cpuinfo: {key} before any processor")
            attribute = fields[key]
            if attribute is None:
                parse_float(value)
            else:
                setattr(current, attribute, value)
    return cpus


def parse_cpuinfo_mips(text: str) -> list[CPUInfo]:
    """procfs parseCPUInfoMips: a `system type` header (every CPU's vendor), `cpu model` the
    model name."""
    return _parse_cpuinfo_after_system_type(text, {"cpu model": "model_name", "BogoMIPS": None})


def parse_cpuinfo_loong(text: str) -> list[CPUInfo]:
    """procfs parseCPUInfoLoong (loong64): a `system type` header (every CPU's vendor),
    `CPU Family` and `Model Name` per processor."""
    return _parse_cpuinfo_after_system_type(text, {"CPU Family": "cpu_family", "Model Name": "model_name"})


# Which parser procfs compiles in for each GOARCH (cpuinfo_<arch>.go), keyed here by the
# machine names uname reports; other architectures get parseCPUInfoDummy's error.
_CPUINFO_PARSERS: dict[str, Callable[[str], list[CPUInfo]]] = {
    **dict.fromkeys(("x86_64", "amd64", "i386", "i486", "i586", "i686", "x86"), parse_cpuinfo_x86),
    **dict.fromkeys(("aarch64", "arm64", "armv6l", "armv7l", "armv8l", "arm"), parse_cpuinfo_arm),
    "s390x": parse_cpuinfo_s390x,
    **dict.fromkeys(("ppc64", "ppc64le"), parse_cpuinfo_ppc),
    **dict.fromkeys(("riscv64", "riscv32", "riscv"), parse_cpuinfo_riscv),
    **dict.fromkeys(("mips", "mipsel", "mips64", "mips64el", "mipsle", "mips64le"), parse_cpuinfo_mips),
    **dict.fromkeys(("loongarch64", "loong64"), parse_cpuinfo_loong),
}


def parse_cpuinfo(text: str, machine: str | None = None) -> list[CPUInfo]:
    """/proc/cpuinfo with the parser procfs uses on MACHINE (default: this host's).

    node_exporter picks the parser when it is compiled, by GOARCH; a drop-in picks it by the
    architecture it runs on, so an x86 host reads x86 text and an arm64 host ARM text.
    """
    arch = platform.machine() if machine is None else machine
    parser = _CPUINFO_PARSERS.get(arch)
    if parser is None and arch.startswith("arm"):
        parser = parse_cpuinfo_arm
    if parser is None:
        raise CollectorError(f"parsing /proc/cpuinfo is not implemented on {arch}")
    return parser(text)


class Throttles(NamedTuple):
    package: dict[int, int]
    core: dict[tuple[int, int], int]


def _optional_uints(paths: list[str]) -> dict[str, int]:
    """readUintFromFile of each of PATHS, as node_exporter skips what fails: an attribute that is
    absent, unreadable or not a number is left out."""
    values: dict[str, int] = {}
    for path, raw in read_attributes(None, paths).items():
        try:
            values[path] = parse_uint_attribute(raw)
        except NumberError:
            pass
    return values


def read_throttles(cpu_root: str, names: list[str] | None = None) -> Throttles:
    """Thermal throttle counts, read once per package and once per (package, core), of the cpuN
    directories NAMES (default: those below CPU_ROOT)."""
    package: dict[int, int] = {}
    core: dict[tuple[int, int], int] = {}
    for name in cpu_dirs(cpu_root) if names is None else names:
        cpu = f"{cpu_root}/{name}"
        package_path, core_path = f"{cpu}/topology/physical_package_id", f"{cpu}/topology/core_id"
        ids = _optional_uints([package_path, core_path])
        if len(ids) < 2:
            continue
        package_id, core_id = ids[package_path], ids[core_path]
        # Each count is read once, from the first CPU of its core or package.
        core_count = f"{cpu}/thermal_throttle/core_throttle_count" if (package_id, core_id) not in core else None
        package_count = f"{cpu}/thermal_throttle/package_throttle_count" if package_id not in package else None
        counts = _optional_uints([path for path in (core_count, package_count) if path is not None])
        if core_count in counts:
            core[(package_id, core_id)] = counts[core_count]
        if package_count in counts:
            package[package_id] = counts[package_count]
    return Throttles(package, core)


def read_online(cpu_root: str, names: list[str] | None = None) -> list[tuple[str, bool]]:
    """(cpu number, online) for every cpuN of NAMES (default: those below CPU_ROOT), or nothing
    when the kernel has no `online` files.

    As node_exporter, the first CPU decides: cpu0 usually cannot be unplugged and has none.
    sysfs's CPU.Online: online when the file's text, trimmed, is `1`; an unreadable file or any
    other text is offline.
    """
    if names is None:
        names = cpu_dirs(cpu_root)
    if not names or not os.path.exists(f"{cpu_root}/{names[0]}/online"):
        return []
    paths = [f"{cpu_root}/{name}/online" for name in names]
    texts = read_attributes(None, paths)
    return [
        (name[3:], path in texts and go_trim_space(decode(texts[path])) == "1")
        for name, path in zip(names, paths, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class CpuOptions:
    guest: bool = flag("guest", "Enables metric node_cpu_guest_seconds_total", True)
    info: bool = flag("info", "Enables metric cpu_info", False)
    info_flags_include: re.Pattern[str] | None = flag(
        "info.flags-include",
        "Filter the `flags` field in cpuInfo with a value that must be a regular expression",
        "")
    info_bugs_include: re.Pattern[str] | None = flag(
        "info.bugs-include",
        "Filter the `bugs` field in cpuInfo with a value that must be a regular expression",
        "")


@collector("cpu", options=CpuOptions)
class CPUCollector(Collector[CpuOptions]):
    def __init__(self, ctx: CollectorContext[CpuOptions]) -> None:
        super().__init__(ctx)
        self.guest: bool = self.options.guest
        self.flags_include: re.Pattern[str] | None = self.options.info_flags_include
        self.bugs_include: re.Pattern[str] | None = self.options.info_bugs_include
        # Asking for flags or bugs implies --collector.cpu.info, as in node_exporter.
        self.info: bool = (
            self.options.info or self.flags_include is not None or self.bugs_include is not None
        )
        self.cpu_root = self.paths.sys("devices", "system", "cpu")
        self.stat_path = self.paths.proc("stat")
        self.cpuinfo_path = self.paths.proc("cpuinfo")
        # Isolation is set on the kernel command line, so it is read once, as upstream does.
        self.isolated: list[int] | None = None
        self.isolated_error: CollectorError | None = None
        try:
            self.isolated = parse_cpu_list(read_text(os.path.join(self.cpu_root, "isolated")))
        except FileNotFoundError:
            self.log.debug("no isolated CPUs file")
        except (OSError, CollectorError) as err:
            self.isolated_error = CollectorError(f"unable to get isolated cpus: {err}")
        self.stats: dict[int, CPUStat] = {}
        self.mode_labels = ModeLabels(_MODES)

    def collect(self) -> Iterable[Metric]:
        if self.isolated_error is not None:
            raise self.isolated_error
        # node_exporter prints no HELP/TYPE for a family without samples.
        return (family for family in self._families() if family.samples)

    def _families(self) -> Iterator[Metric]:
        # In node_exporter's order, each step's families given as it ends: when a step fails, the
        # families of the steps before it are served, as node_exporter sends them before failing.
        if self.info:
            yield from self._info()
        yield from self._stat()
        # Families are built only with samples to give: the throttle and isolated files are absent
        # on most hosts, and a family dropped unused still costs its construction.
        if self.isolated:
            isolated = GaugeMetricFamily(
                "node_cpu_isolated",
                "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
                labels=["cpu"],
            )
            for cpu in self.isolated:
                isolated.add_metric([str(cpu)], 1.0)
            yield isolated
        # Listed once for both: a CPU plugged in between would otherwise be reported by one only.
        names = cpu_dirs(self.cpu_root)
        yield from self._throttles(names)
        yield from self._online(names)

    def _info(self) -> Iterator[Metric]:
        cpus = parse_cpuinfo(read_text(self.cpuinfo_path))
        info = GaugeMetricFamily(
            "node_cpu_info",
            "CPU information from /proc/cpuinfo.",
            labels=["package", "core", "cpu", "vendor", "family", "model", "model_name",
                    "microcode", "stepping", "cachesize"],
        )
        # updateInfo sends this only while the cpufreq collector is enabled (collectorState).
        frequency = GaugeMetricFamily(
            "node_cpu_frequency_hertz",
            "CPU frequency in hertz from /proc/cpuinfo.",
            labels=["package", "core", "cpu"],
        )
        for c in cpus:
            info.add_metric(
                [c.physical_id, c.core_id, str(c.processor), c.vendor_id, c.cpu_family,
                 c.model, c.model_name, c.microcode, c.stepping, c.cache_size],
                1.0,
            )
            frequency.add_metric([c.physical_id, c.core_id, str(c.processor)], c.cpu_mhz * 1e6)
        yield info
        if self.enabled("cpufreq"):
            yield frequency
        if cpus and self.flags_include is not None:
            yield self._field_info(
                "node_cpu_flag_info",
                "The `flags` field of CPU information from /proc/cpuinfo taken from the first core.",
                "flag", cpus[0].flags, self.flags_include,
            )
        if cpus and self.bugs_include is not None:
            yield self._field_info(
                "node_cpu_bug_info",
                "The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.",
                "bug", cpus[0].bugs, self.bugs_include,
            )

    @staticmethod
    def _field_info(
        name: str, help_text: str, label: str, values: list[str], pattern: re.Pattern[str]
    ) -> GaugeMetricFamily:
        family = GaugeMetricFamily(name, help_text, labels=[label])
        for value in values:
            if pattern.search(value):
                family.add_metric([value], 1.0)
        return family

    def _stat(self) -> Iterator[Metric]:
        # psutil reads a process-global PROCFS_PATH and renumbers CPUs when some are offline,
        # so /proc/stat is parsed here, through this collector's own procfs root.
        text = read_text(self.stat_path)
        new = parse_stat_cpus(text)
        # procfs's Stat fails on any line of the file, so node_exporter's cpu collector does too.
        parse_kernel_stat(text)
        previous = self.stats
        # updateCPUStats (node_exporter 1.8+): a CPU gone from /proc/stat (offline) is dropped;
        # 1.5.0 kept reporting its last values.
        self.stats = {cpu_id: merge_cpu_stats(previous.get(cpu_id), stat) for cpu_id, stat in new.items()}
        seconds = CounterMetricFamily(
            "node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", labels=["cpu", "mode"]
        )
        guest = CounterMetricFamily(
            "node_cpu_guest_seconds_total",
            "Seconds the CPUs spent in guests (VMs) for each mode.",
            labels=["cpu", "mode"],
        )
        current = sorted(self.stats.items())
        rows = self.mode_labels.rows([str(cpu_id) for cpu_id, _ in current])
        for (_, s), row in zip(current, rows, strict=True):
            ModeLabels.add(seconds, row, s[:len(_MODES)])
            # Guest time is also counted in user and nice; it is exposed separately (with the
            # same label dicts: user and nice are the first modes).
            ModeLabels.add(guest, row[:2], s[len(_MODES):])
        yield seconds
        if self.guest:
            yield guest

    def _throttles(self, names: list[str]) -> Iterator[Metric]:
        throttles = read_throttles(self.cpu_root, names)
        if throttles.package:
            package = CounterMetricFamily(
                "node_cpu_package_throttles_total",
                "Number of times this CPU package has been throttled.",
                labels=["package"],
            )
            for package_id, count in sorted(throttles.package.items()):
                package.add_metric([str(package_id)], float(count))
            yield package
        if throttles.core:
            core = CounterMetricFamily(
                "node_cpu_core_throttles_total",
                "Number of times this CPU core has been throttled.",
                labels=["package", "core"],
            )
            for (package_id, core_id), count in sorted(throttles.core.items()):
                core.add_metric([str(package_id), str(core_id)], float(count))
            yield core

    def _online(self, names: list[str]) -> Iterator[Metric]:
        online = read_online(self.cpu_root, names)
        if not online:
            return
        family = GaugeMetricFamily(
            "node_cpu_online", "CPUs that are online and being scheduled.", labels=["cpu"]
        )
        for cpu, is_online in online:
            family.add_metric([cpu], 1.0 if is_online else 0.0)
        yield family
