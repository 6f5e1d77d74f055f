"""cpu: /proc/stat, /proc/cpuinfo and /sys/devices/system/cpu, as node_exporter's cpu collector
(collector/cpu_linux.go; procfs stat.go, cpuinfo.go and sysfs/system_cpu.go)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.cpus import cpu_dirs, parse_cpu_list
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_optional, read_text
from pyexporter.toolkit.numbers import USER_HZ, NumberError, parse_float, parse_int, parse_uint, read_uint_file

# An idle counter that falls back by this many seconds means the CPU was hot-plugged.
JUMP_BACK_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class CPUStat:
    """One cpuN line of /proc/stat, in seconds."""

    user: float = 0.0
    nice: float = 0.0
    system: float = 0.0
    idle: float = 0.0
    iowait: float = 0.0
    irq: float = 0.0
    softirq: float = 0.0
    steal: float = 0.0
    guest: float = 0.0
    guest_nice: float = 0.0


_STAT_FIELDS = tuple(f.name for f in fields(CPUStat))


def parse_stat_cpus(text: str) -> dict[int, CPUStat]:
    """Per-CPU times from /proc/stat, keyed by the CPU id in the line name (`cpu3` -> 3).

    Offline CPUs have no line, so ids may have gaps; the `cpu` total line is skipped.
    Older kernels print fewer columns: the missing trailing ones are zero. procfs scans the
    times with fmt.Sscanf's %f, read here as strconv.ParseFloat (fmt would also take a binary
    exponent, which no kernel prints), and the id with strconv.ParseInt.
    """
    cpus: dict[int, CPUStat] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith("cpu") or parts[0] == "cpu":
            continue
        name, values = parts[0], parts[1:]
        cpu_id = parse_int(name[3:])
        if not values:
            raise CollectorError(f"no values for {name} in /proc/stat")
        cpus[cpu_id] = CPUStat(*(parse_float(v) / USER_HZ for v in values[: len(_STAT_FIELDS)]))
    return cpus


def merge_cpu_stats(previous: CPUStat | None, new: CPUStat) -> CPUStat:
    """node_exporter's guard against counters that go backwards.

    A large fall of idle means a hot-plug event: the CPU's history is dropped. Otherwise each
    counter keeps its previous value when the new one is smaller, so counters never decrease.
    """
    old = previous or CPUStat()
    if old.idle - new.idle >= JUMP_BACK_SECONDS:
        old = CPUStat()
    return CPUStat(*(max(getattr(old, n), getattr(new, n)) for n in _STAT_FIELDS))


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


def parse_cpuinfo(text: str) -> list[CPUInfo]:
    """Processor blocks of an x86-style /proc/cpuinfo (`key<tabs>: value` lines).

    Values are taken verbatim after the first `: `, as procfs does, which reads `processor`
    with strconv.ParseUint(x, 0, 32) and `cpu MHz` with strconv.ParseFloat. ARM's `Features`
    line stands in for `flags` when a block has none.
    """
    lines = iter(text.splitlines())
    first = next((line for line in lines if line.strip()), "")
    if not first.startswith("processor") or ":" not in first:
        raise CollectorError(f"invalid /proc/cpuinfo: first line {first[:80]!r}")
    cpus = [CPUInfo(parse_uint(first.partition(": ")[2], 0, 32))]
    features: list[str] | None = None
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep:
            continue
        key = key.strip()
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
        elif key == "Features":
            features = value.split()
    if features is not None:
        cpus = [c if c.flags else replace(c, flags=list(features)) for c in cpus]
    return cpus


class Throttles(NamedTuple):
    package: dict[int, int]
    core: dict[tuple[int, int], int]


def _optional_uint(path: str) -> int | None:
    """readUintFromFile, where node_exporter skips what fails: None when the attribute is
    absent, unreadable or not a number."""
    try:
        return read_uint_file(path)
    except (OSError, NumberError):
        return None


def read_throttles(cpu_root: str) -> Throttles:
    """Thermal throttle counts, read once per package and once per (package, core)."""
    package: dict[int, int] = {}
    core: dict[tuple[int, int], int] = {}
    for name in cpu_dirs(cpu_root):
        cpu = os.path.join(cpu_root, name)
        package_id = _optional_uint(os.path.join(cpu, "topology", "physical_package_id"))
        core_id = _optional_uint(os.path.join(cpu, "topology", "core_id"))
        if package_id is None or core_id is None:
            continue
        if (package_id, core_id) not in core:
            count = _optional_uint(os.path.join(cpu, "thermal_throttle", "core_throttle_count"))
            if count is not None:
                core[(package_id, core_id)] = count
        if package_id not in package:
            count = _optional_uint(os.path.join(cpu, "thermal_throttle", "package_throttle_count"))
            if count is not None:
                package[package_id] = count
    return Throttles(package, core)


def read_online(cpu_root: str) -> list[tuple[str, bool]]:
    """(cpu number, online) for every cpuN, or nothing when the kernel has no `online` files.

    As node_exporter, the first CPU decides: cpu0 usually cannot be unplugged and has none.
    """
    names = cpu_dirs(cpu_root)
    if not names or not os.path.exists(os.path.join(cpu_root, names[0], "online")):
        return []
    return [
        (name[3:], read_optional(os.path.join(cpu_root, name, "online")) == "1") for name in names
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

    def collect(self) -> Iterable[Metric]:
        if self.isolated_error is not None:
            raise self.isolated_error
        families: list[Metric] = []
        if self.info:
            families.extend(self._info())
        families.extend(self._stat())
        if self.isolated is not None:
            isolated = GaugeMetricFamily(
                "node_cpu_isolated",
                "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
                labels=["cpu"],
            )
            for cpu in self.isolated:
                isolated.add_metric([str(cpu)], 1.0)
            families.append(isolated)
        families.extend(self._throttles())
        families.extend(self._online())
        # node_exporter prints no HELP/TYPE for a family without samples.
        return [f for f in families if f.samples]

    def _info(self) -> Iterator[Metric]:
        cpus = parse_cpuinfo(read_text(self.paths.proc("cpuinfo")))
        info = GaugeMetricFamily(
            "node_cpu_info",
            "CPU information from /proc/cpuinfo.",
            labels=["package", "core", "cpu", "vendor", "family", "model", "model_name",
                    "microcode", "stepping", "cachesize"],
        )
        # node_exporter emits this only while the cpufreq collector is enabled, which a
        # collector here cannot see; cpufreq is on by default, so it is always emitted.
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
        new = parse_stat_cpus(read_text(self.paths.proc("stat")))
        for cpu_id, stat in new.items():
            self.stats[cpu_id] = merge_cpu_stats(self.stats.get(cpu_id), stat)
        # Like node_exporter, a CPU that went offline keeps its last values.
        current = sorted(self.stats.items())
        seconds = CounterMetricFamily(
            "node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", labels=["cpu", "mode"]
        )
        guest = CounterMetricFamily(
            "node_cpu_guest_seconds_total",
            "Seconds the CPUs spent in guests (VMs) for each mode.",
            labels=["cpu", "mode"],
        )
        for cpu_id, s in current:
            cpu = str(cpu_id)
            for mode, value in (
                ("user", s.user), ("nice", s.nice), ("system", s.system), ("idle", s.idle),
                ("iowait", s.iowait), ("irq", s.irq), ("softirq", s.softirq), ("steal", s.steal),
            ):
                seconds.add_metric([cpu, mode], value)
            # Guest time is also counted in user and nice; it is exposed separately.
            guest.add_metric([cpu, "user"], s.guest)
            guest.add_metric([cpu, "nice"], s.guest_nice)
        yield seconds
        if self.guest:
            yield guest

    def _throttles(self) -> Iterator[Metric]:
        throttles = read_throttles(self.cpu_root)
        package = CounterMetricFamily(
            "node_cpu_package_throttles_total",
            "Number of times this CPU package has been throttled.",
            labels=["package"],
        )
        for package_id, count in sorted(throttles.package.items()):
            package.add_metric([str(package_id)], float(count))
        core = CounterMetricFamily(
            "node_cpu_core_throttles_total",
            "Number of times this CPU core has been throttled.",
            labels=["package", "core"],
        )
        for (package_id, core_id), count in sorted(throttles.core.items()):
            core.add_metric([str(package_id), str(core_id)], float(count))
        yield package
        yield core

    def _online(self) -> Iterator[Metric]:
        online = read_online(self.cpu_root)
        if not online:
            return
        family = GaugeMetricFamily(
            "node_cpu_online", "CPUs that are online and being scheduled.", labels=["cpu"]
        )
        for cpu, is_online in online:
            family.add_metric([cpu], 1.0 if is_online else 0.0)
        yield family
