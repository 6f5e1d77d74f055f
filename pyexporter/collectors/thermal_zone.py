"""thermal_zone: /sys/class/thermal zones and cooling devices, as node_exporter's thermal_zone collector
(collector/thermal_zone_linux.go: Update, with the ErrNoData of upstream PRs #2554 and #3657) over
procfs v0.19.0's sysfs/class_thermal.go (ClassThermalZoneStats, parseClassThermalZone: optional
mode and passive), class_cooling_device.go (parseCoolingDeviceStats) and net_class.go's
canIgnoreError, with util.SysReadFile's reads.

A zone whose type, policy or temp does not open (missing, say) is skipped, as is one whose read
answers ENODATA or EAGAIN; the other zones and the cooling devices are still reported
(node_exporter 1.5.0 failed the collector instead). A zone read that fails otherwise ends the
collector with nothing reported, as ErrNoData for EINVAL, EACCES, EPERM or ENOENT, as an error
for anything else; procfs's later ReadErrors (v0.20 on) is not in v0.19.0. Zones are sent before
cooling devices are read, so a cooling device's error keeps them, as in Go."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import RefusedFile, decode, numbered_entries, open_regular, resolve_sysfs_path
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
    try:
        fd = open_regular(path)
    except RefusedFile:
        if os.path.isdir(path):
            # Go opens a directory fine; its read(2) is the bare EISDIR.
            raise ReadErrno(errno.EISDIR, os.strerror(errno.EISDIR), path) from None
        raise
    try:
        try:
            raw = os.read(fd, 128)
        except OSError as err:
            raise ReadErrno(err.errno, err.strerror, path) from err
    finally:
        os.close(fd)
    return go_trim_space(decode(raw))


_NOT_THERE = frozenset({errno.ENOENT, errno.EACCES, errno.EPERM})  # os.IsNotExist, os.IsPermission

# node_exporter's Update answers an error of ClassThermalZoneStats that is os.ErrNotExist,
# os.ErrPermission or syscall.EINVAL with ErrNoData (os.ErrInvalid matches no errno); such an
# error reaches it only as a read's bare errno, the open's being skipped with their zone.
_NO_DATA = _NOT_THERE | {errno.EINVAL}


def _zone_skips(err: OSError) -> bool:
    """ClassThermalZoneStats (procfs v0.19.0) skips a zone on ENODATA, EAGAIN or any
    *fs.PathError (an open that failed); any other error ends the collector."""
    return not isinstance(err, ReadErrno) or err.errno in (errno.ENODATA, errno.EAGAIN)


def _optional_attribute(path: str) -> str | None:
    """An attribute parseClassThermalZone may go without: None when absent or not permitted."""
    try:
        return sys_read(path)
    except OSError as err:
        if err.errno in _NOT_THERE:
            return None
        raise


def read_thermal_zone(name: str, directory: str) -> ThermalZone | None:
    """parseClassThermalZone: None for a zone ClassThermalZoneStats skips.

    `type`, `policy` and `temp` are required and read in that order; then `mode`, optional
    (absent or unreadable for permissions: ignored; its value is not looked at, so a disabled
    zone whose temp reads is reported), and `passive`, optional but a number when present. temp
    is util.SysReadIntFromFile's strconv.ParseInt(x, 10, 64), passive SysReadUintFromFile's
    ParseUint: a malformed one is a NumberError. A read error ClassThermalZoneStats does not skip
    is NoDataError or CollectorError, as node_exporter's Update tells them apart."""
    try:
        zone_type = sys_read(os.path.join(directory, "type"))
        sys_read(os.path.join(directory, "policy"))
        temp = parse_int(sys_read(os.path.join(directory, "temp")))
        _optional_attribute(os.path.join(directory, "mode"))
        passive = _optional_attribute(os.path.join(directory, "passive"))
        if passive is not None:
            parse_uint(passive)
    except OSError as err:
        if _zone_skips(err):
            return None
        if err.errno in _NO_DATA:
            raise NoDataError(f"could not read thermal zone stats: thermal zone {name}: {err}") from err
        raise CollectorError(f"thermal zone {name}: {err}") from err
    return ThermalZone(name, zone_type, temp)


def _cooling_ignores(err: OSError) -> bool:
    """sysfs's canIgnoreError: not there or not permitted (os.IsNotExist, os.IsPermission) and
    EINVAL (errors.As finds it in a PathError too), whether the open or the read failed; and
    `err.Error() == "operation not supported"`, which only a read's bare EOPNOTSUPP matches (a
    PathError's text starts with the operation and path)."""
    if err.errno in _NOT_THERE or err.errno == errno.EINVAL:
        return True
    return isinstance(err, ReadErrno) and err.errno == errno.EOPNOTSUPP


def read_cooling_device(name: str, directory: str) -> CoolingDevice | None:
    """parseCoolingDeviceStats: None for a device ClassCoolingDeviceStats skips (canIgnoreError);
    any other read error is a CollectorError. The states are the trimmed attributes through
    strconv.ParseInt(x, 10, 64) (cur_state may be -1); a malformed one is a NumberError."""
    try:
        dev_type = sys_read(os.path.join(directory, "type"))
        max_state = parse_int(sys_read(os.path.join(directory, "max_state")))
        cur_state = parse_int(sys_read(os.path.join(directory, "cur_state")))
    except OSError as err:
        if _cooling_ignores(err):
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
