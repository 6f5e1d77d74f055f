"""fibrechannel: /sys/class/fc_host/<host>, as node_exporter's fibrechannel collector
(collector/fibrechannel_linux.go: Update, pushCounter; procfs sysfs/class_fibrechannel.go:
FibreChannelClass, parseFibreChannelHost, parseFibreChannelStatistics).

Host attributes are optional (drivers need not expose them; node_exporter issue #2919): a
missing one is an empty label, any other read error fails. node_name, port_id, port_name and
fabric_name lose their first two characters when longer than two (the `0x`), as sysfs cuts them.
`statistics/` must list; without it node_exporter reports nothing (ErrNoData). In it, every
regular file but reset_statistics is read: missing, EINVAL and EOPNOTSUPP ones are skipped
(write-only attributes), any other read error fails; the known counters are
strconv.ParseUint(x, 0, 64) (the kernel writes 0x hex), a non-number fails. A counter that is
absent or all ones (not implemented by the HBA firmware) has no sample.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import list_dir
from pyexporter.toolkit.numbers import NumberError, parse_uint, sys_read_file, sys_read_files

# HBA firmware reports counters it does not implement as all ones.
UNIMPLEMENTED = 2**64 - 1

_INFO_LABELS = (
    "speed", "port_state", "port_type", "port_id", "port_name", "fabric_name", "symbolic_name",
    "supported_classes", "supported_speeds", "dev_loss_tmo",
)
# Attributes the kernel prints as 0x-prefixed hex: sysfs drops their first two characters.
_HEX_ATTRS = frozenset({"port_id", "port_name", "fabric_name"})

# statistics/<file> -> (metric name, HELP)
COUNTERS = (
    ("dumped_frames", "dumped_frames_total", "Number of dumped frames"),
    ("error_frames", "error_frames_total", "Number of errors in frames"),
    ("invalid_crc_count", "invalid_crc_total", "Invalid Cyclic Redundancy Check count"),
    ("rx_frames", "rx_frames_total", "Number of frames received"),
    ("rx_words", "rx_words_total", "Number of words received by host port"),
    ("tx_frames", "tx_frames_total", "Number of frames transmitted by host port"),
    ("tx_words", "tx_words_total", "Number of words transmitted by host port"),
    ("seconds_since_last_reset", "seconds_since_last_reset_total",
     "Number of seconds since last host port reset"),
    ("invalid_tx_word_count", "invalid_tx_words_total",
     "Number of invalid words transmitted by host port"),
    ("link_failure_count", "link_failure_total", "Number of times the host port link has failed"),
    ("loss_of_sync_count", "loss_of_sync_total",
     "Number of failures on either bit or transmission word boundaries"),
    ("loss_of_signal_count", "loss_of_signal_total", "Number of times signal has been lost"),
    ("nos_count", "nos_total", "Number Not_Operational Primitive Sequence received by host port"),
    ("fcp_packet_aborts", "fcp_packet_aborts_total", "Number of aborted packets"),
)


@dataclass(slots=True)
class FibreChannelHost:
    name: str
    info: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)


_SKIPPED_ERRNOS = frozenset({errno.ENOENT, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP})
_KNOWN = frozenset(stat for stat, _, _ in COUNTERS)


def read_host(path: str) -> FibreChannelHost:
    """sysfs's parseFibreChannelHost; FileNotFoundError when statistics/ is missing."""
    host = FibreChannelHost(os.path.basename(path))
    for attr in _INFO_LABELS:
        try:
            value = sys_read_file(os.path.join(path, attr))
        except FileNotFoundError:
            value = ""
        except OSError as err:
            raise CollectorError(f"failed to read file {os.path.join(path, attr)!r}: {err}") from None
        if attr in _HEX_ATTRS and len(value) > 2:
            value = value[2:]
        host.info[attr] = value
    stats_dir = os.path.join(path, "statistics")
    with os.scandir(stats_dir) as entries:
        files = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
    wanted = (stat for stat in files if stat != "reset_statistics")
    for stat, file_path, text in sys_read_files(stats_dir, wanted, _SKIPPED_ERRNOS):
        if stat in _KNOWN:
            # ValueParser.PUInt64: strconv.ParseUint(x, 0, 64), so the kernel's 0x prefix makes
            # it hex, and a bare number is decimal.
            try:
                host.counters[stat] = parse_uint(text, 0)
            except NumberError as err:
                raise CollectorError(f"unexpected FibreChannel counter {file_path}: {err}") from None
    return host


@collector("fibrechannel")
class FibreChannelCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("class", "fc_host")
        if not os.path.isdir(base):
            raise NoDataError("fibrechannel statistics not found, skipping")
        try:
            hosts = [read_host(os.path.join(base, name)) for name in list_dir(base)]
        except FileNotFoundError:
            raise NoDataError("fibrechannel statistics not found") from None
        if not hosts:
            return
        info = GaugeMetricFamily(
            "node_fibrechannel_info",
            "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
            labels=["fc_host", *_INFO_LABELS],
        )
        families = [
            (stat, CounterMetricFamily(f"node_fibrechannel_{name}", help_, labels=["fc_host"]))
            for stat, name, help_ in COUNTERS
        ]
        for host in hosts:
            info.add_metric([host.name, *(host.info[a] for a in _INFO_LABELS)], 1)
            for stat, family in families:
                value = host.counters.get(stat)
                if value is not None and value != UNIMPLEMENTED:
                    family.add_metric([host.name], value)
        yield info
        for _, family in families:
            if family.samples:
                yield family
