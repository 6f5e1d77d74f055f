"""cpufreq: /sys/devices/system/cpu/cpu*/cpufreq, as node_exporter's cpufreq collector
(collector/cpufreq_linux.go; procfs sysfs/system_cpu.go SystemCpufreq, filterOfflineCPUs,
parseCPURange and parseCpufreqCpuinfo, whose required string attributes and optional stats/
files fail the collector when unreadable or malformed)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.cpus import cpu_dirs, parse_cpu_list
from pyexporter.toolkit.families import GaugeMetricFamily, add_row
from pyexporter.toolkit.files import (
    KeptAttributes,
    decode,
    list_attributes,
    open_directory,
    read_attribute,
    read_attributes,
    read_text,
    universal_newlines,
)
from pyexporter.toolkit.numbers import go_trim_space, parse_int, parse_uint, parse_uint_attribute
from pyexporter.toolkit.overlap import map_overlapping_sleeps
from pyexporter.toolkit.static import ListingCache

# Readers of CPUs once a read has slept (toolkit/overlap.py): 256 CPUs in 16 rounds of one sleep.
_MAX_READERS = 16


class CpufreqStats(NamedTuple):
    """One CPU's cpufreq attributes, in kHz as sysfs gives them; None when absent. A tuple, built
    once a CPU a scrape: cheaper to build than a frozen dataclass (benchmarks/results/measurements.md)."""

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


# read_attributes's errors that parseCpufreqCpuinfo skips for a uint attribute (os.IsNotExist,
# os.IsPermission: cpuinfo_cur_freq is root-only); any other fails the collector.
_ABSENT = (FileNotFoundError, PermissionError)


def read_cpufreq(cpufreq_dir: str, cpu: str, kept: KeptAttributes | None = None,
                 listings: ListingCache | None = None) -> CpufreqStats | None:
    """procfs parseCpufreqCpuinfo: the uint attributes are optional (cpuinfo_avg_freq and
    cpuinfo_transition_latency are read and checked too), the five string attributes required;
    None when the CPU has no cpufreq directory, which SystemCpufreq skips (os.IsNotExist only:
    any other error of its os.Stat fails it, as opening the directory fails here).

    The directory is listed once and attributes opened relative to it: an absent optional file
    is then skipped rather than looked up and raised for (two or three of the eight on most
    hosts, and the stats directory), and the listing's file types stand for the regular-file
    check of each (files.read_attributes). One that vanishes after the listing is still absent.
    The string attributes are read as the uint ones, in one read (util.SysReadFile reads them so,
    at most 128 bytes; sysfs hands out an attribute whole, and up to 64 KiB is kept here). With
    KEPT, through the descriptors it kept open from the last scrape where they still name the same
    files; with LISTINGS, the listing is the one kept while the directory is the same (a policy's
    attributes are made with its directory)."""
    try:
        dir_fd = open_directory(cpufreq_dir)
    except FileNotFoundError:
        return None
    try:
        listing = list_attributes(dir_fd) if listings is None else listings.listing(dir_fd)
        frequencies = [n for n in _FREQUENCIES if n in listing.names]
        if kept is None:
            raw = read_attributes(dir_fd, frequencies, absent=_ABSENT, listed_regular=listing.regular)
            required = read_attributes(dir_fd, _REQUIRED, absent=(), listed_regular=listing.regular)
        else:
            raw = kept.read(dir_fd, listing, frequencies, absent=_ABSENT)
            required = kept.read(dir_fd, listing, _REQUIRED, absent=())
        khz = {name: parse_uint_attribute(value) for name, value in raw.items()}
    finally:
        os.close(dir_fd)
    if "stats" in listing.names:
        check_cpufreq_stats(os.path.join(cpufreq_dir, "stats"))
    get = khz.get
    return CpufreqStats(
        cpu, get("cpuinfo_cur_freq"), get("cpuinfo_min_freq"), get("cpuinfo_max_freq"),
        get("scaling_cur_freq"), get("scaling_min_freq"), get("scaling_max_freq"),
        _string(required["scaling_governor"]), _string(required["scaling_available_governors"]),
    )


def _string(raw: bytes) -> str:
    """A string attribute's text, trimmed, with newlines as read_text gives them."""
    return go_trim_space(universal_newlines(decode(raw)))


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


# The frequency families, in the order of CpufreqStats's kHz fields.
_FAMILIES = (
    ("node_cpu_frequency_hertz", "Current CPU thread frequency in hertz."),
    ("node_cpu_frequency_min_hertz", "Minimum CPU thread frequency in hertz."),
    ("node_cpu_frequency_max_hertz", "Maximum CPU thread frequency in hertz."),
    ("node_cpu_scaling_frequency_hertz", "Current scaled CPU thread frequency in hertz."),
    ("node_cpu_scaling_frequency_min_hertz", "Minimum scaled CPU thread frequency in hertz."),
    ("node_cpu_scaling_frequency_max_hertz", "Maximum scaled CPU thread frequency in hertz."),
)


@collector("cpufreq")
class CpufreqCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.cpu_root = self.paths.sys("devices", "system", "cpu")
        self.offline_path = os.path.join(self.cpu_root, "offline")
        self._pool: ThreadPoolExecutor | None = None
        # Each CPU's directory is listed and its eleven attributes read on every scrape; readers on
        # parallel threads read different CPUs' directories.
        self._kept = KeptAttributes()
        self._listings = ListingCache()

    def _online_cpus(self) -> list[tuple[str, str]]:
        """(cpu number, cpufreq directory) for each CPU that is not offline, as SystemCpufreq:
        the `offline` file is required, and no cpuN directory at all is an error ("could not
        find any cpufreq files")."""
        names = cpu_dirs(self.cpu_root)
        line = read_text(self.offline_path)
        offline = set(parse_cpu_list(line)) if go_trim_space(line) else set()
        # filterOfflineCPUs reads each directory's number with strconv.Atoi.
        online = [name for name in names if not offline or parse_int(name[3:]) not in offline]
        if not online:
            raise CollectorError("could not find any cpufreq files")
        root = self.cpu_root
        return [(name[3:], f"{root}/{name}/cpufreq") for name in online]

    def _readers(self) -> ThreadPoolExecutor:
        """Started on kernels whose reads sleep only."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=_MAX_READERS, thread_name_prefix="cpufreq")
        return self._pool

    def collect(self) -> Iterable[Metric]:
        cpus = self._online_cpus()
        kept, listings = self._kept, self._listings
        all_stats = map_overlapping_sleeps(lambda c: read_cpufreq(c[1], c[0], kept, listings), cpus, self._readers)
        kept.sweep()  # CPUs gone offline since the last scrape
        listings.sweep()
        frequencies = [GaugeMetricFamily(name, help_text, labels=["cpu"]) for name, help_text in _FAMILIES]
        governor = GaugeMetricFamily(
            "node_cpu_scaling_governor",
            "Current enabled CPU frequency governor.",
            labels=["cpu", "governor"],
        )
        for stats in all_stats:
            if stats is None:
                continue
            khz = (stats.cpuinfo_cur_freq, stats.cpuinfo_min_freq, stats.cpuinfo_max_freq,
                   stats.scaling_cur_freq, stats.scaling_min_freq, stats.scaling_max_freq)
            # sysfs gives kHz; the base unit is hertz.
            hertz = [value * 1000.0 for value in khz if value is not None]
            if len(hertz) == len(frequencies):
                add_row(frequencies, [stats.cpu], hertz)
            elif hertz:
                add_row([f for f, value in zip(frequencies, khz, strict=True) if value is not None], [stats.cpu], hertz)
            for name, state in governor_states(stats):
                governor.add_metric([stats.cpu, name], state)
        families: list[Metric] = [*frequencies, governor]
        return [f for f in families if f.samples]
