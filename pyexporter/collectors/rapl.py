"""rapl: Intel RAPL energy counters from /sys/class/powercap, as node_exporter's rapl collector."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import list_dir, read_first_line

_INVALID_METRIC_CHARS = re.compile(r"[^a-zA-Z0-9_]")


class RaplZone(NamedTuple):
    name: str
    index: int
    path: str


def zone_index_and_name(name: str, used: dict[str, int]) -> tuple[int, str]:
    """`package-0` -> (0, package); a name without an index gets how often it was seen so far."""
    parts = name.split("-")
    if len(parts) == 2 and re.fullmatch(r"[+-]?\d+", parts[1]):
        return int(parts[1]), parts[0]
    return used.get(name, 0), name


def parse_uint(text: str, what: str) -> int:
    text = text.strip()
    # isdigit() alone also passes digits such as "²" that int() refuses.
    if not (text.isascii() and text.isdigit()):
        raise CollectorError(f"unexpected {what} value {text[:40]!r}")
    return int(text)


def rapl_zones(powercap_dir: str) -> list[RaplZone]:
    zones, used = [], {}
    for entry in list_dir(powercap_dir):
        path = os.path.join(powercap_dir, entry)
        try:
            raw_name = read_first_line(os.path.join(path, "name"))
        except OSError:
            continue  # the control type itself (intel-rapl) has no name
        index, name = zone_index_and_name(raw_name.strip(), used)
        parse_uint(read_first_line(os.path.join(path, "max_energy_range_uj")), "max_energy_range_uj")
        zones.append(RaplZone(name, index, path))
        used[name] = index + 1
    return zones


def sanitize_metric_name(name: str) -> str:
    return _INVALID_METRIC_CHARS.sub("_", name)


@dataclass(frozen=True, slots=True)
class RaplOptions:
    enable_zone_label: bool = flag("enable-zone-label", "Enables service unit metric unit_start_time", False)


@collector("rapl", options=RaplOptions)
class RaplCollector(Collector[RaplOptions]):
    def collect(self) -> Iterable[Metric]:
        powercap_dir = os.path.normpath(self.paths.sys("class", "powercap"))
        try:
            zones = rapl_zones(powercap_dir)
        except PermissionError:
            return []
        zone_label = self.options.enable_zone_label
        families: dict[str, CounterMetricFamily] = {}
        for zone in zones:
            try:
                micro = parse_uint(read_first_line(os.path.join(zone.path, "energy_uj")), "energy_uj")
            except PermissionError:
                # energy_uj is root-only on recent kernels; upstream drops the whole collector then.
                return []
            joules = micro / 1e6
            if zone_label:
                family = families.get("")
                if family is None:
                    family = families[""] = CounterMetricFamily(
                        "node_rapl_joules_total", "Current RAPL value in joules",
                        labels=["index", "path", "rapl_zone"])
                family.add_metric([str(zone.index), zone.path, zone.name], joules)
            else:
                family = families.get(zone.name)
                if family is None:
                    family = families[zone.name] = CounterMetricFamily(
                        f"node_rapl_{sanitize_metric_name(zone.name)}_joules_total",
                        f"Current RAPL {zone.name} value in joules", labels=["index", "path"])
                family.add_metric([str(zone.index), zone.path], joules)
        return list(families.values())
