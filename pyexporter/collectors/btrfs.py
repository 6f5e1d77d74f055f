"""btrfs: /sys/fs/btrfs/<uuid>, as node_exporter's btrfs collector.

node_exporter also opens each mounted btrfs filesystem and asks for per-device statistics with
BTRFS_IOC_DEV_INFO / BTRFS_IOC_GET_DEV_STATS ioctls; sysfs has no equivalent, so the ioctl-only
families (node_btrfs_device_unused_bytes, node_btrfs_device_errors_total and the btrfs_dev_uuid
label on node_btrfs_device_size_bytes) are left out and devices are always reported from sysfs.

Follows collector/btrfs_linux.go (Update, getMetrics, getAllocationStats, getLayoutStats) and
procfs btrfs/get.go (Stats, readFilesystemStats, readDeviceInfo, readAllocationStats,
readLayouts, calcRatio, readCommitStats). Directories procfs lists are required: `devices/`,
`features/` and each `allocation/{data,metadata,system}/` (a missing one fails the collector);
files are optional (absent reads as "" or 0), commit_stats too (kernels before 6.0). The raid5 /
raid6 allocation ratio is Go's float division, so one raid5 device gives +Inf, as upstream.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_uint

SECTOR_SIZE = 512
_UINT64_MAX = 2**64 - 1
BLOCK_GROUP_TYPES = ("data", "metadata", "system")


@dataclass(frozen=True, slots=True)
class CommitStats:
    commits: int = 0
    last_commit_ms: int = 0
    max_commit_ms: int = 0
    total_commit_ms: int = 0


@dataclass(slots=True)
class Layout:
    total_bytes: int
    used_bytes: int
    ratio: float


@dataclass(slots=True)
class AllocationStats:
    reserved_bytes: int = 0
    layouts: dict[str, Layout] = field(default_factory=dict)


@dataclass(slots=True)
class BtrfsStats:
    uuid: str
    label: str
    global_rsv_size: int
    commit: CommitStats
    devices: dict[str, int]  # name -> size in bytes
    allocation: dict[str, AllocationStats]


def parse_commit_stats(text: str) -> CommitStats:
    """commit_stats: `key value` lines (kernel >= 6.0), values read with strconv.ParseUint;
    unknown keys are ignored."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise CollectorError(f"invalid btrfs commit_stats line {line!r}")
        values[parts[0]] = parse_uint(parts[1])
    return CommitStats(
        commits=values.get("commits", 0),
        last_commit_ms=values.get("last_commit_ms", 0),
        max_commit_ms=values.get("max_commit_ms", 0),
        total_commit_ms=values.get("total_commit_ms", 0),
    )


def _go_divide(a: float, b: float) -> float:
    """a / b as Go's float64 division: ±Inf (or NaN for 0/0) where Python raises."""
    if b == 0:
        if a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def layout_ratio(mode: str, devices: int) -> float:
    """calcRatio: raw bytes written per byte of data for a RAID profile."""
    if mode in ("single", "raid0"):
        return 1.0
    if mode in ("dup", "raid1", "raid10"):
        return 2.0
    if mode == "raid5":
        return _go_divide(float(devices), float(devices) - 1)
    if mode == "raid6":
        return _go_divide(float(devices), float(devices) - 2)
    return 0.0


def _required_dir(path: str) -> list[str]:
    """procfs's listFiles / readLayouts: os.ReadDir, whose error fails the filesystem."""
    try:
        return sorted(os.listdir(path))
    except OSError as err:
        raise CollectorError(f"failed to retrieve Btrfs stats: {err}") from None


def _optional_text(path: str) -> str:
    """Attributes btrfs lacks on older kernels read as empty, as procfs does."""
    try:
        return go_trim_space(read_text(path))
    except FileNotFoundError:
        return ""


def _value(path: str) -> int:
    """A numeric attribute as procfs's readValue reads it: strconv.ParseUint of the trimmed
    text with its error ignored, so absent or unparsable reads as 0, and a number past uint64
    as the largest uint64 (what ParseUint returns along with its range error)."""
    text = _optional_text(path)
    try:
        return parse_uint(text)
    except NumberError:
        return _UINT64_MAX if text.isascii() and text.isdigit() else 0


def read_btrfs(uuid_dir: str) -> BtrfsStats:
    devices_dir = os.path.join(uuid_dir, "devices")
    devices = {
        name: (SECTOR_SIZE * _value(os.path.join(devices_dir, name, "size"))) & _UINT64_MAX
        for name in _required_dir(devices_dir)
    }
    _required_dir(os.path.join(uuid_dir, "features"))
    allocation: dict[str, AllocationStats] = {}
    for group in BLOCK_GROUP_TYPES:
        group_dir = os.path.join(uuid_dir, "allocation", group)
        stats = AllocationStats(reserved_bytes=_value(os.path.join(group_dir, "bytes_reserved")))
        for entry in _required_dir(group_dir):
            mode_dir = os.path.join(group_dir, entry)
            if os.path.isdir(mode_dir) and not os.path.islink(mode_dir):
                stats.layouts[entry] = Layout(
                    total_bytes=_value(os.path.join(mode_dir, "total_bytes")),
                    used_bytes=_value(os.path.join(mode_dir, "used_bytes")),
                    ratio=layout_ratio(entry, len(devices)),
                )
        allocation[group] = stats
    commit_path = os.path.join(uuid_dir, "commit_stats")
    commit = parse_commit_stats(read_text(commit_path)) if os.path.exists(commit_path) else CommitStats()
    return BtrfsStats(
        uuid=_optional_text(os.path.join(uuid_dir, "metadata_uuid")) or os.path.basename(uuid_dir),
        label=_optional_text(os.path.join(uuid_dir, "label")),
        global_rsv_size=_value(os.path.join(uuid_dir, "allocation", "global_rsv_size")),
        commit=commit,
        devices=devices,
        allocation=allocation,
    )


@collector("btrfs")
class BtrfsCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("fs", "btrfs")
        filesystems = [read_btrfs(os.path.join(base, n)) for n in list_dir(base) if "-" in n]
        if not filesystems:
            return
        g = "node_btrfs_"
        info = GaugeMetricFamily(g + "info", "Filesystem information", labels=["uuid", "label"])
        rsv = GaugeMetricFamily(g + "global_rsv_size_bytes", "Size of global reserve.", labels=["uuid"])
        commits = CounterMetricFamily(
            g + "commits_total", "The total number of commits that have occurred.", labels=["uuid"]
        )
        last = GaugeMetricFamily(
            g + "last_commit_seconds", "Duration of the most recent commit, in seconds.", labels=["uuid"]
        )
        slowest = GaugeMetricFamily(
            g + "max_commit_seconds", "Duration of the slowest commit, in seconds.", labels=["uuid"]
        )
        commit_total = CounterMetricFamily(
            g + "commit_seconds_total", "Sum of the duration of all commits, in seconds.", labels=["uuid"]
        )
        reserved = GaugeMetricFamily(
            g + "reserved_bytes", "Amount of space reserved for a data type",
            labels=["uuid", "block_group_type"],
        )
        layout_labels = ["uuid", "block_group_type", "mode"]
        used = GaugeMetricFamily(
            g + "used_bytes", "Amount of used space by a layout/data type", labels=layout_labels
        )
        size = GaugeMetricFamily(
            g + "size_bytes", "Amount of space allocated for a layout/data type", labels=layout_labels
        )
        ratio = GaugeMetricFamily(
            g + "allocation_ratio", "Data allocation ratio for a layout/data type", labels=layout_labels
        )
        device_size = GaugeMetricFamily(
            g + "device_size_bytes", "Size of a device that is part of the filesystem.",
            labels=["uuid", "device"],
        )
        for fs in filesystems:
            u = fs.uuid
            info.add_metric([u, fs.label], 1)
            rsv.add_metric([u], fs.global_rsv_size)
            commits.add_metric([u], fs.commit.commits)
            last.add_metric([u], fs.commit.last_commit_ms / 1000)
            slowest.add_metric([u], fs.commit.max_commit_ms / 1000)
            commit_total.add_metric([u], fs.commit.total_commit_ms / 1000)
            for group, stats in fs.allocation.items():
                reserved.add_metric([u, group], stats.reserved_bytes)
                for mode, layout in stats.layouts.items():
                    used.add_metric([u, group, mode], layout.used_bytes)
                    size.add_metric([u, group, mode], layout.total_bytes)
                    ratio.add_metric([u, group, mode], layout.ratio)
            for name, dev_size in fs.devices.items():
                device_size.add_metric([u, name], dev_size)
        yield from (info, rsv, commits, last, slowest, commit_total, reserved, used, size, ratio,
                    device_size)
