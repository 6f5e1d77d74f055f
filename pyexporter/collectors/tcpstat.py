"""tcpstat: TCP sockets by state, and the bytes queued on them, as node_exporter's tcpstat
collector (collector/tcpstat_linux.go: Update, getTCPStats, parseTCPStats,
tcpConnectionState.String; off by default), which asks the kernel over NETLINK_SOCK_DIAG
(inet_diag, an SOCK_DIAG_BY_FAMILY dump of every TCP state) with mdlayher/netlink.

IPv4 sockets are always dumped; IPv6 ones when <procfs>/net/tcp6 exists, as Update checks. Like
node_exporter this asks the network namespace pyexporter runs in; only that check follows
--path.procfs. Every socket counts once under its state, and adds its receive and send queues
(inet_diag_msg's idiag_rqueue and idiag_wqueue: for a listening socket, the kernel puts its
accept backlog and that backlog's limit there) to the `rx_queued_bytes` and `tx_queued_bytes`
pseudo-states.

Deliberate differences: the request does not ask for the INET_DIAG_INFO extension (struct
tcp_info per socket), which node_exporter requests and never reads; the counts are the same. The
per-port `port` and `direction` labels and `--collector.tcpstat.port.*` flags of node_exporter pull
request #2785 are not on its master branch, and not here.
"""

from __future__ import annotations

import os
import socket
import struct
from collections import Counter
from collections.abc import Iterable, Iterator

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit import netlink
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily

_SOCK_DIAG_BY_FAMILY = 20
_TCPF_ALL = 0xFFF
# struct inet_diag_req_v2: family, protocol, ext, pad, states, then an all-zero inet_diag_sockid.
_REQUEST = struct.Struct("=BBBxI48x")
# struct inet_diag_msg: family, state, timer, retrans, inet_diag_sockid (48 bytes), expires,
# rqueue, wqueue, uid, inode.
_MESSAGE = struct.Struct("=BBBB48xIIIII")

# tcpConnectionState.String: the kernel's TCP_* states 1..11, then the two queue pseudo-states,
# numbered on as the Go enum numbers them (a socket reported in state 12 or 13, which the kernel
# does not send for these requests, would land there, as in node_exporter).
STATES: dict[int, str] = {
    1: "established", 2: "syn_sent", 3: "syn_recv", 4: "fin_wait1", 5: "fin_wait2",
    6: "time_wait", 7: "close", 8: "close_wait", 9: "last_ack", 10: "listen", 11: "closing",
    12: "rx_queued_bytes", 13: "tx_queued_bytes",
}
_RX_QUEUED, _TX_QUEUED = 12, 13


def state_name(state: int) -> str:
    return STATES.get(state, "unknown")


def parse_diag_dump(data: bytes) -> tuple[list[tuple[int, int, int]], bool]:
    """One receive buffer of a SOCK_DIAG_BY_FAMILY dump: ((state, rqueue, wqueue) per socket, dump
    finished). A message shorter than struct inet_diag_msg is refused (node_exporter would read past
    it)."""
    bodies, done = netlink.dump_bodies(data, _SOCK_DIAG_BY_FAMILY, "inet_diag dump")
    sockets = []
    for body in bodies:
        if len(body) < _MESSAGE.size:
            raise CollectorError(f"short inet_diag_msg, length {len(body)}")
        _family, state, _timer, _retrans, _expires, rqueue, wqueue, _uid, _inode = _MESSAGE.unpack_from(body)
        sockets.append((state, rqueue, wqueue))
    return sockets, done


def tcp_stats(sockets: Iterable[tuple[int, int, int]]) -> Counter[int]:
    """parseTCPStats: sockets per state, plus the queued bytes under the two pseudo-states (which
    are present, if zero, as soon as one socket is)."""
    stats: Counter[int] = Counter()
    for state, rqueue, wqueue in sockets:
        stats[_TX_QUEUED] += wqueue
        stats[_RX_QUEUED] += rqueue
        stats[state] += 1
    return stats


def diag_request(family: int) -> bytes:
    return _REQUEST.pack(family, socket.IPPROTO_TCP, 0, _TCPF_ALL)


def netlink_tcp_sockets(family: int) -> list[tuple[int, int, int]]:
    """(state, rqueue, wqueue) of every TCP socket of FAMILY in this network namespace."""
    return netlink.dump(netlink.NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY, diag_request(family), parse_diag_dump)


@collector("tcpstat", default=False)
class TcpstatCollector(Collector[NoOptions]):
    def collect(self) -> Iterator[Metric]:
        stats = tcp_stats(netlink_tcp_sockets(socket.AF_INET))
        if os.path.exists(self.paths.proc("net", "tcp6")):
            stats.update(tcp_stats(netlink_tcp_sockets(socket.AF_INET6)))
        family = GaugeMetricFamily("node_tcp_connection_states", "Number of connection states.", labels=["state"])
        # One sample per name: Update sends each state number as its own metric, so two unknown
        # states would both be sent as "unknown" and client_golang would serve one of them (in map
        # order) and log the other as a duplicate; here the first seen is served.
        merged: dict[str, float] = {}
        for state, value in stats.items():
            name = state_name(state)
            if name not in merged:
                merged[name] = float(value)
        for name, total in merged.items():
            family.add_metric([name], total)
        if merged:
            yield family
