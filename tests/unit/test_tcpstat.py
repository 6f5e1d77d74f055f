"""tcpstat: inet_diag decoding and counting (tcpstat_linux.go: parseTCPStats,
tcpConnectionState.String, InetDiagReqV2) on byte strings built here."""

from __future__ import annotations

import socket
import struct

import pytest

from pyexporter.collectors import tcpstat
from pyexporter.collectors.tcpstat import diag_request, parse_diag_dump, state_name, tcp_stats
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import run_collector, samples, write_tree


def diag_msg(state: int, rqueue: int = 0, wqueue: int = 0, family: int = socket.AF_INET) -> bytes:
    """struct inet_diag_msg, native byte order as the kernel writes it (and Go's encodeDiagMsg)."""
    sockid = struct.pack("!HH", 8080, 40000) + b"\0" * 44
    return struct.pack("=BBBB", family, state, 0, 0) + sockid + struct.pack("=IIIII", 0, rqueue, wqueue, 0, 1234)


def nlmsg(kind: int, body: bytes) -> bytes:
    raw = struct.pack("=IHHII", 16 + len(body), kind, 2, 1, 0) + body
    return raw + b"\0" * (-len(raw) % 4)


def test_request_is_inet_diag_req_v2() -> None:
    """InetDiagReqV2: 0x38 bytes, TCP, every state up to TCP_CLOSING (0xFFF), an all-zero socket id."""
    request = diag_request(socket.AF_INET6)
    assert len(request) == 0x38
    assert struct.unpack_from("=BBBxI", request) == (socket.AF_INET6, socket.IPPROTO_TCP, 0, 0xFFF)
    assert request[8:] == b"\0" * 48


def test_parse_tcp_stats_as_go_test() -> None:
    """Test_parseTCPStats: an established and a listening socket with rqueue 11 and wqueue 21 each."""
    data = nlmsg(20, diag_msg(1, 11, 21)) + nlmsg(20, diag_msg(10, 11, 21)) + nlmsg(3, b"\0\0\0\0")
    sockets, done = parse_diag_dump(data)
    assert done and sockets == [(1, 11, 21), (10, 11, 21)]
    stats = tcp_stats(sockets)
    assert {state_name(s): v for s, v in stats.items()} == {
        "established": 1, "listen": 1, "tx_queued_bytes": 42, "rx_queued_bytes": 22}


def test_queue_pseudo_states_exist_once_a_socket_does() -> None:
    assert tcp_stats([]) == {}
    assert dict(tcp_stats([(6, 0, 0)])) == {6: 1, 12: 0, 13: 0}


def test_state_names() -> None:
    """tcpConnectionState.String, including the pseudo-states and `unknown`."""
    assert [state_name(s) for s in range(15)] == [
        "unknown", "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait", "close",
        "close_wait", "last_ack", "listen", "closing", "rx_queued_bytes", "tx_queued_bytes", "unknown"]


def test_parse_diag_dump_garbage() -> None:
    with pytest.raises(CollectorError):
        parse_diag_dump(nlmsg(20, diag_msg(1)[:71]))  # shorter than struct inet_diag_msg
    with pytest.raises(CollectorError):
        parse_diag_dump(nlmsg(20, diag_msg(1))[:-4])
    with pytest.raises(OSError):
        parse_diag_dump(nlmsg(2, struct.pack("=i", -2) + b"\0" * 16))
    assert parse_diag_dump(nlmsg(20, diag_msg(1) + b"attributes")) == ([(1, 0, 0)], False)


def fake_dump(by_family: dict[int, list[tuple[int, int, int]]]) -> object:
    def dump(family: int) -> list[tuple[int, int, int]]:
        return by_family[family]
    return dump


def test_collector_adds_ipv6_when_procfs_has_tcp6(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """Update: IPv4 always, IPv6 added when procfs's net/tcp6 exists."""
    monkeypatch.setattr(tcpstat, "netlink_tcp_sockets", fake_dump({
        socket.AF_INET: [(1, 5, 0), (10, 0, 128)], socket.AF_INET6: [(1, 0, 7), (6, 0, 0)]}))
    with_v6 = write_tree(f"{tmp_path}/v6", {"proc/net/tcp6": ""})
    assert samples(run_collector("tcpstat", with_v6)) == {
        ("node_tcp_connection_states", frozenset({("state", name)})): value
        for name, value in {"established": 2, "listen": 1, "time_wait": 1, "rx_queued_bytes": 5,
                            "tx_queued_bytes": 135}.items()}
    without_v6 = write_tree(f"{tmp_path}/v4", {"proc/net/tcp": ""})
    assert samples(run_collector("tcpstat", without_v6)) == {
        ("node_tcp_connection_states", frozenset({("state", name)})): value
        for name, value in {"established": 1, "listen": 1, "rx_queued_bytes": 5, "tx_queued_bytes": 128}.items()}


def test_collector_with_no_sockets_serves_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setattr(tcpstat, "netlink_tcp_sockets", fake_dump({socket.AF_INET: [], socket.AF_INET6: []}))
    assert run_collector("tcpstat", write_tree(f"{tmp_path}", {"proc/net/tcp6": ""})) == []


def test_collector_serves_one_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """Two unknown state numbers are two `unknown` metrics in Go, of which client_golang serves one."""
    monkeypatch.setattr(tcpstat, "netlink_tcp_sockets", fake_dump({socket.AF_INET: [(0, 0, 0), (99, 0, 0)]}))
    found = samples(run_collector("tcpstat", write_tree(f"{tmp_path}", {"proc/net/tcp": ""})))
    assert found[("node_tcp_connection_states", frozenset({("state", "unknown")}))] == 1.0
    assert len(found) == 3
