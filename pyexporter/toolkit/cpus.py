"""The CPUs of /sys/devices/system/cpu, as procfs's sysfs package lists and parses them
(sysfs/system_cpu.go: CPUs, parseCPURange); shared by the cpu and cpufreq collectors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily, add_labelled
from pyexporter.toolkit.files import list_dir
from pyexporter.toolkit.numbers import parse_int

# Far above any kernel's NR_CPUS (8192 at most today); a CPU list names no more.
MAX_CPUS = 1 << 16

# The glob procfs uses, cpu[0-9]*: cpufreq and cpuidle sit beside the cpuN directories.
_CPU_DIR = re.compile(r"cpu[0-9]")


def cpu_dirs(cpu_root: str) -> list[str]:
    """The cpuN directory names below CPU_ROOT (/sys/devices/system/cpu), in the sorted order
    of Go's filepath.Glob."""
    return [name for name in list_dir(cpu_root) if _CPU_DIR.match(name)]


def parse_cpu_list(text: str) -> list[int]:
    """A kernel CPU list such as `1,3-5,9` (the isolated and offline files), as parseCPURange
    reads it: trailing newlines dropped, empty entries skipped, each number strconv.Atoi's.
    Empty text means no CPUs."""
    cpus: list[int] = []
    for part in text.rstrip("\n").split(","):
        if not part:
            continue
        if "-" not in part:
            cpus.append(parse_int(part))
            continue
        bounds = part.split("-")
        if len(bounds) != 2:
            raise CollectorError(f"invalid cpu range: {part[:40]!r}")
        first, last = parse_int(bounds[0]), parse_int(bounds[1])
        # A corrupt range such as 0-4294967295 would otherwise build a list of billions.
        if len(cpus) + last - first >= MAX_CPUS:
            raise CollectorError(f"CPU list names more than {MAX_CPUS} CPUs at {part[:40]!r}")
        cpus.extend(range(first, last + 1))
    return cpus


class ModeLabels:
    """The label dicts of samples per CPU and mode (`{"cpu": "3", "mode": "idle"}`), built once
    for each CPU and kept while the CPU is reported.

    node_cpu_seconds_total has a sample for each CPU and mode on every scrape, and building their
    label dicts anew was most of what add_metric cost the cpu collector. Sharing them across
    scrapes is safe because nothing changes a sample's labels once it is built (add_row shares a
    dict between families within a scrape on the same ground), and the encoders key label texts
    on content, so a dict serves every scrape alike."""

    def __init__(self, modes: Sequence[str]) -> None:
        self.modes = tuple(modes)
        self._by_cpu: dict[str, tuple[dict[str, str], ...]] = {}

    def rows(self, cpus: Sequence[str]) -> list[tuple[dict[str, str], ...]]:
        """Each of CPUS' label dicts, one per mode in order; those of other CPUs are forgotten."""
        old = self._by_cpu
        new = {cpu: old.get(cpu) or tuple({"cpu": cpu, "mode": mode} for mode in self.modes) for cpu in cpus}
        self._by_cpu = new
        return [new[cpu] for cpu in cpus]

    @staticmethod
    def add(family: CounterMetricFamily | GaugeMetricFamily, row: Iterable[dict[str, str]],
            values: Iterable[float]) -> None:
        """A sample in FAMILY (labels `cpu` and `mode`) for each dict of ROW with its value of
        VALUES, as add_metric builds it from the dict's label values."""
        if family._labelnames != ("cpu", "mode"):
            raise ValueError(f"{family.name} has labels {family._labelnames}, not ('cpu', 'mode')")
        add_labelled(family, row, values)
