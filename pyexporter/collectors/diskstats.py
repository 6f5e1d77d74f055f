"""diskstats: block device I/O statistics from /proc/diskstats, with identity from
/sys/block/<dev>/queue and the udev database, as node_exporter's diskstats collector.

psutil's disk_io_counters drops the discard and flush fields and reads a process-global
PROCFS_PATH, so /proc/diskstats is parsed here directly through self.paths.

Follows collector/diskstats_linux.go and procfs blockdevice/stats.go (ProcDiskstats: 11, 15 or
17 counters after major, minor and name; SysBlockDeviceQueueStats). Some forks of
diskstats_linux.go add node_disk_device_mapper_backing_device_info (the entries of
/sys/block/<dm>/slaves); upstream's e2e output has none for its dm devices with slaves, so
neither do we.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily, add_row
from pyexporter.toolkit.files import decode, read_text
from pyexporter.toolkit.filters import exclusive_filter
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, check_uints, parse_float, parse_uints, read_uint_file
from pyexporter.toolkit.static import DirectoryCache, FileCache

DEFAULT_DEVICE_EXCLUDE = r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"

_SECONDS_PER_TICK = 1.0 / 1000.0
# The kernel counts sectors in fixed 512-byte units whatever the device's block size.
_UNIX_SECTOR_SIZE = 512.0
# major, minor, name and up to 17 counters (kernel 5.5+ has discard and flush fields).
_MAX_FIELDS = 20
_MIN_FIELDS = 14


class DiskStats(NamedTuple):
    major: int
    minor: int
    device: str
    # Only the counters the kernel provides (11, 15 or 17 of them).
    counters: tuple[int, ...]


def parse_diskstats(text: str, keep: Callable[[list[str]], Sequence[int]] | None = None) -> list[DiskStats]:
    """Every device line with at least the 11 classic counters; shorter lines are skipped and
    fields past the 20th ignored, as procfs does. A non-numeric counter is an error: procfs
    scans the device numbers and counters with fmt.Sscanf's %d into uint32s and uint64s, which
    takes ASCII digits only, as strconv.ParseUint(x, 10, bits) does.

    With KEEP, only the devices at the indexes it gives (distinct, in order) for the lines' device
    names; every line's numbers are still checked, as procfs parses every line before
    node_exporter filters the devices."""
    lines = _uniform_lines(text)
    if lines is not None:
        stats = _read_uniform_lines(*lines, keep)
        if stats is not None:
            return stats
    stats = _parse_lines(text)
    return stats if keep is None else [stats[index] for index in keep([stat.device for stat in stats])]


# A number of 9 digits at most is below 2**32.
_UINT32_DIGITS = 9


def _uniform_lines(text: str) -> tuple[list[str], list[str], int] | None:
    """(device names, every line's number texts, numbers a line) of a file in the kernel's shape:
    every line holds the same number of fields, from 14 to 20 (the kernel writes 14, 18 or 20 to
    every line), and majors and minors have at most 9 characters. None otherwise."""
    widths = set(map(len, map(str.split, text.splitlines())))
    if len(widths) != 1:
        return None
    (width,) = widths
    if not _MIN_FIELDS <= width <= _MAX_FIELDS:
        return None
    # str.split's separators include every line break str.splitlines cuts at: these are the
    # lines' fields, one line after another.
    numbers = text.split()
    devices = numbers[2::width]
    del numbers[2::width]
    stride = width - 1
    if max(map(len, numbers[0::stride] + numbers[1::stride])) > _UINT32_DIGITS:
        return None
    return devices, numbers, stride


def _read_uniform_lines(devices: list[str], numbers: list[str], stride: int,
                        keep: Callable[[list[str]], Sequence[int]] | None) -> list[DiskStats] | None:
    """The kept devices of _uniform_lines, their numbers read as one batch (and, when some devices
    are left out, every line's numbers checked as one); None when a number is not one parse_uint
    reads (_parse_lines then raises for the first line at fault)."""
    kept = range(len(devices)) if keep is None else keep(devices)
    texts: list[str] = []
    for index in kept:
        texts += numbers[index * stride:(index + 1) * stride]
    try:
        if len(kept) < len(devices):
            check_uints(numbers)
        values = parse_uints(texts)
    except NumberError:
        return None
    stats = []
    for position, index in enumerate(kept):
        major, minor, *counters = values[position * stride:(position + 1) * stride]
        stats.append(DiskStats(major, minor, devices[index], tuple(counters)))
    return stats


def _parse_lines(text: str) -> list[DiskStats]:
    stats: list[DiskStats] = []
    for line in text.splitlines():
        fields = line.split()[:_MAX_FIELDS]
        if len(fields) < 3:
            continue
        major, minor = parse_uints(fields[:2], bits=32)
        counters = tuple(parse_uints(fields[3:]))
        if len(fields) < _MIN_FIELDS:
            continue
        stats.append(DiskStats(major, minor, fields[2], counters))
    return stats


# bufio.MaxScanTokenSize: a line of this many bytes or more (without its `\n`) does not fit.
_SCAN_BUFFER = 64 * 1024


def parse_udev_properties(text: str) -> dict[str, str]:
    """The `E:KEY=value` device properties of one udev database entry, in lines as Go's
    bufio.ScanLines cuts them: at each `\n`, less one `\r` before it (str.splitlines would also cut
    at `\r`, `\v`, `\f`, `\x1c`-`\x1e`, `\x85`, U+2028 and U+2029). node_exporter's Scanner stops,
    and keeps what it found, at the first line too long for its 64 KiB buffer."""
    info: dict[str, str] = {}
    for line in text.split("\n"):
        # A character is at most 4 bytes: only a line this long can be too long.
        if len(line) >= _SCAN_BUFFER // 4 and len(line.encode("utf-8", "surrogateescape")) >= _SCAN_BUFFER:
            break
        if not line.startswith("E:"):
            continue
        name, sep, value = line[2:].partition("=")
        if sep:
            info[name] = value[:-1] if value.endswith("\r") else value
    return info


# The queue files procfs's SysBlockDeviceQueueStats requires; `throttle_sample_time` is optional.
_QUEUE_FILES = frozenset({
    "add_random", "dax", "discard_granularity", "discard_max_hw_bytes", "discard_max_bytes", "hw_sector_size",
    "io_poll", "io_timeout", "iostats", "logical_block_size", "max_hw_sectors_kb", "max_integrity_segments",
    "max_sectors_kb", "max_segments", "max_segment_size", "minimum_io_size", "nomerges", "nr_requests",
    "optimal_io_size", "physical_block_size", "read_ahead_kb", "rotational", "rq_affinity",
    "write_same_max_bytes", "nr_zones", "chunk_sectors", "fua", "max_discard_segments", "write_zeroes_max_bytes",
    "io_poll_delay", "wbt_lat_usec", "write_cache", "zoned", "scheduler",
})


def queue_listing(queue_dir: str) -> DirectoryCache[bool]:
    """Whether QUEUE_DIR holds every file SysBlockDeviceQueueStats requires. The block layer
    creates a queue's attribute files with its directory (blk_queue_ktype's default_groups, in
    older kernels a sysfs_create_group right after the kobject_add) and removes them with it, so
    the answer is kept while the directory is the same (toolkit.static's DirectoryCache)."""
    return DirectoryCache(queue_dir, _QUEUE_FILES.issubset)


def _queue_rotational(queue: DirectoryCache[bool]) -> int:
    """queue/rotational as node_exporter reports it: SysBlockDeviceQueueStats reads the whole
    queue directory and gives an empty record, so rotational 0, when any of the files it requires
    is missing (a kernel without io_timeout or write_same_max_bytes, a virtio disk's queue
    without io_timeout). Only a rotational other than 0 needs that look at the directory. The one
    value is read: node_exporter also reports 0 when another of those files holds a number it
    cannot parse, which a kernel never writes.
    """
    try:
        rotational = read_uint_file(f"{queue.path}/rotational")
        return rotational if rotational == 0 or queue.get() else 0
    except (OSError, NumberError):
        return 0


# (name with _total for counters, help, is_counter, scale); one per diskstats counter, in order.
_COUNTERS: tuple[tuple[str, str, bool, float], ...] = (
    ("node_disk_reads_completed_total", "The total number of reads completed successfully.", True, 1.0),
    ("node_disk_reads_merged_total", "The total number of reads merged.", True, 1.0),
    ("node_disk_read_bytes_total", "The total number of bytes read successfully.", True, _UNIX_SECTOR_SIZE),
    ("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", True,
     _SECONDS_PER_TICK),
    ("node_disk_writes_completed_total", "The total number of writes completed successfully.", True, 1.0),
    ("node_disk_writes_merged_total", "The number of writes merged.", True, 1.0),
    ("node_disk_written_bytes_total", "The total number of bytes written successfully.", True,
     _UNIX_SECTOR_SIZE),
    ("node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", True,
     _SECONDS_PER_TICK),
    ("node_disk_io_now", "The number of I/Os currently in progress.", False, 1.0),
    ("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", True, _SECONDS_PER_TICK),
    ("node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", True,
     _SECONDS_PER_TICK),
    ("node_disk_discards_completed_total", "The total number of discards completed successfully.", True, 1.0),
    ("node_disk_discards_merged_total", "The total number of discards merged.", True, 1.0),
    ("node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", True, 1.0),
    ("node_disk_discard_time_seconds_total", "This is the total number of seconds spent by all discards.",
     True, _SECONDS_PER_TICK),
    ("node_disk_flush_requests_total", "The total number of flush requests completed successfully", True, 1.0),
    ("node_disk_flush_requests_time_seconds_total",
     "This is the total number of seconds spent by all flush requests.", True, _SECONDS_PER_TICK),
)

_ATA: tuple[tuple[str, str, str], ...] = (
    ("ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "ATA disk has a write cache."),
    ("ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled", "ATA disk has its write cache enabled."),
    ("ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm", "ATA disk rotation rate in RPMs (0 for SSDs)."),
)
_SCALES = tuple(scale for _, _, _, scale in _COUNTERS)


class UdevInfo(NamedTuple):
    """What diskstats reports of a device's udev entry."""

    info: tuple[str, str, str, str, str]  # node_disk_info's path, wwn, model, serial, revision
    filesystem: tuple[str, str, str, str] | None  # node_disk_filesystem_info's type, usage, uuid, version
    mapper: tuple[str, str, str, str, str] | None  # node_disk_device_mapper_info's name ... lv_layer
    ata: tuple[tuple[int, str, str], ...]  # (index in _ATA, key, text) of each ATA value given


def udev_info(properties: Mapping[str, str]) -> UdevInfo:
    get = properties.get
    # SCSI_IDENT_SERIAL is the serial printed on the label; virtio disks only have ID_SERIAL.
    serial = get("SCSI_IDENT_SERIAL") or get("ID_SERIAL_SHORT") or get("ID_SERIAL", "")
    fs_type = get("ID_FS_TYPE", "")
    dm_name = get("DM_NAME", "")
    return UdevInfo(
        info=(get("ID_PATH", ""), get("ID_WWN", ""), get("ID_MODEL", ""), serial, get("ID_REVISION", "")),
        filesystem=(fs_type, get("ID_FS_USAGE", ""), get("ID_FS_UUID", ""), get("ID_FS_VERSION", ""))
        if fs_type else None,
        mapper=(dm_name, get("DM_UUID", ""), get("DM_VG_NAME", ""), get("DM_LV_NAME", ""), get("DM_LV_LAYER", ""))
        if dm_name else None,
        ata=tuple((index, key, properties[key]) for index, (key, _, _) in enumerate(_ATA) if key in properties)
        if get("ID_ATA", "") else (),
    )


_NO_UDEV = udev_info({})


def _parse_udev_entry(raw: bytes) -> UdevInfo:
    # Worked out once an entry: the entry's FileCache keeps it while the file is the same, and it
    # is a function of the file's content alone.
    return udev_info(parse_udev_properties(decode(raw)))


@dataclass(frozen=True, slots=True)
class DiskstatsOptions:
    device_exclude: re.Pattern[str] | None = flag(
        "device-exclude",
        "Regexp of diskstats devices to exclude (mutually exclusive to device-include).",
        DEFAULT_DEVICE_EXCLUDE)
    device_include: re.Pattern[str] | None = flag(
        "device-include",
        "Regexp of diskstats devices to include (mutually exclusive to device-exclude).",
        "")


@collector("diskstats", options=DiskstatsOptions)
class DiskstatsCollector(Collector[DiskstatsOptions]):
    def __init__(self, ctx: CollectorContext[DiskstatsOptions]) -> None:
        super().__init__(ctx)
        self.filter = exclusive_filter(
            "collector.diskstats", self.options.device_exclude, self.options.device_include,
            default_exclude=DEFAULT_DEVICE_EXCLUDE,
        )
        # Of the devices of the last scrape: the parsed udev entry, kept while the file is the
        # same (udev replaces it by rename on each event; FileCache), and the queue listing.
        self._udev_entries: dict[tuple[int, int], FileCache[UdevInfo]] = {}
        self._queues: dict[str, DirectoryCache[bool]] = {}
        # The indexes of the devices the filter keeps, by the file's device names: the filter is
        # fixed for the collector's life, and the names recur every scrape.
        self._kept: RecurringMemo[tuple[str, ...], list[int]] = RecurringMemo(self._keep)

    def _udev(self, entry: FileCache[UdevInfo], major: int, minor: int) -> UdevInfo:
        try:
            return entry.get()
        except OSError as err:
            self.log.debug("Failed to read udev info", extra={"kv": {"device": f"{major}:{minor}", "err": str(err)}})
            return _NO_UDEV

    def _keep(self, devices: tuple[str, ...]) -> list[int]:
        return [index for index, device in enumerate(devices) if not self.filter.ignored(device)]

    def _kept_devices(self, devices: list[str]) -> list[int]:
        return self._kept(tuple(devices))

    def collect(self) -> Iterable[Metric]:
        self._kept.rotate()
        stats = parse_diskstats(read_text(self.paths.proc("diskstats")), self._kept_devices)
        udev_entries: dict[tuple[int, int], FileCache[UdevInfo]] = {}
        queues: dict[str, DirectoryCache[bool]] = {}

        info = GaugeMetricFamily(
            "node_disk_info",
            "Info of /sys/block/<block_device>.",
            labels=["device", "major", "minor", "path", "wwn", "model", "serial", "revision", "rotational"],
        )
        counters = [
            (CounterMetricFamily if is_counter else GaugeMetricFamily)(name, help_text, labels=["device"])
            for name, help_text, is_counter, _ in _COUNTERS
        ]
        # The labels of the families few disks have samples in, built into families at the end.
        fs_rows: list[tuple[str, ...]] = []
        dm_rows: list[tuple[str, ...]] = []
        ata_rows: list[list[tuple[str, float]]] = [[] for _ in _ATA]

        for disk in stats:
            dev = disk.device
            numbers = (disk.major, disk.minor)
            entry = self._udev_entries.get(numbers)
            if entry is None:
                entry = FileCache(self.paths.udev(f"b{disk.major}:{disk.minor}"), _parse_udev_entry)
            udev_entries[numbers] = entry
            udev = self._udev(entry, disk.major, disk.minor)
            queue = self._queues.get(dev) or queue_listing(self.paths.sys("block", dev, "queue"))
            queues[dev] = queue
            rotational = _queue_rotational(queue)
            info.add_metric((dev, str(disk.major), str(disk.minor), *udev.info, format(rotational, "b")), 1.0)
            add_row(counters, (dev,), map(operator.mul, disk.counters, _SCALES))
            if udev.filesystem is not None:
                fs_rows.append((dev, *udev.filesystem))
            if udev.mapper is not None:
                dm_rows.append((dev, *udev.mapper))
            for ata_index, key, text in udev.ata:
                try:
                    ata_rows[ata_index].append((dev, parse_float(text)))
                except NumberError as err:
                    self.log.error("Failed to parse ATA value",
                                   extra={"kv": {"device": dev, "key": key, "value": text, "err": str(err)}})

        self._udev_entries, self._queues = udev_entries, queues

        # node_exporter prints no HELP/TYPE for a family without samples (no disk at all, or
        # only the 11 classic counters).
        for family in (info, *counters):
            if family.samples:
                yield family
        if fs_rows:
            yield _info_family("node_disk_filesystem_info", "Info about disk filesystem.",
                               ["device", "type", "usage", "uuid", "version"], fs_rows)
        if dm_rows:
            yield _info_family("node_disk_device_mapper_info", "Info about disk device mapper.",
                               ["device", "name", "uuid", "vg_name", "lv_name", "lv_layer"], dm_rows)
        for (_, name, help_text), rows in zip(_ATA, ata_rows, strict=True):
            if rows:
                family = GaugeMetricFamily(name, help_text, labels=["device"])
                for dev, value in rows:
                    family.add_metric([dev], value)
                yield family


def _info_family(name: str, help_text: str, labels: list[str], rows: list[tuple[str, ...]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=labels)
    for row in rows:
        family.add_metric(row, 1.0)
    return family
