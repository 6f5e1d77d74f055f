"""rapl: Intel RAPL energy counters from /sys/class/powercap, as node_exporter's rapl collector
(collector/rapl_linux.go, helper.go's SanitizeMetricName) over procfs's sysfs/class_powercap.go
(GetRaplZones, getIndexAndName, GetEnergyMicrojoules)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, NoDataError
from pyexporter.toolkit.families import FamilyIndex
from pyexporter.toolkit.files import decode, list_dir, read_bytes
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_int, read_uint_file

# node_exporter's helper.go metricNameRegex: a run of invalid characters, with the underscores
# around it, becomes one underscore.
_INVALID_METRIC_CHARS = re.compile(r"_*[^0-9A-Za-z_]+_*")


@dataclass(frozen=True, slots=True)
class RaplZone:
    name: str
    index: int
    path: str


def zone_index_and_name(name: str, used: dict[str, int]) -> tuple[int, str]:
    """`package-0` -> (0, package), the index read by strconv.Atoi; a name without an index gets
    how often it was seen so far."""
    parts = name.split("-")
    if len(parts) == 2:
        try:
            return parse_int(parts[1]), parts[0]
        except NumberError:
            pass
    return used.get(name, 0), name


def rapl_zones(powercap_dir: str) -> list[RaplZone]:
    """GetRaplZones: every entry with a name file; its max_energy_range_uj must be a uint64."""
    zones: list[RaplZone] = []
    used: dict[str, int] = {}
    for entry in list_dir(powercap_dir):
        path = os.path.join(powercap_dir, entry)
        try:
            raw_name = decode(read_bytes(os.path.join(path, "name")))
        except OSError:
            continue  # the control type itself (intel-rapl) has no name
        index, name = zone_index_and_name(go_trim_space(raw_name), used)
        read_uint_file(os.path.join(path, "max_energy_range_uj"))
        zones.append(RaplZone(name, index, path))
        used[name] = index + 1
    return zones


def sanitize_metric_name(name: str) -> str:
    """SanitizeMetricName (collector/helper.go)."""
    return _INVALID_METRIC_CHARS.sub("_", name)


@dataclass(frozen=True, slots=True)
class RaplOptions:
    enable_zone_label: bool = flag("enable-zone-label", "Enables service unit metric unit_start_time", False)


@collector("rapl", options=RaplOptions)
class RaplCollector(Collector[RaplOptions]):
    def collect(self) -> Iterable[Metric]:
        powercap_dir = os.path.normpath(self.paths.sys("class", "powercap"))
        if not os.path.isdir(powercap_dir):
            raise NoDataError("Platform doesn't have powercap files present")
        try:
            zones = rapl_zones(powercap_dir)
        except PermissionError:
            raise NoDataError("Can't access powercap files") from None
        zone_label = self.options.enable_zone_label
        families = FamilyIndex()
        for zone in zones:
            try:
                micro = read_uint_file(os.path.join(zone.path, "energy_uj"))
            except PermissionError:
                # energy_uj is root-only on recent kernels: node_exporter's ErrNoData.
                raise NoDataError("Can't access energy_uj file") from None
            joules = micro / 1e6
            if zone_label:
                family = families.counter("node_rapl_joules_total", "Current RAPL value in joules",
                                          ["index", "path", "rapl_zone"])
                family.add_metric([str(zone.index), zone.path, zone.name], joules)
            else:
                family = families.counter(f"node_rapl_{sanitize_metric_name(zone.name)}_joules_total",
                                          f"Current RAPL {zone.name} value in joules", ["index", "path"])
                family.add_metric([str(zone.index), zone.path], joules)
        return families.families()
