"""cpufreq: /sys/devices/system/cpu/cpu*/cpufreq, as node_exporter's cpufreq collector
(collector/cpufreq_linux.go; procfs sysfs/system_cpu.go SystemCpufreq, filterOfflineCPUs,
parseCPURange and parseCpufreqCpuinfo, whose required string attributes and optional stats/
files fail the collector when unreadable or malformed)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.cpus import cpu_dirs, parse_cpu_list
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_attribute, read_text
from pyexporter.toolkit.numbers import go_trim_space, parse_int, parse_uint
from pyexporter.toolkit.overlap import map_overlapping_sleeps

# Readers of CPUs once a read has slept (toolkit/overlap.py): 256 CPUs in 16 rounds of one sleep.
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


def _read_frequency(name: str, dir_fd: int | None = None) -> int | None:
    """A uint attribute (NAME relative to DIR_FD when given) as parseCpufreqCpuinfo reads it:
    None when absent or only root may read it (cpuinfo_cur_freq is root-only); any other read
    error, or text that is not a base-10 uint64 once trimmed, fails the collector."""
    try:
        return parse_uint(go_trim_space(decode(read_attribute(name, dir_fd))))
    except (FileNotFoundError, PermissionError):
        return None


def _read_required(name: str, dir_fd: int | None = None) -> str:
    """A string attribute (NAME relative to DIR_FD when given) that parseCpufreqCpuinfo requires
    (any read error fails it), trimmed; read whole, with newlines as read_text gives them."""
    return go_trim_space(read_text(name, dir_fd))


def _read_optional_stat(path: str) -> str | None:
    """A stats/ attribute (CONFIG_CPU_FREQ_STAT): None when absent or not permitted; any other
    read error fails the collector (the kernel answers EFBIG for a trans_table past a page)."""
    try:
        return read_text(path)
    except (FileNotFoundError, PermissionError):
        return None


def check_cpufreq_stats(stats_dir: str) -> None:
    """The stats/ files parseCpufreqCpuinfo parses (node_exporter exports none of them, but a
    malformed one fails the collector): total_trans a uint64; time_in_state `<freq> <time>`
    lines of two uint64s; trans_table rows of uint64s after its header line, a `:` after the
    first column."""
    text = _read_optional_stat(os.path.join(stats_dir, "total_trans"))
    if text is not None:
        parse_uint(go_trim_space(text))
    text = _read_optional_stat(os.path.join(stats_dir, "time_in_state"))
    if text is not None:
        for line in text.split("\n"):
            if not line:
                continue
            fields = line.split()
            if len(fields) != 2:
                raise CollectorError(f"unexpected number of fields in time_in_state: {fields[:4]}")
            parse_uint(fields[0])
            parse_uint(fields[1])
    text = _read_optional_stat(os.path.join(stats_dir, "trans_table"))
    if text is not None:
        for index, line in enumerate(text.split("\n")):
            fields = line.split()
            if index == 0 or not fields:
                continue
            fields[0] = fields[0].removesuffix(":")
            for field in fields:
                if field:
                    parse_uint(field)


# The uint attributes parseCpufreqCpuinfo reads, each optional: most drivers lack some
# (intel_pstate has no cpuinfo_cur_freq, cpuinfo_avg_freq is new in 6.13).
_FREQUENCIES = (
    "cpuinfo_cur_freq", "cpuinfo_avg_freq", "cpuinfo_max_freq", "cpuinfo_min_freq",
    "cpuinfo_transition_latency", "scaling_cur_freq", "scaling_max_freq", "scaling_min_freq",
)
_REQUIRED = ("scaling_available_governors", "scaling_driver", "scaling_governor", "related_cpus",
             "scaling_setspeed")


def read_cpufreq(cpufreq_dir: str, cpu: str) -> CpufreqStats:
    """procfs parseCpufreqCpuinfo: the uint attributes are optional (cpuinfo_avg_freq and
    cpuinfo_transition_latency are read and checked too), the five string attributes required.

    The directory is listed once and attributes opened relative to it: an absent optional file
    is then skipped rather than looked up and raised for (five of sixteen files on most hosts),
    which was most of the cost per CPU. One that vanishes after the listing is still absent."""
    dir_fd = os.open(cpufreq_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        present = frozenset(os.listdir(dir_fd))
        khz = {name: _read_frequency(name, dir_fd) if name in present else None for name in _FREQUENCIES}
        required = {name: _read_required(name, dir_fd) for name in _REQUIRED}
    finally:
        os.close(dir_fd)
    if "stats" in present:
        check_cpufreq_stats(os.path.join(cpufreq_dir, "stats"))
    return CpufreqStats(
        cpu,
        cpuinfo_cur_freq=khz["cpuinfo_cur_freq"],
        cpuinfo_min_freq=khz["cpuinfo_min_freq"],
        cpuinfo_max_freq=khz["cpuinfo_max_freq"],
        scaling_cur_freq=khz["scaling_cur_freq"],
        scaling_min_freq=khz["scaling_min_freq"],
        scaling_max_freq=khz["scaling_max_freq"],
        scaling_governor=required["scaling_governor"],
        scaling_available_governors=required["scaling_available_governors"],
    )


def governor_states(stats: CpufreqStats) -> list[tuple[str, float]]:
    """(governor, 1 if active else 0) for each available governor, split on single spaces as
    node_exporter splits them (an empty list is one empty name); nothing when no governor is
    active."""
    if not stats.scaling_governor:
        return []
    return [
        (g, 1.0 if g == stats.scaling_governor else 0.0)
        for g in stats.scaling_available_governors.split(" ")
    ]


@collector("cpufreq")
class CpufreqCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.cpu_root = self.paths.sys("devices", "system", "cpu")
        self._pool: ThreadPoolExecutor | None = None
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
        """(cpu number, cpufreq directory) for each CPU that is not offline and has cpufreq,
        as SystemCpufreq: the `offline` file is required, and no cpuN directory at all is an
        error ("could not find any cpufreq files")."""
        names = cpu_dirs(self.cpu_root)
        line = read_text(os.path.join(self.cpu_root, "offline"))
        offline = set(parse_cpu_list(line)) if go_trim_space(line) else set()
        # filterOfflineCPUs reads each directory's number with strconv.Atoi.
        online = [name for name in names if not offline or parse_int(name[3:]) not in offline]
        if not online:
            raise CollectorError("could not find any cpufreq files")
        cpus = []
        for name in online:
            cpufreq_dir = os.path.join(self.cpu_root, name, "cpufreq")
            if os.path.isdir(cpufreq_dir):
                cpus.append((name[3:], cpufreq_dir))
        return cpus

    def _readers(self) -> ThreadPoolExecutor:
        """Started on kernels whose reads sleep only."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=_MAX_READERS, thread_name_prefix="cpufreq")
        return self._pool

    def collect(self) -> Iterable[Metric]:
        cpus = self._online_cpus()
        all_stats = map_overlapping_sleeps(lambda c: read_cpufreq(c[1], c[0]), cpus, self._readers)
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
