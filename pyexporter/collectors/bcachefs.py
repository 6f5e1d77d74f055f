"""bcachefs: /sys/fs/bcachefs/<uuid>, as node_exporter's bcachefs collector
(collector/bcachefs_linux.go: Update, sanitizeMetricName; procfs bcachefs/get.go: Stats,
readFilesystemStats, parseHumanReadableBytes, parseCompressionStats, parseErrors,
parseCounters, parseCounterFile, parseBtreeWriteStats, parseDevices, parseDeviceIODone,
parseDeviceIOErrors).

Every file is optional (openIfExists): a missing one reads as empty or 0, a missing counters/
as no counters, and a counter listed but gone (a dangling link) as 0. label and state read
as "" on any error. A value that is there but malformed fails the collector. Families without
samples (no compression, errors, btree writes or devices) are not emitted.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, FamilyIndex, GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import go_trim_space, parse_float, parse_uint, read_uint_file

_SUFFIX = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
_INVALID_METRIC_CHARS = re.compile(r"[^a-zA-Z0-9_]")


@dataclass(slots=True)
class DeviceStats:
    label: str = ""
    state: str = ""
    bucket_size_bytes: int = 0
    buckets: int = 0
    durability: int = 0
    io_done: dict[str, dict[str, int]] = field(default_factory=dict)
    io_errors: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class BcachefsStats:
    uuid: str
    btree_cache_size_bytes: int = 0
    compression: dict[str, tuple[int, int]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # since filesystem creation
    btree_writes: dict[str, tuple[int, int]] = field(default_factory=dict)
    devices: dict[str, DeviceStats] = field(default_factory=dict)


def parse_human_bytes(text: str) -> int:
    """bcachefs' human-readable sizes (`2.05G`, `62.5k`, `720`), in powers of 1024, as procfs's
    parseHumanReadableBytes reads them: trimmed, an optional unit suffix, strconv.ParseFloat."""
    text = go_trim_space(text)
    if not text:
        raise CollectorError("bcachefs: empty size value")
    power = _SUFFIX.get(text[-1].lower())
    if power is not None:
        text = text[:-1]
    scaled = parse_float(go_trim_space(text)) * float(1024 ** (power or 0))
    if not math.isfinite(scaled):  # nan, inf, or past float range: int() would raise
        raise CollectorError(f"bcachefs: invalid size value {text[:40]!r}")
    return int(scaled)


def parse_compression_stats(text: str) -> dict[str, tuple[int, int]]:
    """{algorithm: (compressed, uncompressed)}; the first line is a header. procfs also reads
    the average extent size of the fourth column, so a malformed one fails too."""
    stats: dict[str, tuple[int, int]] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 3:
            continue
        compressed, uncompressed = parse_human_bytes(fields[1]), parse_human_bytes(fields[2])
        if len(fields) >= 4:
            parse_human_bytes(fields[3])
        stats[fields[0].rstrip(":")] = (compressed, uncompressed)
    return stats


def parse_errors(text: str) -> dict[str, int]:
    """`name count [timestamp]` lines; procfs reads count and timestamp with strconv.ParseUint,
    so a malformed timestamp fails too."""
    errors: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            errors[fields[0]] = parse_uint(fields[1])
            if len(fields) >= 3:
                parse_uint(fields[2])
    return errors


def parse_counter(text: str) -> int:
    """A counters/<name> file: the `since filesystem creation:` value (0 if only since mount)."""
    creation: int | None = None
    seen = False
    for line in text.splitlines():
        if line.startswith("since mount:"):
            parse_human_bytes(line[len("since mount:"):])
            seen = True
        elif line.startswith("since filesystem creation:"):
            creation = parse_human_bytes(line[len("since filesystem creation:"):])
            seen = True
    if not seen:
        raise CollectorError("bcachefs: counter file format not recognized")
    return creation or 0


def parse_btree_write_stats(text: str) -> dict[str, tuple[int, int]]:
    """{type: (count, average size)}; the first line is a header."""
    stats: dict[str, tuple[int, int]] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 3:
            continue
        stats[fields[0].rstrip(":")] = (parse_uint(fields[1]), parse_human_bytes(fields[2]))
    return stats


def parse_io_done(text: str) -> dict[str, dict[str, int]]:
    """`read:`/`write:` sections of `data_type : bytes` lines."""
    done: dict[str, dict[str, int]] = {}
    op = ""
    for raw in text.splitlines():
        line = go_trim_space(raw)
        if line in ("read:", "write:"):
            op = line[:-1]
            done.setdefault(op, {})
            continue
        if not line or not op or ":" not in line:
            continue
        data_type, value = line.split(":", 1)
        done[op][go_trim_space(data_type)] = parse_uint(go_trim_space(value))
    return done


def parse_io_errors(text: str) -> dict[str, int]:
    """The `IO errors since filesystem creation` section only."""
    errors: dict[str, int] = {}
    in_section = False
    for line in text.splitlines():
        if line.startswith("IO errors since filesystem creation"):
            in_section = True
            continue
        if line.startswith("IO errors since "):
            break
        stripped = go_trim_space(line)
        if not in_section or not stripped or ":" not in stripped:
            continue
        name, value = stripped.split(":", 1)
        errors[go_trim_space(name)] = parse_uint(go_trim_space(value))
    return errors


def _read_optional(path: str) -> str | None:
    try:
        return read_text(path)
    except FileNotFoundError:
        return None


def _read_uint_or_zero(path: str) -> int:
    """procfs's readUintFile: util.ReadUintFromFile's parse, 0 when the file is absent."""
    try:
        return read_uint_file(path)
    except FileNotFoundError:
        return 0


def read_device(path: str) -> DeviceStats:
    dev = DeviceStats()
    # label and state may be unreadable on some kernels; procfs then reports them empty.
    for attr in ("label", "state"):
        try:
            setattr(dev, attr, go_trim_space(read_text(os.path.join(path, attr))))
        except OSError:
            pass
    bucket_size = go_trim_space(_read_optional(os.path.join(path, "bucket_size")) or "")
    if bucket_size:
        dev.bucket_size_bytes = parse_human_bytes(bucket_size)
    dev.buckets = _read_uint_or_zero(os.path.join(path, "nbuckets"))
    dev.durability = _read_uint_or_zero(os.path.join(path, "durability"))
    text = _read_optional(os.path.join(path, "io_done"))
    if text is not None:
        dev.io_done = parse_io_done(text)
    text = _read_optional(os.path.join(path, "io_errors"))
    if text is not None:
        dev.io_errors = parse_io_errors(text)
    return dev


def read_bcachefs(path: str) -> BcachefsStats:
    stats = BcachefsStats(uuid=os.path.basename(path))

    def optional(name: str) -> str | None:
        return _read_optional(os.path.join(path, name))

    text = optional("btree_cache_size")
    if text is not None and go_trim_space(text):
        stats.btree_cache_size_bytes = parse_human_bytes(text)
    if (text := optional("compression_stats")) is not None:
        stats.compression = parse_compression_stats(text)
    if (text := optional("errors")) is not None:
        stats.errors = parse_errors(text)
    counters_dir = os.path.join(path, "counters")
    for name in list_dir(counters_dir):
        counter_path = os.path.join(counters_dir, name)
        if not os.path.isdir(counter_path):
            text = _read_optional(counter_path)
            # parseCounterFile: openIfExists, so a listed counter that is gone reads as 0.
            stats.counters[name] = 0 if text is None else parse_counter(text)
    if (text := optional("btree_write_stats")) is not None:
        stats.btree_writes = parse_btree_write_stats(text)
    for entry in list_dir(path):
        if entry.startswith("dev-") and os.path.isdir(os.path.join(path, entry)):
            stats.devices[entry[4:]] = read_device(os.path.join(path, entry))
    return stats


@collector("bcachefs")
class BcachefsCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("fs", "bcachefs")
        if not os.path.isdir(base):
            raise NoDataError("bcachefs sysfs path not found")
        filesystems = [
            read_bcachefs(os.path.join(base, name))
            for name in list_dir(base)
            if os.path.isdir(os.path.join(base, name))
        ]
        if not filesystems:
            raise NoDataError("no bcachefs filesystems found")
        p = "node_bcachefs_"
        info = GaugeMetricFamily(p + "info", "Filesystem information.", labels=["uuid"])
        cache = GaugeMetricFamily(p + "btree_cache_size_bytes", "Btree cache memory usage in bytes.",
                                  labels=["uuid"])
        compressed = GaugeMetricFamily(p + "compression_compressed_bytes", "Compressed size by algorithm.",
                                       labels=["uuid", "algorithm"])
        uncompressed = GaugeMetricFamily(p + "compression_uncompressed_bytes",
                                         "Uncompressed size by algorithm.", labels=["uuid", "algorithm"])
        errors = CounterMetricFamily(p + "errors_total", "Error count by error type.",
                                     labels=["uuid", "error_type"])
        writes = CounterMetricFamily(p + "btree_writes_total", "Number of btree writes by type.",
                                     labels=["uuid", "type"])
        write_size = GaugeMetricFamily(p + "btree_write_average_size_bytes",
                                       "Average btree write size by type.", labels=["uuid", "type"])
        dev_info = GaugeMetricFamily(p + "device_info", "Device information.",
                                     labels=["uuid", "device", "label", "state"])
        bucket_size = GaugeMetricFamily(p + "device_bucket_size_bytes", "Bucket size in bytes.",
                                        labels=["uuid", "device"])
        buckets = GaugeMetricFamily(p + "device_buckets", "Total number of buckets.",
                                    labels=["uuid", "device"])
        durability = GaugeMetricFamily(p + "device_durability", "Device durability setting.",
                                       labels=["uuid", "device"])
        io_done = CounterMetricFamily(p + "device_io_done_bytes_total",
                                      "IO bytes by operation type and data type.",
                                      labels=["uuid", "device", "operation", "data_type"])
        io_errors = CounterMetricFamily(p + "device_io_errors_total", "IO errors by error type.",
                                        labels=["uuid", "device", "type"])
        counters = FamilyIndex()
        for fs in filesystems:
            u = fs.uuid
            info.add_metric([u], 1)
            cache.add_metric([u], fs.btree_cache_size_bytes)
            for algorithm, (comp, uncomp) in fs.compression.items():
                compressed.add_metric([u, algorithm], comp)
                uncompressed.add_metric([u, algorithm], uncomp)
            for error_type, count in fs.errors.items():
                errors.add_metric([u, error_type], count)
            for name, value in fs.counters.items():
                counters.counter(
                    p + _INVALID_METRIC_CHARS.sub("_", name) + "_total",
                    f"Bcachefs counter {name} since filesystem creation.", ["uuid"],
                ).add_metric([u], value)
            for write_type, (count, size) in fs.btree_writes.items():
                writes.add_metric([u, write_type], count)
                write_size.add_metric([u, write_type], size)
            for device, dev in fs.devices.items():
                dev_info.add_metric([u, device, dev.label, dev.state], 1)
                bucket_size.add_metric([u, device], dev.bucket_size_bytes)
                buckets.add_metric([u, device], dev.buckets)
                durability.add_metric([u, device], dev.durability)
                for op, data_types in dev.io_done.items():
                    for data_type, value in data_types.items():
                        io_done.add_metric([u, device, op, data_type], value)
                for error_type, value in dev.io_errors.items():
                    io_errors.add_metric([u, device, error_type], value)
        yield from (f for f in (info, cache, compressed, uncompressed, errors, writes, write_size,
                                dev_info, bucket_size, buckets, durability, io_done, io_errors)
                    if f.samples)
        yield from counters.families()
