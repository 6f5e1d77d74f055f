"""thermal_zone: /sys/class/thermal zones and cooling devices, as node_exporter's thermal_zone collector."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_first_line, resolve_sysfs_path


class ThermalZone(NamedTuple):
    name: str  # the N of thermal_zoneN
    type: str
    temp: int  # millidegrees Celsius


class CoolingDevice(NamedTuple):
    name: str  # the N of cooling_deviceN
    type: str
    cur_state: int
    max_state: int


def parse_int(text: str, what: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise CollectorError(f"unexpected {what} value {text[:40]!r}") from None


def _entries(class_dir: str, prefix: str) -> list[tuple[str, str]]:
    """(N, resolved directory) for every PREFIX<digit>* entry of class_dir."""
    found = []
    for path in sorted(glob.glob(os.path.join(glob.escape(class_dir), prefix + "[0-9]*"))):
        try:
            found.append((os.path.basename(path)[len(prefix):], resolve_sysfs_path(path)))
        except OSError:
            continue
    return found


def read_thermal_zone(name: str, directory: str) -> ThermalZone | None:
    """One zone; None when a required attribute is unreadable (the kernel refuses some zones)."""
    try:
        zone_type = read_first_line(os.path.join(directory, "type"))
        read_first_line(os.path.join(directory, "policy"))
        temp = read_first_line(os.path.join(directory, "temp"))
    except OSError:
        return None
    return ThermalZone(name, zone_type, parse_int(temp, "thermal zone temp"))


def read_cooling_device(name: str, directory: str) -> CoolingDevice | None:
    try:
        dev_type = read_first_line(os.path.join(directory, "type"))
        max_state = read_first_line(os.path.join(directory, "max_state"))
        cur_state = read_first_line(os.path.join(directory, "cur_state"))
    except OSError:
        return None
    return CoolingDevice(
        name, dev_type, parse_int(cur_state, "cooling device cur_state"),
        parse_int(max_state, "cooling device max_state"),
    )


@collector("thermal_zone")
class ThermalZoneCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        class_dir = self.paths.sys("class", "thermal")
        if not os.path.isdir(class_dir):
            return []
        temp = GaugeMetricFamily("node_thermal_zone_temp", "Zone temperature in Celsius",
                                 labels=["zone", "type"])
        for name, directory in _entries(class_dir, "thermal_zone"):
            zone = read_thermal_zone(name, directory)
            if zone is not None:
                temp.add_metric([zone.name, zone.type], zone.temp / 1000.0)
        cur = GaugeMetricFamily("node_cooling_device_cur_state",
                                "Current throttle state of the cooling device", labels=["name", "type"])
        top = GaugeMetricFamily("node_cooling_device_max_state",
                                "Maximum throttle state of the cooling device", labels=["name", "type"])
        for name, directory in _entries(class_dir, "cooling_device"):
            device = read_cooling_device(name, directory)
            if device is not None:
                cur.add_metric([device.name, device.type], device.cur_state)
                top.add_metric([device.name, device.type], device.max_state)
        return [temp, cur, top]
