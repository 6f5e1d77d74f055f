"""udp_queues: bytes queued in UDP sockets, summed from /proc/net/udp and udp6, as
node_exporter's udp_queues collector."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text


class QueueSummary(NamedTuple):
    tx_queue: int
    rx_queue: int
    sockets: int


def _hex_pair(field: str, what: str) -> tuple[int, int]:
    left, sep, right = field.partition(":")
    if not sep:
        raise CollectorError(f"cannot parse {what} in socket line: {field!r}")
    try:
        return int(left, 16), int(right, 16)
    except ValueError:
        raise CollectorError(f"cannot parse {what} in socket line: {field!r}") from None


def parse_udp_summary(text: str) -> QueueSummary:
    """Sum tx_queue:rx_queue (hex, field 5) over the socket lines after the header, checking
    the other leading fields as procfs does."""
    tx = rx = count = 0
    for line in text.splitlines()[1:]:
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 8:
            raise CollectorError(f"cannot parse net socket line, fewer than 8 columns: {line[:80]!r}")
        if not fields[0].endswith(":") or not fields[0][:-1].isdigit():
            raise CollectorError(f"cannot parse sl field in socket line: {fields[0]!r}")
        _hex_pair(fields[1], "local_address")
        _hex_pair(fields[2], "rem_address")
        line_tx, line_rx = _hex_pair(fields[4], "tx/rx queues")
        tx += line_tx
        rx += line_rx
        count += 1
    return QueueSummary(tx, rx, count)


@collector("udp_queues")
class UdpQueuesCollector(Collector[NoOptions]):
    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "node_udp_queues",
            "Number of allocated memory in the kernel for UDP datagrams in bytes.",
            labels=["ip", "queue"],
        )
        for ip, name in (("v4", "udp"), ("v6", "udp6")):
            try:
                summary = parse_udp_summary(read_text(self.paths.proc("net", name)))
            except FileNotFoundError:
                # That IP version is disabled; the other may still report.
                continue
            family.add_metric([ip, "tx"], summary.tx_queue)
            family.add_metric([ip, "rx"], summary.rx_queue)
        if family.samples:
            yield family
