"""dmmultipath: device-mapper multipath maps from /sys/block/dm-*, as node_exporter's dmmultipath
collector: collector/dmmultipath_linux.go (Update, isPathActive) and procfs
blockdevice/dm_multipath.go (DMMultipathDevices, dmMultipathPaths). Its first release registered
it disabled; upstream's e2e output (2026-08) has it without enabling it, so it is on by default.

A dm-* entry without dm/uuid is not a device-mapper device; one whose uuid does not start with
`mpath-` is not multipath. For a multipath map dm/name, dm/suspended, size and each slave's
device/state are required (slaves/ may be absent: no paths). Every error that is "not exist" or
"permission" anywhere is node_exporter's ErrNoData (no sample at all); other read errors and
numbers that are not ReadUintFromFile numbers fail the collector. Text values are the whole
file trimmed (util.SysReadFile); the size is sectors * 512 as a uint64.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import list_dir
from pyexporter.toolkit.numbers import read_uint_file, sys_read_file

SECTOR_SIZE = 512
_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class MultipathPath:
    device: str
    state: str

    @property
    def active(self) -> bool:
        """SCSI `running` or NVMe `live`."""
        return self.state in ("running", "live")


@dataclass(slots=True)
class MultipathDevice:
    name: str
    sysfs_name: str
    uuid: str
    suspended: bool
    size_bytes: int
    paths: list[MultipathPath] = field(default_factory=list)


def read_multipath_devices(block_dir: str) -> list[MultipathDevice]:
    devices: list[MultipathDevice] = []
    for entry in list_dir(block_dir):
        if not entry.startswith("dm-"):
            continue
        dm_dir = os.path.join(block_dir, entry, "dm")
        try:
            uuid = sys_read_file(os.path.join(dm_dir, "uuid"))
        except FileNotFoundError:
            continue  # not a device-mapper device
        if not uuid.startswith("mpath-"):
            continue
        device = MultipathDevice(
            name=sys_read_file(os.path.join(dm_dir, "name")),
            sysfs_name=entry,
            uuid=uuid,
            suspended=read_uint_file(os.path.join(dm_dir, "suspended")) == 1,
            size_bytes=(read_uint_file(os.path.join(block_dir, entry, "size")) * SECTOR_SIZE) & _U64,
        )
        for slave in list_dir(os.path.join(block_dir, entry, "slaves")):
            state = sys_read_file(os.path.join(block_dir, slave, "device", "state"))
            device.paths.append(MultipathPath(slave, state))
        devices.append(device)
    return devices


@collector("dmmultipath", default=True)
class DMMultipathCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        try:
            devices = read_multipath_devices(self.paths.sys("block"))
        except (FileNotFoundError, PermissionError):
            # errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission): ErrNoData
            raise NoDataError("Could not read DM-multipath devices") from None
        if not devices:
            return
        p = "node_dmmultipath_"
        labels = ["device", "sysfs_name"]
        info = GaugeMetricFamily(p + "device_info", "Non-numeric information about a DM-multipath device.",
                                 labels=["device", "sysfs_name", "uuid"])
        active = GaugeMetricFamily(
            p + "device_active",
            "Whether the multipath device-mapper device is active (1) or suspended (0).", labels=labels)
        size = GaugeMetricFamily(
            p + "device_size_bytes",
            "Size of the multipath device in bytes, read from /sys/block/<dm>/size.", labels=labels)
        paths = GaugeMetricFamily(p + "device_paths", "Number of paths for a multipath device.",
                                  labels=labels)
        paths_active = GaugeMetricFamily(
            p + "device_paths_active",
            "Number of paths in active state (SCSI running or NVMe live) for a multipath device.",
            labels=labels)
        paths_failed = GaugeMetricFamily(
            p + "device_paths_failed", "Number of paths not in active state for a multipath device.",
            labels=labels)
        path_state = GaugeMetricFamily(
            p + "path_state",
            "Reports the underlying device state for a multipath path, as read from "
            "/sys/block/<dev>/device/state.",
            labels=["device", "path", "state"])
        for dev in devices:
            key = [dev.name, dev.sysfs_name]
            info.add_metric([dev.name, dev.sysfs_name, dev.uuid], 1)
            active.add_metric(key, 0 if dev.suspended else 1)
            size.add_metric(key, dev.size_bytes)
            n_active = sum(1 for path in dev.paths if path.active)
            for path in dev.paths:
                path_state.add_metric([dev.name, path.device, path.state], 1)
            paths.add_metric(key, len(dev.paths))
            paths_active.add_metric(key, n_active)
            paths_failed.add_metric(key, len(dev.paths) - n_active)
        yield from (info, active, size, paths, paths_active, paths_failed, path_state)
