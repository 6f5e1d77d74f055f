"""udp_queues: bytes queued in UDP sockets, summed from /proc/net/udp and udp6, as
node_exporter's udp_queues collector (collector/udp_queues_linux.go) over procfs's
net_ip_socket.go (newNetIPSocketSummary, parseNetIPSocketLine, parseIP) and net_udp.go.

A missing udp or udp6 (that IP version disabled) is skipped and the other still reported, as
node_exporter does; neither is ErrNoData. An unparsable udp6 fails the collector after the v4
samples, which stay, as in node_exporter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_uint

# parseIP: hex.DecodeString of 4 (IPv4) or 16 (IPv6) bytes.
_IP_HEX = re.compile(r"[0-9a-fA-F]{8}|[0-9a-fA-F]{32}")
# The usual socket line, whose fields all parse (at most 16 hex or 19 decimal digits fit a uint64):
# sl, local and remote address, st, tx_queue:rx_queue, two fields procfs skips, uid, timeout
# (skipped), inode, ref and pointer (skipped), drops (sl, uid, inode and drops are base 0, so a
# leading zero would make them octal: those take the slow path). A line of another form takes
# the field-by-field path, which refuses what procfs refuses.
_DEC = r"(?:0|[1-9][0-9]{0,18})"
_ADDR = r"(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{32}):[0-9a-fA-F]{1,16}"
_USUAL_LINE = re.compile(
    rf"\s*{_DEC}:[^\s:]*\s+{_ADDR}\s+{_ADDR}"
    r"\s+[0-9a-fA-F]{1,16}\s+([0-9a-fA-F]{1,16}):([0-9a-fA-F]{1,16})\s+\S+\s+\S+"
    rf"\s+{_DEC}\s+\S+\s+{_DEC}\s+\S+\s+\S+\s+{_DEC}(?:\s|$)"
)
# procfs's parseNetIPSocketLine needs 10 columns, and reads the drops of a udp line from the 13th.
_MIN_COLUMNS = 13


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
    """Check an `address:port` field as procfs parses it (parseIP): 4 or 16 hex bytes, then a
    hex port."""
    address, port = _split_pair(field, what)
    if not _IP_HEX.fullmatch(address):
        raise CollectorError(f"cannot parse {what} value in socket line: {address[:80]!r}")
    parse_uint(port, 16)


def parse_udp_summary(text: str) -> QueueSummary:
    """Sum tx_queue:rx_queue (field 5) over the socket lines after the header, checking the other
    fields procfs's parseNetIPSocketLine (net_ip_socket.go) parses: sl, uid, inode and drops with
    strconv.ParseUint(x, 0, 64), the addresses as 4 or 16 hex bytes, the ports, st and queues
    with ParseUint(x, 16, 64). A udp line shorter than 13 columns is refused, a blank one
    included (procfs refuses fewer than 10 and would index past the end of 10 to 12)."""
    tx = rx = count = 0
    for line in text.splitlines()[1:]:
        usual = _USUAL_LINE.match(line)
        if usual:
            tx += int(usual.group(1), 16)
            rx += int(usual.group(2), 16)
            count += 1
            continue
        fields = line.split()
        if len(fields) < _MIN_COLUMNS:
            raise CollectorError(
                f"cannot parse net socket line, fewer than {_MIN_COLUMNS} columns: {line[:80]!r}")
        try:
            parse_uint(_split_pair(fields[0], "sl")[0], 0)
            _address(fields[1], "local_address")
            _address(fields[2], "rem_address")
            parse_uint(fields[3], 16)
            queues = _split_pair(fields[4], "tx/rx queues")
            tx += parse_uint(queues[0], 16)
            rx += parse_uint(queues[1], 16)
            parse_uint(fields[7], 0)  # uid
            parse_uint(fields[9], 0)  # inode
            parse_uint(fields[12], 0)  # drops
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
        # udpQueuesCollector.Update: IPv4's samples are sent before IPv6 is read, so a broken udp6
        # fails the collector with IPv4's samples kept; neither file at all is ErrNoData.
        missing = 0
        for ip, name in (("v4", "udp"), ("v6", "udp6")):
            try:
                summary = parse_udp_summary(read_text(self.paths.proc("net", name)))
            except FileNotFoundError:
                missing += 1  # that IP version is disabled; the other may still report
                continue
            except (OSError, CollectorError):
                if family.samples:
                    yield family
                raise
            family.add_metric([ip, "tx"], summary.tx_queue)
            family.add_metric([ip, "rx"], summary.rx_queue)
        if family.samples:
            yield family
        if missing == 2:
            raise NoDataError("neither /proc/net/udp nor /proc/net/udp6 exists")
