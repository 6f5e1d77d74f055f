"""tapestats: /sys/class/scsi_tape/<dev>/stats, as node_exporter's tapestats collector
(collector/tapestats_linux.go) over procfs's sysfs/class_scsitape.go (SCSITapeClass,
parseSCSITape, parseSCSITapeStatistics).

Only `st<N>` entries are tapes. Every entry of a tape's stats/ is read (a read error fails the
collector); the known counters are strconv.ParseUint(x, 0, 64), and one that is absent counts
0, as sysfs's plain uint64 fields do. A counter that is not a number fails the collector (sysfs
dereferences the nil it gets, which panics node_exporter). Without stats/ (or the class) there
is nothing to report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import decode, list_dir, read_attribute, resolve_sysfs_dir
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_uint

# Only the rewinding st* nodes are reported; nst* and the a/l/m mode variants share their stats.
_STAT_FILES = (
    "in_flight", "io_ns", "other_cnt", "read_byte_cnt", "read_cnt", "read_ns", "resid_cnt",
    "write_byte_cnt", "write_cnt", "write_ns",
)


@dataclass(frozen=True, slots=True)
class TapeStats:
    name: str
    counters: dict[str, int]


def read_tape(name: str, path: str) -> TapeStats:
    """parseSCSITapeStatistics: FileNotFoundError when stats/ is missing."""
    counters = dict.fromkeys(_STAT_FILES, 0)
    stats_dir = os.path.join(path, "stats")
    for entry in sorted(os.listdir(stats_dir)):
        file_path = os.path.join(stats_dir, entry)
        # util.SysReadFile's trimmed text through util.ValueParser.PUInt64: strconv.ParseUint(x, 0, 64).
        try:
            text = go_trim_space(decode(read_attribute(file_path)))
        except OSError as err:
            raise CollectorError(f"failed to read file {file_path!r}: {err}") from None
        if entry in counters:
            try:
                counters[entry] = parse_uint(text, 0)
            except NumberError as err:
                raise CollectorError(f"unexpected scsi_tape {name} {entry}: {err}") from None
    return TapeStats(name, counters)


def is_tape_device(name: str) -> bool:
    """st<N> only, as procfs selects them with `^st[0-9]+$` (ASCII digits)."""
    number = name[2:]
    return name.startswith("st") and number.isascii() and number.isdigit()


@dataclass(frozen=True, slots=True)
class TapestatsOptions:
    ignored_devices: re.Pattern[str] | None = flag(
        "ignored-devices",
        "Regexp of devices to ignore for tapestats.",
        "^$")


@collector("tapestats", options=TapestatsOptions)
class TapestatsCollector(Collector[TapestatsOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("class", "scsi_tape")
        if not os.path.isdir(base):
            raise NoDataError("scsi_tape stats not found, skipping")
        ignored = self.options.ignored_devices
        try:
            tapes = [
                read_tape(name, resolve_sysfs_dir(os.path.join(base, name)))
                for name in list_dir(base)
                if is_tape_device(name) and not (ignored and ignored.search(name))
            ]
        except FileNotFoundError:
            raise NoDataError("scsi_tape stats not found") from None
        if not tapes:
            return
        labels = ["device"]
        p = "node_tape_"
        io_now = GaugeMetricFamily(
            p + "io_now", "The number of I/Os currently outstanding to this device.", labels=labels
        )
        counters = [
            ("io_ns", 1e-9, p + "io_time_seconds_total",
             "The amount of time spent waiting for all I/O to complete (including read and write). "
             "This includes tape movement commands such as seeking between file or set marks and "
             "implicit tape movement such as when rewind on close tape devices are used."),
            ("other_cnt", 1, p + "io_others_total",
             "The number of I/Os issued to the tape drive other than read or write commands. The "
             "time taken to complete these commands uses the following calculation "
             "io_time_seconds_total-read_time_seconds_total-write_time_seconds_total"),
            ("read_byte_cnt", 1, p + "read_bytes_total", "The number of bytes read from the tape drive."),
            ("read_cnt", 1, p + "reads_completed_total",
             "The number of read requests issued to the tape drive."),
            ("read_ns", 1e-9, p + "read_time_seconds_total",
             "The amount of time spent waiting for read requests to complete."),
            ("resid_cnt", 1, p + "residual_total",
             "The number of times during a read or write we found the residual amount to be "
             "non-zero. This should mean that a program is issuing a read larger thean the block "
             "size on tape. For write not all data made it to tape."),
            ("write_byte_cnt", 1, p + "written_bytes_total",
             "The number of bytes written to the tape drive."),
            ("write_cnt", 1, p + "writes_completed_total",
             "The number of write requests issued to the tape drive."),
            ("write_ns", 1e-9, p + "write_time_seconds_total",
             "The amount of time spent waiting for write requests to complete."),
        ]
        families = [(stat, scale, CounterMetricFamily(name, help_, labels=labels))
                    for stat, scale, name, help_ in counters]
        for tape in tapes:
            io_now.add_metric([tape.name], tape.counters["in_flight"])
            for stat, scale, family in families:
                family.add_metric([tape.name], tape.counters[stat] * scale)
        yield io_now
        for _, _, family in families:
            yield family
