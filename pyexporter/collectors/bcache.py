"""bcache: Linux bcache statistics from /sys/fs/bcache/<uuid>/, as node_exporter's bcache
collector (collector/bcache_linux.go: Update, updateBcacheStats, bcachePeriodStatsToMetric;
procfs bcache/get.go: GetStats, readValue, dehumanize, dehumanizeSigned, parsePseudoFloat,
parseWritebackRateDebug, parsePriorityStats).

Optional: `stats_total/cache_readaheads` of a backing device (Linux 5.13 removed it). A missing
one reads as 0, and node_exporter emits node_bcache_cache_readaheads_total only when the value
is not 0 (bcachePeriodStatsToMetric), so a zero or missing count has no sample. Every other
file GetStats reads is required: a missing or malformed one fails the collector. The cache
set's own stats_* directories and the stats_five_minute ones are not read: node_exporter
exports none of them.
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_text, resolve_sysfs_dir
from pyexporter.toolkit.numbers import NumberError, parse_float, parse_int, parse_uint

# bch_hprint's unit suffixes, powers of 1024.
_MULTIPLIERS = {c: 1024.0 ** (i + 1) for i, c in enumerate("kMGTPEZY")}

_PERIOD_FIELDS = (
    "bypassed", "cache_hits", "cache_misses", "cache_bypass_hits", "cache_bypass_misses",
    "cache_miss_collisions", "cache_readaheads",
)


def _pseudo_float(text: str) -> float:
    """parsePseudoFloat: the parts before and after the first `.`, each read with
    strconv.ParseFloat (a further `.` and what follows it are ignored, as procfs ignores them).
    bch_hprint prints the fraction as a count of 1/1024ths scaled by 100, so ".10" > ".9"."""
    parts = text.split(".")
    value = parse_float(parts[0])
    if len(parts) > 1:
        value += parse_float(parts[1]) / 10.24
    return value


def dehumanize(text: str) -> int:
    """A bcache value, plain or as printed by bch_hprint (e.g. `1.1M`), as procfs's dehumanize
    reads it: a last character past '9' is a unit suffix, the rest a strconv.ParseFloat number.

    procfs converts the result to a uint64 whatever its sign, which Go leaves undefined for
    negative, infinite and NaN values; those are refused here instead."""
    if not text:
        raise CollectorError("unexpected bcache value: zero-length reply")
    if text[-1] > "9":
        # An unknown suffix scales to zero, as node_exporter does.
        value = _pseudo_float(text[:-1]) * _MULTIPLIERS.get(text[-1], 0.0)
    else:
        value = parse_float(text)
    if not (math.isfinite(value) and value >= 0.0):
        raise CollectorError(f"unexpected bcache value {text[:40]!r}")
    return int(value)


def dehumanize_signed(text: str) -> int:
    """dehumanizeSigned: one leading `-` negates what follows."""
    if text.startswith("-"):
        return -dehumanize(text[1:])
    return dehumanize(text)


@dataclass
class WritebackRateDebug:
    rate: int = 0
    dirty: int = 0
    target: int = 0
    proportional: int = 0
    integral: int = 0
    change: int = 0
    next_io_ms: int = 0


def parse_writeback_rate_debug(text: str) -> WritebackRateDebug:
    """procfs's parseWritebackRateDebug: the last word of each known line. `dirty` and
    `next io` are not exported, but procfs parses them, so a malformed one fails too."""
    wrd = WritebackRateDebug()
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        last = fields[-1]
        if line.startswith("rate:"):
            wrd.rate = dehumanize(last.removesuffix("/sec"))
        elif line.startswith("dirty:"):
            wrd.dirty = dehumanize(last)
        elif line.startswith("next io:"):
            wrd.next_io_ms = parse_int(last.removesuffix("ms"))
        elif line.startswith("target:"):
            wrd.target = dehumanize(last)
        elif line.startswith("proportional:"):
            wrd.proportional = dehumanize_signed(last)
        elif line.startswith("integral:"):
            wrd.integral = dehumanize_signed(last)
        elif line.startswith("change:"):
            wrd.change = dehumanize_signed(last.removesuffix("/sec"))
    return wrd


def parse_priority_stats(text: str) -> tuple[int, int]:
    """(unused percent, metadata percent) from a cache device's priority_stats; procfs reads
    both with strconv.ParseUint."""
    unused = metadata = 0
    for line in text.splitlines():
        if line.startswith(("Unused:", "Metadata:")):
            value = parse_uint(line.split()[-1].removesuffix("%"))
            if line.startswith("Unused:"):
                unused = value
            else:
                metadata = value
    return unused, metadata


@dataclass
class BdevStats:
    name: str
    dirty_data: int
    writeback: WritebackRateDebug
    total: dict[str, int]


@dataclass
class CacheStats:
    name: str
    io_errors: int
    metadata_written: int
    written: int
    priority: tuple[int, int] | None


@dataclass
class BcacheStats:
    uuid: str
    values: dict[str, int] = field(default_factory=dict)
    bdevs: list[BdevStats] = field(default_factory=list)
    caches: list[CacheStats] = field(default_factory=list)


def _value(directory: str, name: str) -> int:
    """procfs's readValue: the file without its trailing newline, dehumanized."""
    path = os.path.join(directory, name)
    try:
        return dehumanize(read_text(path).removesuffix("\n"))
    except NumberError as err:
        raise CollectorError(f"failed to parse {path}: {err}") from err


# Period-stat files a kernel may not have: cache_readaheads, gone since Linux 5.13.
_OPTIONAL_PERIOD_FIELDS = frozenset({"cache_readaheads"})


def _period_value(directory: str, name: str) -> int:
    """A stats_total value; 0 for an optional one the kernel does not have."""
    if name in _OPTIONAL_PERIOD_FIELDS and not os.path.lexists(os.path.join(directory, name)):
        return 0
    return _value(directory, name)


def read_bcache(uuid_dir: str, priority_stats: bool) -> BcacheStats:
    stats = BcacheStats(uuid=os.path.basename(uuid_dir))
    for name in (
        "average_key_size", "btree_cache_size", "cache_available_percent", "congested",
        "root_usage_percent", "tree_depth",
    ):
        stats.values[name] = _value(uuid_dir, name)
    internal = os.path.join(uuid_dir, "internal")
    for name in (
        "active_journal_entries", "btree_nodes", "btree_read_average_duration_us",
        "cache_read_races",
    ):
        stats.values[name] = _value(internal, name)

    entries = list_dir(uuid_dir)
    for name in fnmatch.filter(entries, "bdev[0-9]*"):
        bdev = resolve_sysfs_dir(os.path.join(uuid_dir, name))
        total_dir = os.path.join(bdev, "stats_total")
        stats.bdevs.append(
            BdevStats(
                name=name,
                dirty_data=_value(bdev, "dirty_data"),
                writeback=parse_writeback_rate_debug(
                    read_text(os.path.join(bdev, "writeback_rate_debug"))
                ),
                total={f: _period_value(total_dir, f) for f in _PERIOD_FIELDS},
            )
        )
    for name in fnmatch.filter(entries, "cache[0-9]*"):
        cache = resolve_sysfs_dir(os.path.join(uuid_dir, name))
        priority = None
        if priority_stats:
            priority = parse_priority_stats(read_text(os.path.join(cache, "priority_stats")))
        stats.caches.append(
            CacheStats(
                name=name,
                io_errors=_value(cache, "io_errors"),
                metadata_written=_value(cache, "metadata_written"),
                written=_value(cache, "written"),
                priority=priority,
            )
        )
    return stats


# (metric suffix, HELP, value key, counter?) for the per-cache-set values.
_SET_METRICS = (
    ("average_key_size_sectors", "Average data per key in the btree (sectors).",
     "average_key_size", False),
    ("btree_cache_size_bytes", "Amount of memory currently used by the btree cache.",
     "btree_cache_size", False),
    ("cache_available_percent",
     "Percentage of cache device without dirty data, usable for writeback (may contain clean "
     "cached data).", "cache_available_percent", False),
    ("congested", "Congestion.", "congested", False),
    ("root_usage_percent",
     "Percentage of the root btree node in use (tree depth increases if too high).",
     "root_usage_percent", False),
    ("tree_depth", "Depth of the btree.", "tree_depth", False),
    ("active_journal_entries", "Number of journal entries that are newer than the index.",
     "active_journal_entries", False),
    ("btree_nodes", "Total nodes in the btree.", "btree_nodes", False),
    ("cache_read_races_total",
     "Counts instances where while data was being read from the cache, the bucket was reused "
     "and invalidated - i.e. where the pointer was stale after the read completed.",
     "cache_read_races", True),
)
_WRITEBACK_METRICS = (
    ("dirty_target_bytes",
     "Current dirty data target threshold for this backing device in bytes.", "target"),
    ("writeback_rate", "Current writeback rate for this backing device in bytes.", "rate"),
    ("writeback_rate_proportional_term",
     "Current result of proportional controller, part of writeback rate", "proportional"),
    ("writeback_rate_integral_term",
     "Current result of integral controller, part of writeback rate", "integral"),
    ("writeback_change", "Last writeback rate change step for this backing device.", "change"),
)
_PERIOD_METRICS = (
    ("bypassed_bytes_total",
     "Amount of IO (both reads and writes) that has bypassed the cache.", "bypassed"),
    ("cache_hits_total", "Hits counted per individual IO as bcache sees them.", "cache_hits"),
    ("cache_misses_total", "Misses counted per individual IO as bcache sees them.",
     "cache_misses"),
    ("cache_bypass_hits_total", "Hits for IO intended to skip the cache.", "cache_bypass_hits"),
    ("cache_bypass_misses_total", "Misses for IO intended to skip the cache.",
     "cache_bypass_misses"),
    ("cache_miss_collisions_total",
     "Instances where data insertion from cache miss raced with write (data already present).",
     "cache_miss_collisions"),
    ("cache_readaheads_total", "Count of times readahead occurred.", "cache_readaheads"),
)


@dataclass(frozen=True, slots=True)
class BcacheOptions:
    priority_stats: bool = flag("priorityStats", "Expose expensive priority stats.", False)


@collector("bcache", options=BcacheOptions)
class BcacheCollector(Collector[BcacheOptions]):
    def collect(self) -> Iterable[Metric]:
        # A cache set without backing or cache devices leaves some families empty; skip those.
        return [f for f in self._families() if f.samples]

    def _families(self) -> Iterable[Metric]:
        base = self.paths.sys("fs", "bcache")
        priority = bool(self.options.priority_stats)
        sets = [
            read_bcache(os.path.join(base, name), priority)
            for name in fnmatch.filter(list_dir(base), "*-*")
            if os.path.isdir(os.path.join(base, name))
        ]
        if not sets:
            return

        def family(
            suffix: str, help_text: str, labels: list[str], counter: bool = False
        ) -> GaugeMetricFamily | CounterMetricFamily:
            cls = CounterMetricFamily if counter else GaugeMetricFamily
            return cls(f"node_bcache_{suffix}", help_text, labels=labels)

        for suffix, help_text, key, counter in _SET_METRICS:
            fam = family(suffix, help_text, ["uuid"], counter)
            for s in sets:
                fam.add_metric([s.uuid], s.values[key])
            yield fam
        read_avg = family(
            "btree_read_average_duration_seconds", "Average btree read duration.", ["uuid"]
        )
        for s in sets:
            read_avg.add_metric([s.uuid], s.values["btree_read_average_duration_us"] * 1e-9)
        yield read_avg

        bdev_labels = ["uuid", "backing_device"]
        dirty = family(
            "dirty_data_bytes", "Amount of dirty data for this backing device in the cache.",
            bdev_labels,
        )
        for s in sets:
            for b in s.bdevs:
                dirty.add_metric([s.uuid, b.name], b.dirty_data)
        yield dirty
        for suffix, help_text, attr in _WRITEBACK_METRICS:
            fam = family(suffix, help_text, bdev_labels)
            for s in sets:
                for b in s.bdevs:
                    fam.add_metric([s.uuid, b.name], getattr(b.writeback, attr))
            yield fam
        for suffix, help_text, key in _PERIOD_METRICS:
            fam = family(suffix, help_text, bdev_labels, counter=True)
            for s in sets:
                for b in s.bdevs:
                    # bcachePeriodStatsToMetric: readaheads only when not 0.
                    if key == "cache_readaheads" and b.total[key] == 0:
                        continue
                    fam.add_metric([s.uuid, b.name], b.total[key])
            yield fam

        cache_labels = ["uuid", "cache_device"]
        cache_metrics: list[tuple[str, str, bool, str]] = [
            ("io_errors", "Number of errors that have occurred, decayed by io_error_halflife.",
             False, "io_errors"),
            ("metadata_written_bytes_total",
             "Sum of all non data writes (btree writes and all other metadata).", True,
             "metadata_written"),
            ("written_bytes_total", "Sum of all data that has been written to the cache.", True,
             "written"),
        ]
        for suffix, help_text, counter, attr in cache_metrics:
            fam = family(suffix, help_text, cache_labels, counter)
            for s in sets:
                for c in s.caches:
                    fam.add_metric([s.uuid, c.name], getattr(c, attr))
            yield fam
        if priority:
            unused = family(
                "priority_stats_unused_percent",
                "The percentage of the cache that doesn't contain any data.", cache_labels,
            )
            metadata = family(
                "priority_stats_metadata_percent", "Bcache's metadata overhead.", cache_labels
            )
            for s in sets:
                for c in s.caches:
                    assert c.priority is not None
                    unused.add_metric([s.uuid, c.name], c.priority[0])
                    metadata.add_metric([s.uuid, c.name], c.priority[1])
            yield unused
            yield metadata
