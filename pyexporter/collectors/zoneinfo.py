"""zoneinfo: per-zone page statistics from /proc/zoneinfo, as node_exporter's zoneinfo collector
(collector/zoneinfo_linux.go) over procfs's zoneinfo.go."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import FamilyIndex
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_int

# ASCII classes, as Go's regexp.
_NODE_ZONE = re.compile(r"(\d+), zone\s+(\w+)", re.ASCII)

# /proc/zoneinfo key -> (metric name without namespace, HELP, is a counter).
FIELDS: dict[str, tuple[str, str, bool]] = {
    "nr_free_pages": ("nr_free_pages", "Total number of free pages in the zone", False),
    "min": ("min_pages", "Zone watermark pages_min", False),
    "low": ("low_pages", "Zone watermark pages_low", False),
    "high": ("high_pages", "Zone watermark pages_high", False),
    "scanned": ("scanned_pages", "Pages scanned since last reclaim", False),
    "spanned": ("spanned_pages", "Total pages spanned by the zone, including holes", False),
    "present": ("present_pages", "Physical pages existing within the zone", False),
    "managed": ("managed_pages", "Present pages managed by the buddy system", False),
    "nr_active_anon": ("nr_active_anon_pages", "Number of anonymous pages recently more used", False),
    "nr_inactive_anon": ("nr_inactive_anon_pages", "Number of anonymous pages recently less used", False),
    "nr_isolated_anon": ("nr_isolated_anon_pages", "Temporary isolated pages from anon lru", False),
    "nr_anon_pages": ("nr_anon_pages", "Number of anonymous pages currently used by the system", False),
    "nr_anon_transparent_hugepages": (
        "nr_anon_transparent_hugepages",
        "Number of anonymous transparent huge pages currently used by the system",
        False,
    ),
    "nr_active_file": ("nr_active_file_pages", "Number of active pages with file-backing", False),
    "nr_inactive_file": ("nr_inactive_file_pages", "Number of inactive pages with file-backing", False),
    "nr_isolated_file": ("nr_isolated_file_pages", "Temporary isolated pages from file lru", False),
    "nr_file_pages": ("nr_file_pages", "Number of file pages", False),
    "nr_slab_reclaimable": ("nr_slab_reclaimable_pages", "Number of reclaimable slab pages", False),
    "nr_slab_unreclaimable": ("nr_slab_unreclaimable_pages", "Number of unreclaimable slab pages", False),
    "nr_mlock_stack": ("nr_mlock_stack_pages", "mlock()ed pages found and moved off LRU", False),
    "nr_kernel_stack": ("nr_kernel_stacks", "Number of kernel stacks", False),
    "nr_mapped": ("nr_mapped_pages", "Number of mapped pages", False),
    "nr_dirty": ("nr_dirty_pages", "Number of dirty pages", False),
    "nr_writeback": ("nr_writeback_pages", "Number of writeback pages", False),
    "nr_unevictable": ("nr_unevictable_pages", "Number of unevictable pages", False),
    "nr_shmem": ("nr_shmem_pages", "Number of shmem pages (included tmpfs/GEM pages)", False),
    "nr_dirtied": ("nr_dirtied_total", "Page dirtyings since bootup", True),
    "nr_written": ("nr_written_total", "Page writings since bootup", True),
    "numa_hit": ("numa_hit_total", "Allocated in intended node", True),
    "numa_miss": ("numa_miss_total", "Allocated in non intended node", True),
    "numa_foreign": ("numa_foreign_total", "Was intended here, hit elsewhere", True),
    "numa_interleave": ("numa_interleave_total", "Interleaver preferred this zone", True),
    "numa_local": ("numa_local_total", "Allocation from local node", True),
    "numa_other": ("numa_other_total", "Allocation from other node", True),
}


@dataclass
class Zone:
    node: str = ""
    zone: str = ""
    values: dict[str, int] = field(default_factory=dict)
    protection: list[int] = field(default_factory=list)


def _parse_value(text: str) -> int | None:
    """procfs's util.ValueParser.PInt64, strconv.ParseInt(text, 0, 64), whose error zoneinfo.go
    never checks: a value it refuses is left out."""
    try:
        return parse_int(text, 0)
    except NumberError:
        return None


def _parse_protection(line: str) -> list[int] | None:
    """The `protection: (a, b, ...)` array through util.ParsePInt64s, strconv.ParseInt(x, 10, 64)
    each; None when any is refused."""
    inner = line.split(":")[1].replace("(", "", 1).replace(")", "", 1).strip()
    try:
        return [parse_int(part) for part in inner.split(", ")]
    except NumberError:
        return None


def parse_zoneinfo(text: str) -> list[Zone]:
    """One Zone per `Node N, zone NAME` block, with the keys of FIELDS that it shows.

    A node's `per-node stats` are printed inside its first zone and so are reported under that
    zone, as node_exporter does. Values that do not parse are left out, as upstream does.
    """
    zones: list[Zone] = []
    for block in text.split("\nNode"):
        zone = Zone()
        has_header = False
        for line in block.split("\n"):
            header = _NODE_ZONE.search(line)
            if header:
                zone.node, zone.zone = header.group(1), header.group(2)
                has_header = True
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            key = parts[0]
            if key == "protection:":
                protection = _parse_protection(line)
                if protection is not None:
                    zone.protection = protection
            elif key in FIELDS:
                value = _parse_value(parts[1])
                if value is not None:
                    zone.values[key] = value
        if not has_header and (zone.values or zone.protection):
            raise CollectorError("unexpected /proc/zoneinfo content: values outside any `Node N, zone X` block")
        zones.append(zone)
    return zones


@collector("zoneinfo", default=False)
class ZoneinfoCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.specs = {
            key: (f"node_zoneinfo_{name}", help_text, counter)
            for key, (name, help_text, counter) in FIELDS.items()
        }

    def collect(self) -> Iterable[Metric]:
        zones = parse_zoneinfo(read_text(self.paths.proc("zoneinfo")))
        families = FamilyIndex()
        labels = ["node", "zone"]
        for zone in zones:
            for key, value in zone.values.items():
                name, help_text, counter = self.specs[key]
                family = (families.counter if counter else families.gauge)(name, help_text, labels)
                family.add_metric([zone.node, zone.zone], float(value))
            for index, value in enumerate(zone.protection):
                families.gauge(f"node_zoneinfo_protection_{index}", f"Protection array {index}. field",
                               labels).add_metric([zone.node, zone.zone], float(value))
        yield from families.families()
