"""thermal_zone: /sys/class/thermal zones and cooling devices, as node_exporter's thermal_zone collector
(collector/thermal_zone_linux.go) over procfs's sysfs/class_thermal.go (ClassThermalZoneStats,
parseClassThermalZone: optional mode and passive, disabled zones skipped), class_cooling_device.go
(parseCoolingDeviceStats) and net_class.go's canIgnoreError, with util.SysReadFile's reads."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, numbered_entries, open_regular, resolve_sysfs_path
from pyexporter.toolkit.numbers import go_trim_space, parse_int, parse_uint


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
    """(N, resolved directory) for every PREFIX<digit>* entry of class_dir (procfs's filepath.Glob)."""
    found = []
    for name in numbered_entries(class_dir, prefix):
        try:
            found.append((name[len(prefix):], resolve_sysfs_path(os.path.join(class_dir, name))))
        except OSError:
            continue
    return found


class ReadErrno(OSError):
    """A read(2) that failed after the open succeeded: util.SysReadFile returns that errno
    bare, where an open failure comes wrapped in an *fs.PathError, and the callers tell the two
    apart."""


def sys_read(path: str) -> str:
    """util.SysReadFile: open (OSError, Go's PathError), one read(2) of at most 128 bytes
    (ReadErrno), the bytes trimmed as strings.TrimSpace trims."""
    fd = open_regular(path)
    try:
        try:
            raw = os.read(fd, 128)
        except OSError as err:
            raise ReadErrno(err.errno, err.strerror, path) from err
    finally:
        os.close(fd)
    return go_trim_space(decode(raw))


_NOT_THERE = frozenset({errno.ENOENT, errno.EACCES, errno.EPERM})  # os.IsNotExist, os.IsPermission


def _zone_skips(err: OSError) -> bool:
    """ClassThermalZoneStats skips a zone on ENODATA, EAGAIN or any *fs.PathError (an open that
    failed); any other error fails the whole collector."""
    return not isinstance(err, ReadErrno) or err.errno in (errno.ENODATA, errno.EAGAIN)


def read_thermal_zone(name: str, directory: str) -> ThermalZone | None:
    """parseClassThermalZone: None for a zone ClassThermalZoneStats skips.

    `mode` is optional (absent or unreadable for permissions: ignored) and a `disabled` zone is
    skipped; `type`, `policy` and `temp` are required; `passive` is optional but must be a
    number when present. temp is util.SysReadIntFromFile's strconv.ParseInt(x, 10, 64), passive
    SysReadUintFromFile's ParseUint: a malformed one is a NumberError, as is any read error
    ClassThermalZoneStats does not skip (a CollectorError)."""
    try:
        try:
            mode = sys_read(os.path.join(directory, "mode"))
        except OSError as err:
            if err.errno not in _NOT_THERE:
                raise
            mode = ""
        if mode == "disabled":
            return None
        zone_type = sys_read(os.path.join(directory, "type"))
        sys_read(os.path.join(directory, "policy"))
        temp = parse_int(sys_read(os.path.join(directory, "temp")))
        try:
            parse_uint(sys_read(os.path.join(directory, "passive")))
        except OSError as err:
            if err.errno not in _NOT_THERE:
                raise
    except OSError as err:
        if _zone_skips(err):
            return None
        raise CollectorError(f"thermal zone {name}: {err}") from err
    return ThermalZone(name, zone_type, temp)


# sysfs canIgnoreError: not there, not permitted, EOPNOTSUPP, EINVAL, whether open or read failed.
_COOLING_IGNORED = _NOT_THERE | {errno.EOPNOTSUPP, errno.EINVAL}


def read_cooling_device(name: str, directory: str) -> CoolingDevice | None:
    """parseCoolingDeviceStats: None for a device ClassCoolingDeviceStats skips (canIgnoreError);
    any other read error is a CollectorError. The states are the trimmed attributes through
    strconv.ParseInt(x, 10, 64) (cur_state may be -1); a malformed one is a NumberError."""
    try:
        dev_type = sys_read(os.path.join(directory, "type"))
        max_state = parse_int(sys_read(os.path.join(directory, "max_state")))
        cur_state = parse_int(sys_read(os.path.join(directory, "cur_state")))
    except OSError as err:
        if err.errno in _COOLING_IGNORED:
            return None
        raise CollectorError(f"cooling device {name}: {err}") from err
    return CoolingDevice(name, dev_type, cur_state, max_state)


@collector("thermal_zone")
class ThermalZoneCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        class_dir = self.paths.sys("class", "thermal")
        if not os.path.isdir(class_dir):
            return
        temp = GaugeMetricFamily("node_thermal_zone_temp", "Zone temperature in Celsius",
                                 labels=["zone", "type"])
        for name, directory in _entries(class_dir, "thermal_zone"):
            zone = read_thermal_zone(name, directory)
            if zone is not None:
                temp.add_metric([zone.name, zone.type], zone.temp / 1000.0)
        # Zones are sent before cooling devices are read: a cooling device's error keeps them.
        yield temp
        cur = GaugeMetricFamily("node_cooling_device_cur_state",
                                "Current throttle state of the cooling device", labels=["name", "type"])
        top = GaugeMetricFamily("node_cooling_device_max_state",
                                "Maximum throttle state of the cooling device", labels=["name", "type"])
        for name, directory in _entries(class_dir, "cooling_device"):
            device = read_cooling_device(name, directory)
            if device is not None:
                cur.add_metric([device.name, device.type], device.cur_state)
                top.add_metric([device.name, device.type], device.max_state)
        yield cur
        yield top
