"""thermal_zone: /sys/class/thermal zones and cooling devices, as node_exporter's thermal_zone collector
(collector/thermal_zone_linux.go) over procfs's sysfs/class_thermal.go and class_cooling_device.go."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_first_line, resolve_sysfs_path
from pyexporter.toolkit.numbers import read_int_file


class ThermalZone(NamedTuple):
    name: str  # the N of thermal_zoneN
    type: str
    temp: int  # millidegrees Celsius


class CoolingDevice(NamedTuple):
    name: str  # the N of cooling_deviceN
    type: str
    cur_state: int
    max_state: int


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
    """One zone; None when a required attribute is unreadable (the kernel refuses some zones).
    temp is util.SysReadIntFromFile's: the trimmed attribute through strconv.ParseInt(x, 10, 64);
    a malformed one is a NumberError."""
    try:
        zone_type = read_first_line(os.path.join(directory, "type"))
        read_first_line(os.path.join(directory, "policy"))
        temp = read_int_file(os.path.join(directory, "temp"))
    except OSError:
        return None
    return ThermalZone(name, zone_type, temp)


def read_cooling_device(name: str, directory: str) -> CoolingDevice | None:
    """One cooling device; None when an attribute is unreadable. The states are the trimmed
    attributes through strconv.ParseInt(x, 10, 64) (cur_state may be -1); a malformed one is a
    NumberError."""
    try:
        dev_type = read_first_line(os.path.join(directory, "type"))
        max_state = read_int_file(os.path.join(directory, "max_state"))
        cur_state = read_int_file(os.path.join(directory, "cur_state"))
    except OSError:
        return None
    return CoolingDevice(name, dev_type, cur_state, max_state)


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
