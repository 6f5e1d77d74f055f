"""cpufreq: /sys/devices/system/cpu/cpu*/cpufreq, as node_exporter's cpufreq collector
(collector/cpufreq_linux.go; procfs sysfs/system_cpu.go SystemCpufreq)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext
from pyexporter.toolkit.cpus import cpu_dirs, parse_cpu_list
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import go_trim_space, parse_int, read_uint_file

# The kernel deliberately delays some cpufreq reads per CPU, so CPUs are read in parallel.
_MAX_READERS = 16


@dataclass(frozen=True, slots=True)
class CpufreqStats:
    """One CPU's cpufreq attributes, in kHz as sysfs gives them; None when absent."""

    cpu: str
    cpuinfo_cur_freq: int | None = None
    cpuinfo_min_freq: int | None = None
    cpuinfo_max_freq: int | None = None
    scaling_cur_freq: int | None = None
    scaling_min_freq: int | None = None
    scaling_max_freq: int | None = None
    scaling_governor: str = ""
    scaling_available_governors: str = ""


def _read_frequency(path: str) -> int | None:
    """A kHz attribute as util.ReadUintFromFile reads it, or None when the driver lacks it or
    only root may read it (cpuinfo_cur_freq is root-only), as procfs skips those."""
    try:
        return read_uint_file(path)
    except (FileNotFoundError, PermissionError):
        return None


def _read_attribute(path: str) -> str | None:
    """An attribute's text, or None when the driver lacks it or only root may read it."""
    try:
        return read_text(path)
    except (FileNotFoundError, PermissionError):
        return None


def read_cpufreq(cpufreq_dir: str, cpu: str) -> CpufreqStats:
    def frequency(name: str) -> int | None:
        return _read_frequency(os.path.join(cpufreq_dir, name))

    def text(name: str) -> str:
        # node_exporter fails the collector when these are missing; an empty value just
        # leaves out the governor series instead.
        return go_trim_space(_read_attribute(os.path.join(cpufreq_dir, name)) or "")

    return CpufreqStats(
        cpu,
        cpuinfo_cur_freq=frequency("cpuinfo_cur_freq"),
        cpuinfo_min_freq=frequency("cpuinfo_min_freq"),
        cpuinfo_max_freq=frequency("cpuinfo_max_freq"),
        scaling_cur_freq=frequency("scaling_cur_freq"),
        scaling_min_freq=frequency("scaling_min_freq"),
        scaling_max_freq=frequency("scaling_max_freq"),
        scaling_governor=text("scaling_governor"),
        scaling_available_governors=text("scaling_available_governors"),
    )


def governor_states(stats: CpufreqStats) -> list[tuple[str, float]]:
    """(governor, 1 if active else 0) for each available governor; nothing when no governor
    is active. Unlike node_exporter, an empty list yields no series with an empty name."""
    if not stats.scaling_governor:
        return []
    return [
        (g, 1.0 if g == stats.scaling_governor else 0.0)
        for g in stats.scaling_available_governors.split()
    ]


@collector("cpufreq")
class CpufreqCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.cpu_root = self.paths.sys("devices", "system", "cpu")
        self.pool = ThreadPoolExecutor(max_workers=_MAX_READERS, thread_name_prefix="cpufreq")
        self.families = (
            ("cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current CPU thread frequency in hertz."),
            ("cpuinfo_min_freq", "node_cpu_frequency_min_hertz", "Minimum CPU thread frequency in hertz."),
            ("cpuinfo_max_freq", "node_cpu_frequency_max_hertz", "Maximum CPU thread frequency in hertz."),
            ("scaling_cur_freq", "node_cpu_scaling_frequency_hertz",
             "Current scaled CPU thread frequency in hertz."),
            ("scaling_min_freq", "node_cpu_scaling_frequency_min_hertz",
             "Minimum scaled CPU thread frequency in hertz."),
            ("scaling_max_freq", "node_cpu_scaling_frequency_max_hertz",
             "Maximum scaled CPU thread frequency in hertz."),
        )

    def _online_cpus(self) -> list[tuple[str, str]]:
        """(cpu number, cpufreq directory) for each CPU that is not offline and has cpufreq."""
        names = cpu_dirs(self.cpu_root)
        try:
            offline = set(parse_cpu_list(read_text(os.path.join(self.cpu_root, "offline"))))
        except FileNotFoundError:
            offline = set()
        cpus = []
        for name in names:
            number = name[3:]
            # filterOfflineCPUs reads each directory's number with strconv.Atoi.
            if offline and parse_int(number) in offline:
                continue
            cpufreq_dir = os.path.join(self.cpu_root, name, "cpufreq")
            if os.path.isdir(cpufreq_dir):
                cpus.append((number, cpufreq_dir))
        return cpus

    def collect(self) -> Iterable[Metric]:
        cpus = self._online_cpus()
        all_stats = list(self.pool.map(lambda c: read_cpufreq(c[1], c[0]), cpus))
        families: list[Metric] = []
        for attribute, name, help_text in self.families:
            family = GaugeMetricFamily(name, help_text, labels=["cpu"])
            for stats in all_stats:
                khz = getattr(stats, attribute)
                if khz is not None:
                    # sysfs gives kHz; the base unit is hertz.
                    family.add_metric([stats.cpu], khz * 1000.0)
            families.append(family)
        governor = GaugeMetricFamily(
            "node_cpu_scaling_governor",
            "Current enabled CPU frequency governor.",
            labels=["cpu", "governor"],
        )
        for stats in all_stats:
            for name, state in governor_states(stats):
                governor.add_metric([stats.cpu, name], state)
        families.append(governor)
        return [f for f in families if f.samples]
