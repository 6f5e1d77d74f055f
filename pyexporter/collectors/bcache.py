"""bcache: Linux bcache statistics from /sys/fs/bcache/<uuid>/, as node_exporter's bcache
collector (collector/bcache_linux.go: Update, updateBcacheStats, bcachePeriodStatsToMetric) over
procfs v0.19.0's bcache/get.go (GetStats, parser.readValue, dehumanize, dehumanizeSigned,
parsePseudoFloat, parseWritebackRateDebug, parsePriorityStats).

What procfs reads, and so what this reads:
- every `*-*` entry of /sys/fs/bcache is a cache set, whatever its type: one that is not a
  directory fails on its first value (ENOTDIR), as in Go;
- each value file through readValue: read whole, its last byte cut off unseen (the newline,
  assumed: `54` reads as 5, `546\\r\\n` fails on the `\\r`), the rest dehumanized. A file that does
  not exist reads as 0 and is no error (readaheads went in Linux 5.13, and procfs ignores any
  missing value file); any other read error fails the collector. An empty file makes procfs
  slice to length -1 and panic, which takes node_exporter down; here it fails the collector;
- dehumanize is strconv.ParseFloat, or for a last byte past '9' parsePseudoFloat times that
  unit's power of 1024 (0 for an unknown one), converted to uint64 as Go does on amd64
  (numbers.go_uint64): `-1` is 2**64 - 1, anything from 2**64 up is 2**63;
- the cache set's own stats_five_minute and stats_total and each backing device's
  stats_five_minute are read and parsed though node_exporter exports none of them, so a
  malformed value there fails the collector as it does in Go;
- writeback_rate_debug (and priority_stats with --collector.bcache.priorityStats) must open;
  their lines are bufio.Scanner's.

node_exporter emits node_bcache_cache_readaheads_total only when the count is not 0.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import decode, list_dir, read_bytes, resolve_sysfs_dir, scan_lines
from pyexporter.toolkit.numbers import GO_SPACE, go_uint64, parse_float, parse_int, parse_uint

# bch_hprint's unit suffixes, powers of 1024, keyed by the byte dehumanize looks at.
_MULTIPLIERS = {ord(c): 1024.0 ** (i + 1) for i, c in enumerate("kMGTPEZY")}
_LAST_DIGIT = ord("9")
_U64 = (1 << 64) - 1

_PERIOD_FIELDS = (
    "bypassed", "cache_hits", "cache_misses", "cache_bypass_hits", "cache_bypass_misses",
    "cache_miss_collisions", "cache_readaheads",
)

# strings.Fields: runs of what unicode.IsSpace calls space.
_FIELDS = re.compile(f"[^{re.escape(GO_SPACE)}]+").findall


def _pseudo_float(text: str) -> float:
    """parsePseudoFloat: the parts before and after the first `.`, each read with
    strconv.ParseFloat (a further `.` and what follows it are ignored, as procfs ignores them).
    bch_hprint prints the fraction as a count of 1/1024ths scaled by 100, so ".10" > ".9"."""
    parts = text.split(".")
    value = parse_float(parts[0])
    if len(parts) > 1:
        value += parse_float(parts[1]) / 10.24
    return value


def _dehumanize(raw: bytes) -> int:
    """procfs's dehumanize of the bytes RAW: a last byte past '9' is a unit suffix and the rest
    parsePseudoFloat's, otherwise the whole is strconv.ParseFloat's; the product is converted to
    uint64 as Go does. Bytes are looked at as Go looks at them: a character beyond ASCII is more
    than one byte, so cutting its last byte leaves the number unparsable."""
    if not raw:
        raise CollectorError("unexpected bcache value: zero-length reply")
    # latin-1 maps each byte to one character, and parse_float refuses all beyond ASCII.
    if raw[-1] > _LAST_DIGIT:
        value = _pseudo_float(raw[:-1].decode("latin-1")) * _MULTIPLIERS.get(raw[-1], 0.0)
    else:
        value = parse_float(raw.decode("latin-1"))
    return go_uint64(value)


def _go_bytes(text: str) -> bytes:
    """TEXT as the bytes it was decoded from (files.decode keeps undecodable bytes as surrogates)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def dehumanize(text: str) -> int:
    """procfs's dehumanize of a field of writeback_rate_debug (see _dehumanize)."""
    return _dehumanize(_go_bytes(text))


def _as_int64(value: int) -> int:
    """int64(VALUE) of a uint64: the same bits, read as signed."""
    value &= _U64
    return value - (1 << 64) if value >> 63 else value


def dehumanize_signed(text: str) -> int:
    """dehumanizeSigned: one leading `-` is cut off, what is left dehumanized to a uint64, negated
    if the `-` was there, and read as an int64, all wrapping as Go's integers wrap."""
    value = dehumanize(text.removeprefix("-"))
    return _as_int64(-value if text.startswith("-") else value)


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
    """procfs's parseWritebackRateDebug: the last field of each known line. `dirty` and
    `next io` are not exported, but procfs parses them, so a malformed one fails too."""
    wrd = WritebackRateDebug()
    for line in scan_lines(text):
        fields = _FIELDS(line)
        if not fields:
            continue
        last = fields[-1]
        if line.startswith("rate:"):
            wrd.rate = dehumanize(last.removesuffix("/sec"))
        elif line.startswith("dirty:"):
            wrd.dirty = dehumanize(last)
        elif line.startswith("target:"):
            wrd.target = dehumanize(last)
        elif line.startswith("proportional:"):
            wrd.proportional = dehumanize_signed(last)
        elif line.startswith("integral:"):
            wrd.integral = dehumanize_signed(last)
        elif line.startswith("change:"):
            wrd.change = dehumanize_signed(last.removesuffix("/sec"))
        elif line.startswith("next io:"):
            wrd.next_io_ms = parse_int(last.removesuffix("ms"))
    return wrd


def parse_priority_stats(text: str) -> tuple[int, int]:
    """(unused percent, metadata percent) from a cache device's priority_stats; procfs reads
    both with strconv.ParseUint."""
    unused = metadata = 0
    for line in scan_lines(text):
        if line.startswith(("Unused:", "Metadata:")):
            value = parse_uint(_FIELDS(line)[-1].removesuffix("%"))
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
    """procfs's readValue (see the module's docstring): 0 for a file that does not exist."""
    path = os.path.join(directory, name)
    try:
        raw = read_bytes(path)
    except FileNotFoundError:
        return 0
    except OSError as err:
        raise CollectorError(f"failed to read: {path}: {err}") from None
    if not raw:
        raise CollectorError(f"failed to parse {path}: empty file (procfs panics on it)")
    try:
        return _dehumanize(raw[:-1])
    except CollectorError as err:
        raise CollectorError(f"failed to parse {path}: {err}") from None


def _period_values(directory: str) -> dict[str, int]:
    """A stats_five_minute or stats_total directory, as GetStats reads it."""
    return {name: _value(directory, name) for name in _PERIOD_FIELDS}


def _scanned_file(path: str) -> str:
    """A file procfs opens and scans by lines: required, whatever its error."""
    try:
        return decode(read_bytes(path))
    except OSError as err:
        raise CollectorError(f"failed to read: {path}: {err}") from None


def read_bcache(uuid_dir: str, priority_stats: bool) -> BcacheStats:
    """procfs's GetStats for one cache set."""
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
    # Parsed, not exported: read only so that what fails GetStats fails here.
    _period_values(os.path.join(uuid_dir, "stats_five_minute"))
    _period_values(os.path.join(uuid_dir, "stats_total"))

    entries = list_dir(uuid_dir)
    for name in fnmatch.filter(entries, "bdev[0-9]*"):
        bdev = resolve_sysfs_dir(os.path.join(uuid_dir, name))
        dirty_data = _value(bdev, "dirty_data")
        writeback = parse_writeback_rate_debug(_scanned_file(os.path.join(bdev, "writeback_rate_debug")))
        _period_values(os.path.join(bdev, "stats_five_minute"))
        stats.bdevs.append(BdevStats(
            name=name, dirty_data=dirty_data, writeback=writeback,
            total=_period_values(os.path.join(bdev, "stats_total")),
        ))
    for name in fnmatch.filter(entries, "cache[0-9]*"):
        cache = resolve_sysfs_dir(os.path.join(uuid_dir, name))
        io_errors = _value(cache, "io_errors")
        metadata_written = _value(cache, "metadata_written")
        written = _value(cache, "written")
        priority = None
        if priority_stats:
            priority = parse_priority_stats(_scanned_file(os.path.join(cache, "priority_stats")))
        stats.caches.append(CacheStats(
            name=name, io_errors=io_errors, metadata_written=metadata_written, written=written,
            priority=priority,
        ))
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
                fam.add_metric([s.uuid], float(s.values[key]))
            yield fam
        read_avg = family(
            "btree_read_average_duration_seconds", "Average btree read duration.", ["uuid"]
        )
        for s in sets:
            read_avg.add_metric([s.uuid], float(s.values["btree_read_average_duration_us"]) * 1e-9)
        yield read_avg

        bdev_labels = ["uuid", "backing_device"]
        dirty = family(
            "dirty_data_bytes", "Amount of dirty data for this backing device in the cache.",
            bdev_labels,
        )
        for s in sets:
            for b in s.bdevs:
                dirty.add_metric([s.uuid, b.name], float(b.dirty_data))
        yield dirty
        for suffix, help_text, attr in _WRITEBACK_METRICS:
            fam = family(suffix, help_text, bdev_labels)
            for s in sets:
                for b in s.bdevs:
                    fam.add_metric([s.uuid, b.name], float(getattr(b.writeback, attr)))
            yield fam
        for suffix, help_text, key in _PERIOD_METRICS:
            fam = family(suffix, help_text, bdev_labels, counter=True)
            for s in sets:
                for b in s.bdevs:
                    # bcachePeriodStatsToMetric: readaheads only when not 0.
                    if key == "cache_readaheads" and b.total[key] == 0:
                        continue
                    fam.add_metric([s.uuid, b.name], float(b.total[key]))
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
                    fam.add_metric([s.uuid, c.name], float(getattr(c, attr)))
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
                    unused.add_metric([s.uuid, c.name], float(c.priority[0]))
                    metadata.add_metric([s.uuid, c.name], float(c.priority[1]))
            yield unused
            yield metadata
