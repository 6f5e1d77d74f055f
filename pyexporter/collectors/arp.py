"""arp: ARP table entries per device from /proc/net/arp, as node_exporter's arp collector
(collector/arp_linux.go, over procfs's arp.go: GatherARPEntries, parseARPEntries, parseARPEntry).

node_exporter reads the neighbour table over rtnetlink by default (`netlink`,
getTotalArpEntriesRTNL); the flag is accepted but this collector always reads <procfs>/net/arp,
which is what node_exporter reads with --no-collector.arp.netlink. The netlink-only
node_arp_states family (newer node_exporter releases) is therefore not produced.
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
from pyexporter.toolkit.numbers import NumberError, parse_uint

_HEX_PAIR = re.compile(r"[0-9a-fA-F]{2}")
_HEX_QUAD = re.compile(r"[0-9a-fA-F]{4}")


def is_go_mac(text: str) -> bool:
    """Whether Go's net.ParseMAC accepts TEXT: 6, 8 or 20 octets written as pairs of hex digits
    joined by `:` or `-`, or as groups of four joined by `.`."""
    if len(text) < 14:
        return False
    if text[2] in ":-":
        if (len(text) + 1) % 3:
            return False
        octets = (len(text) + 1) // 3
        groups, width = text.split(text[2]), 2
    elif text[4] == ".":
        if (len(text) + 1) % 5:
            return False
        octets = 2 * (len(text) + 1) // 5
        groups, width = text.split("."), 4
    else:
        return False
    if octets not in (6, 8, 20):
        return False
    pattern = _HEX_PAIR if width == 2 else _HEX_QUAD
    return all(pattern.fullmatch(group) for group in groups)


def parse_arp(text: str, check_mac: bool = True) -> dict[str, int]:
    """Count entries per device (the 6th column), as procfs's parseARPEntries: 9-column (header)
    and empty lines are skipped, any other width than 6 is refused, and parseARPEntry refuses
    flags strconv.ParseUint(x, 0, 8) refuses and, with CHECK_MAC, a hardware address
    net.ParseMAC refuses (the kernel cuts an InfiniBand address short in this file)."""
    entries: Counter[str] = Counter()
    for line in text.splitlines():
        columns = line.split()
        width = len(columns)
        if width in (0, 9):
            continue
        if width != 6:
            raise CollectorError(f"failed to parse ARP entry: {width} columns, 6 expected")
        if check_mac and not is_go_mac(columns[3]):
            raise CollectorError(f"failed to parse ARP entry: invalid MAC address {columns[3][:80]!r}")
        try:
            parse_uint(columns[2], 0, 8)
        except NumberError as err:
            raise CollectorError(f"failed to parse ARP entry: {err}") from None
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
        # With `netlink` (the default) node_exporter counts the kernel's neighbour table, whatever
        # its hardware addresses look like; /proc/net/arp lists the same entries, but truncates
        # long (InfiniBand) addresses that procfs's ParseMAC then refuses. So the address is only
        # checked when node_exporter itself would read this file.
        entries = parse_arp(read_text(self.paths.proc("net", "arp")), check_mac=not self.options.netlink)
        family = GaugeMetricFamily("node_arp_entries", "ARP entries by device", labels=["device"])
        for device, count in entries.items():
            if not self.filter.ignored(device):
                family.add_metric([device], count)
        yield family
