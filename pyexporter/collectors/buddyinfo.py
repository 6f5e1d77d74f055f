"""buddyinfo: free blocks per order from /proc/buddyinfo, as node_exporter's buddyinfo collector
(collector/buddyinfo.go; procfs buddyinfo.go)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import parse_float


class BuddyZone(NamedTuple):
    node: str
    zone: str
    sizes: tuple[float, ...]


def parse_buddyinfo(text: str) -> list[BuddyZone]:
    """Lines such as `Node 0, zone   Normal  4381 1093 ...`; every zone must have as many orders.
    As procfs's parseBuddyInfo, any line of fewer than four fields is refused, a blank one
    included, and one trailing comma is cut from the node and the zone name."""
    zones: list[BuddyZone] = []
    buckets = -1
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            raise CollectorError(f"invalid number of fields in /proc/buddyinfo line {line[:80]!r}")
        node = parts[1].removesuffix(",")
        zone = parts[3].removesuffix(",")
        fields = parts[4:]
        if buckets == -1:
            buckets = len(fields)
        elif buckets != len(fields):
            raise CollectorError(
                f"mismatch in number of buddyinfo buckets, previous count {buckets}, new count {len(fields)}"
            )
        zones.append(BuddyZone(node, zone, tuple(parse_float(field) for field in fields)))
    return zones


@collector("buddyinfo", default=False)
class BuddyinfoCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        zones = parse_buddyinfo(read_text(self.paths.proc("buddyinfo")))
        family = GaugeMetricFamily(
            "node_buddyinfo_blocks", "Count of free blocks according to size.", labels=["node", "zone", "size"]
        )
        for entry in zones:
            for size, value in enumerate(entry.sizes):
                family.add_metric([entry.node, entry.zone, str(size)], value)
        if family.samples:
            yield family
