"""zoneinfo: per-zone page statistics from /proc/zoneinfo, as node_exporter's zoneinfo collector
(collector/zoneinfo_linux.go) over procfs's zoneinfo.go."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext
from pyexporter.toolkit.families import FamilyIndex
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_int

# procfs's nodeZoneRE `(\d+), zone\s+(\w+)` with Go's classes: ASCII, and \s without \v. Searched
# from the start of a run of digits only: Go's leftmost match starts there anyway, and Python's
# backtracking would otherwise try every digit of a long run again, in time quadratic in its length.
_NODE_ZONE = re.compile(r"(?<![0-9])([0-9]+), zone[\t\n\f\r ]+([0-9A-Za-z_]+)")

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


def _parse_value(text: str) -> int:
    """procfs's util.ValueParser.PInt64: strconv.ParseInt(text, 0, 64), or 0 when that fails, since
    PInt64 hands back a pointer to what its int64 helper returned, which is 0 on an error, and
    zoneinfo.go never looks at the error."""
    try:
        return parse_int(text, 0)
    except NumberError:
        return 0


def _parse_protection(line: str) -> list[int] | None:
    """The `protection: (a, b, ...)` array through util.ParsePInt64s, strconv.ParseInt(x, 10, 64)
    each; None when any is refused."""
    inner = line.split(":")[1].replace("(", "", 1).replace(")", "", 1).strip()
    try:
        return [parse_int(part) for part in inner.split(", ")]
    except NumberError:
        return None


def parse_zoneinfo(text: str) -> list[Zone]:
    """One Zone per block, the text being cut before each line that starts with `Node`, with the
    keys of FIELDS that it shows, as procfs's parseZoneinfo.

    A node's `per-node stats` are printed inside its first zone and so are reported under that
    zone, as node_exporter does. A value that does not parse is 0 (see _parse_value). A block
    whose header does not match `N, zone NAME` (`Node abc, zone DMA`, tabs for spaces) keeps
    node and zone empty, and its values are still reported, with those empty labels, as
    node_exporter reports them.
    """
    zones: list[Zone] = []
    for block in text.split("\nNode"):
        zone = Zone()
        for line in block.split("\n"):
            header = _NODE_ZONE.search(line)
            if header:
                zone.node, zone.zone = header.group(1), header.group(2)
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
                zone.values[key] = _parse_value(parts[1])
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
