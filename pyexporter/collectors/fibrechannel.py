"""fibrechannel: /sys/class/fc_host/<host>, as node_exporter's fibrechannel collector
(collector/fibrechannel_linux.go; procfs sysfs/class_fibrechannel.go)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_optional
from pyexporter.toolkit.numbers import parse_uint

# HBA firmware reports counters it does not implement as all ones.
UNIMPLEMENTED = 2**64 - 1

_INFO_LABELS = (
    "speed", "port_state", "port_type", "port_id", "port_name", "fabric_name", "symbolic_name",
    "supported_classes", "supported_speeds", "dev_loss_tmo",
)
# Attributes the kernel prints as 0x-prefixed hex, shown without the prefix.
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


def read_host(path: str) -> FibreChannelHost:
    host = FibreChannelHost(os.path.basename(path))
    for attr in _INFO_LABELS:
        value = read_optional(os.path.join(path, attr)) or ""
        if attr in _HEX_ATTRS and value.startswith("0x"):
            value = value[2:]
        host.info[attr] = value
    for stat, _, _ in COUNTERS:
        text = read_optional(os.path.join(path, "statistics", stat))
        if text is not None:
            # procfs's ValueParser.PUInt64: strconv.ParseUint(x, 0, 64), so the kernel's 0x
            # prefix makes it hex, and a bare number is decimal.
            host.counters[stat] = parse_uint(text, 0)
    return host


@collector("fibrechannel")
class FibreChannelCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("class", "fc_host")
        hosts = [read_host(os.path.join(base, name)) for name in list_dir(base)]
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
            yield family
