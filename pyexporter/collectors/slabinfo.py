"""slabinfo: /proc/slabinfo (format 2.1), as node_exporter's slabinfo collector
(collector/slabinfo_linux.go, off by default) over procfs's slab.go (FS.SlabInfo, parseSlabInfo21,
parseV21SlabEntry).

Lines holding `slabinfo -` or `# name` are skipped; every other line must have 16 fields once
whitespace runs are collapsed, with its counts and tunables base-10 int64s. The file is not
optional: node_exporter's Update returns SlabInfo's error, a missing /proc/slabinfo (a kernel built
without it) or an unreadable one (it is mode 0400) included, and so fails the collector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.filters import DeviceFilter
from pyexporter.toolkit.numbers import NumberError, parse_int

_WHITESPACE = re.compile(r"\s+")


class Slab(NamedTuple):
    name: str
    active_objects: int
    objects: int
    object_size: int
    objects_per_slab: int
    pages_per_slab: int


def parse_slabinfo(text: str) -> list[Slab]:
    """Every slab line of a version 2.1 /proc/slabinfo (16 fields, tunables and slabdata included)."""
    slabs: list[Slab] = []
    for line in text.splitlines():
        if "slabinfo -" in line or "# name" in line:
            continue
        fields = _WHITESPACE.sub(" ", line).split(" ")
        if len(fields) != 16:
            raise CollectorError(f"unexpected /proc/slabinfo line: {line[:80]!r}")
        try:
            # Every count and tunable is checked, as procfs parses each with strconv.ParseInt(x, 10, 64).
            numbers = [parse_int(fields[i]) for i in (1, 2, 3, 4, 5, 8, 9, 10, 13, 14, 15)]
        except NumberError as err:
            raise CollectorError(f"unexpected /proc/slabinfo line: {line[:80]!r}: {err}") from None
        slabs.append(Slab(fields[0], *numbers[:5]))
    return slabs


_FAMILIES = (
    ("active_objects", "The number of objects that are currently active (i.e., in use)."),
    ("objects", "The total number of allocated objects (i.e., objects that are both in use and not in use)."),
    ("object_size", "The size of objects in this slab, in bytes."),
    ("objects_per_slab", "The number of objects stored in each slab."),
    ("pages_per_slab", "The number of pages allocated for each slab."),
)


@dataclass(frozen=True, slots=True)
class SlabinfoOptions:
    slabs_include: re.Pattern[str] | None = flag(
        "slabs-include",
        "Regexp of slabs to include in slabinfo collector.",
        ".*")
    slabs_exclude: re.Pattern[str] | None = flag(
        "slabs-exclude",
        "Regexp of slabs to exclude in slabinfo collector.",
        "")


@collector("slabinfo", default=False, options=SlabinfoOptions)
class SlabinfoCollector(Collector[SlabinfoOptions]):
    def __init__(self, ctx: CollectorContext[SlabinfoOptions]) -> None:
        super().__init__(ctx)
        self.filter = DeviceFilter(self.options.slabs_exclude, self.options.slabs_include)

    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.paths.proc("slabinfo"))
        except OSError as err:
            raise CollectorError(f"couldn't get slabinfo: {err}") from None
        families = {
            field: GaugeMetricFamily(
                "node_slabinfo_object_size_bytes" if field == "object_size" else f"node_slabinfo_{field}",
                help_text,
                labels=["slab"],
            )
            for field, help_text in _FAMILIES
        }
        for slab in parse_slabinfo(text):
            if self.filter.ignored(slab.name):
                continue
            for field, family in families.items():
                family.add_metric([slab.name], getattr(slab, field))
        return [family for family in families.values() if family.samples]
