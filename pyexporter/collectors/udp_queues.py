"""udp_queues: bytes queued in UDP sockets, summed from /proc/net/udp and udp6, as
node_exporter's udp_queues collector (collector/udp_queues_linux.go) over procfs's
net_ip_socket.go."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_uint

# hex.DecodeString: pairs of hex digits.
_HEX_BYTES = re.compile(r"(?:[0-9a-fA-F]{2})*")
# The usual socket line, whose fields all parse (at most 16 hex or 19 decimal digits fit a uint64):
# sl, local and remote address, st, tx_queue:rx_queue, two fields procfs skips, uid (sl and uid are
# base 0, so a leading zero would make them octal: those take the slow path). A line of
# another form takes the field-by-field path, which refuses what procfs refuses.
_USUAL_LINE = re.compile(
    r"\s*(?:0|[1-9][0-9]{0,18}):[^\s:]*"
    r"\s+(?:[0-9a-fA-F]{2})*:[0-9a-fA-F]{1,16}\s+(?:[0-9a-fA-F]{2})*:[0-9a-fA-F]{1,16}"
    r"\s+[0-9a-fA-F]{1,16}\s+([0-9a-fA-F]{1,16}):([0-9a-fA-F]{1,16})\s+\S+\s+\S+\s+(?:0|[1-9][0-9]{0,18})(?:\s|$)"
)


class QueueSummary(NamedTuple):
    tx_queue: int
    rx_queue: int
    sockets: int


def _split_pair(field: str, what: str) -> tuple[str, str]:
    parts = field.split(":")
    if len(parts) != 2:
        raise CollectorError(f"cannot parse {what} field in socket line: {field[:80]!r}")
    return parts[0], parts[1]


def _address(field: str, what: str) -> None:
    """Check an `address:port` field as procfs parses it: hex bytes, then a hex port."""
    address, port = _split_pair(field, what)
    if not _HEX_BYTES.fullmatch(address):
        raise CollectorError(f"cannot parse {what} value in socket line: {address[:80]!r}")
    parse_uint(port, 16)


def parse_udp_summary(text: str) -> QueueSummary:
    """Sum tx_queue:rx_queue (field 5) over the socket lines after the header, checking the other
    fields procfs's parseNetIPSocketLine parses: sl and uid with strconv.ParseUint(x, 0, 64), the
    ports, st and queues with ParseUint(x, 16, 64)."""
    tx = rx = count = 0
    for line in text.splitlines()[1:]:
        usual = _USUAL_LINE.match(line)
        if usual:
            tx += int(usual.group(1), 16)
            rx += int(usual.group(2), 16)
            count += 1
            continue
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 8:
            raise CollectorError(f"cannot parse net socket line, fewer than 8 columns: {line[:80]!r}")
        try:
            parse_uint(_split_pair(fields[0], "sl")[0], 0)
            _address(fields[1], "local_address")
            _address(fields[2], "rem_address")
            parse_uint(fields[3], 16)
            queues = _split_pair(fields[4], "tx/rx queues")
            tx += parse_uint(queues[0], 16)
            rx += parse_uint(queues[1], 16)
            parse_uint(fields[7], 0)
        except NumberError as err:
            raise CollectorError(f"cannot parse net socket line {line[:80]!r}: {err}") from None
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
