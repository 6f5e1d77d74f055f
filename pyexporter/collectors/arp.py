"""arp: ARP table entries per device from /proc/net/arp, as node_exporter's arp collector.

node_exporter reads the neighbour table over rtnetlink by default (`netlink`); the flag is
accepted but this collector always reads <procfs>/net/arp, which is what node_exporter
reads with --no-collector.arp.netlink. The netlink-only node_arp_states family is therefore
not produced.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.filters import exclusive_filter


def parse_arp(text: str) -> dict[str, int]:
    """Count entries per device (the 6th column), skipping the `IP address ...` header."""
    entries: Counter[str] = Counter()
    for line in text.splitlines():
        columns = line.split()
        if not columns or (columns[0] == "IP" and len(columns) > 1 and columns[1] == "address"):
            continue
        if len(columns) != 6:
            raise CollectorError(f"failed to parse ARP entry: {len(columns)} columns, 6 expected")
        entries[columns[5]] += 1
    return dict(entries)


@dataclass(frozen=True, slots=True)
class ArpOptions:
    device_include: re.Pattern[str] | None = flag(
        "device-include",
        "Regexp of arp devices to include (mutually exclusive to device-exclude).",
        "")
    device_exclude: re.Pattern[str] | None = flag(
        "device-exclude",
        "Regexp of arp devices to exclude (mutually exclusive to device-include).",
        "")
    netlink: bool = flag("netlink", "Use netlink to gather stats instead of /proc/net/arp.", True)


@collector("arp", options=ArpOptions)
class ArpCollector(Collector[ArpOptions]):
    def __init__(self, ctx: CollectorContext[ArpOptions]) -> None:
        super().__init__(ctx)
        self.filter = exclusive_filter("collector.arp", self.options.device_exclude, self.options.device_include)

    def collect(self) -> Iterator[Metric]:
        entries = parse_arp(read_text(self.paths.proc("net", "arp")))
        family = GaugeMetricFamily("node_arp_entries", "ARP entries by device", labels=["device"])
        for device, count in entries.items():
            if not self.filter.ignored(device):
                family.add_metric([device], count)
        yield family
