"""network_route: RTM_NEWROUTE decoding (jsimonetti/rtnetlink's RouteMessage.UnmarshalBinary,
RouteAttributes.decode, parseMultipath) and the labels networkRouteCollector.Update builds, on
byte strings built here."""

from __future__ import annotations

import ipaddress
import socket
import struct

import pytest

from pyexporter.collectors import network_route
from pyexporter.collectors.network_route import (
    NextHop,
    Route,
    go_ip,
    parse_multipath,
    parse_route_dump,
    parse_route_message,
    prefix_text,
    protocol_text,
    route_labels,
)
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples

V4, V6 = socket.AF_INET, socket.AF_INET6


def attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def u32(value: int) -> bytes:
    return struct.pack("=I", value)


def addr(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def rtmsg(family: int, dst_len: int, protocol: int = 4, kind: int = 1, table: int = 254) -> bytes:
    return struct.pack("=BBBBBBBBI", family, dst_len, 0, 0, table, protocol, 0, kind, 0)


def nexthop(ifindex: int, hops: int, gateway: bytes = b"") -> bytes:
    attrs = attr(5, gateway) if gateway else b""
    return struct.pack("=HBBi", 8 + len(attrs), 0, hops, ifindex) + attrs


def nlmsg(kind: int, body: bytes) -> bytes:
    raw = struct.pack("=IHHII", 16 + len(body), kind, 2, 1, 0) + body
    return raw + b"\0" * (-len(raw) % 4)


def test_parse_route_message_reads_rtnetlinks_attributes() -> None:
    body = (rtmsg(V4, 24, protocol=2) + attr(15, u32(254)) + attr(1, addr("192.0.2.0"))
            + attr(6, u32(100)) + attr(7, addr("192.0.2.1")) + attr(4, u32(3))
            + attr(8, attr(2, u32(1500))) + attr(99, b"ignored"))
    assert parse_route_message(body) == Route(V4, 24, 2, 1, dst=addr("192.0.2.0"), src=addr("192.0.2.1"),
                                              oif=3, priority=100)
    gateway = parse_route_message(rtmsg(V6, 0) + attr(5, addr("fe80::1")) + attr(4, u32(2)))
    assert gateway.gateway == addr("fe80::1") and gateway.dst == b"" and gateway.priority == 0
    # The rtmsg alone: no attributes at all.
    assert parse_route_message(rtmsg(V4, 0, kind=6)) == Route(V4, 0, 4, 6)


def test_parse_multipath() -> None:
    """parseMultipath: rtnexthop structs each followed by their attributes, NextHop.decode keeping
    RTA_GATEWAY; a hop without one (a device route) has none."""
    data = nexthop(2, 0, addr("192.0.2.254")) + nexthop(3, 2, addr("2001:db8::ff")) + nexthop(4, 1)
    assert parse_multipath(data) == (NextHop(2, 0, addr("192.0.2.254")), NextHop(3, 2, addr("2001:db8::ff")),
                                     NextHop(4, 1))
    route = parse_route_message(rtmsg(V4, 16) + attr(1, addr("10.10.0.0")) + attr(9, data))
    assert len(route.multipath) == 3


@pytest.mark.parametrize("body", [
    b"\0" * 11,  # shorter than struct rtmsg: errInvalidRouteMessage
    rtmsg(V4, 8) + attr(1, b"\x0a\0\0"),  # RTA_DST of 3 bytes: errInvalidRouteMessageAttr
    rtmsg(V4, 0) + attr(7, b"\0" * 8),  # RTA_PREFSRC neither 4 nor 16 bytes
    rtmsg(V4, 0) + attr(5, b""),  # RTA_GATEWAY empty
    rtmsg(V4, 0) + attr(4, b"\1\0"),  # RTA_OIF not a uint32
    rtmsg(V4, 0) + attr(15, b"\0" * 8),  # RTA_TABLE not a uint32
    rtmsg(V4, 0) + attr(8, attr(2, b"\0\0")),  # RTAX_MTU not a uint32
    rtmsg(V4, 0) + attr(9, nexthop(2, 0)[:6]),  # a truncated rtnexthop
    rtmsg(V4, 0) + attr(9, struct.pack("=HBBi", 4, 0, 0, 2)),  # rtnexthop length below its size
    rtmsg(V4, 0) + attr(9, struct.pack("=HBBi", 40, 0, 0, 2)),  # rtnexthop length past the attribute
    rtmsg(V4, 0) + attr(9, nexthop(2, 0, b"\0" * 5)),  # a next hop's gateway of 5 bytes
    rtmsg(V4, 0) + b"\xff\0\1\0",  # an attribute longer than the message
])
def test_parse_route_message_refuses_what_rtnetlink_refuses(body: bytes) -> None:
    with pytest.raises(CollectorError):
        parse_route_message(body)


def test_parse_route_dump() -> None:
    data = nlmsg(24, rtmsg(V4, 0) + attr(4, u32(2))) + nlmsg(16, b"\0" * 16) + nlmsg(24, rtmsg(V6, 0))
    found, done = parse_route_dump(data)
    assert [r.family for r in found] == [V4, V6] and not done
    assert parse_route_dump(nlmsg(3, u32(0))) == ([], True)
    with pytest.raises(OSError):
        parse_route_dump(nlmsg(2, struct.pack("=i", -22) + b"\0" * 16))
    with pytest.raises(CollectorError):
        parse_route_dump(nlmsg(24, b"short"))


@pytest.mark.parametrize(("text", "expected"), [
    ("192.0.2.1", "192.0.2.1"),
    ("::", "::"),
    ("::1", "::1"),
    ("2001:db8::1", "2001:db8::1"),
    ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
    ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  # the first of two equally long runs
    ("2001:0:1:0:1:0:1:0", "2001:0:1:0:1:0:1:0"),  # a lone zero group stays
    ("1:0:0:0:0:0:0:0", "1::"),
    ("fe80::a00:27ff:fe4e:66a1", "fe80::a00:27ff:fe4e:66a1"),
    ("::ffff:192.0.2.1", "192.0.2.1"),  # IPv4-mapped: Go prints the IPv4 address
    ("::192.0.2.1", "::c000:201"),  # IPv4-compatible: not mapped
])
def test_go_ip(text: str, expected: str) -> None:
    """net.IP.String."""
    assert go_ip(addr(text)) == expected
    assert go_ip(b"\1\2\3") == "?010203"


def test_prefix_text() -> None:
    """networkRouteIPWithPrefixToString: net.IPNet.String of the address and a CIDRMask sized by To4."""
    assert prefix_text(addr("0.0.0.0"), 0) == "default"
    assert prefix_text(b"", 0) == "default"
    assert prefix_text(addr("192.0.2.0"), 24) == "192.0.2.0/24"
    assert prefix_text(addr("192.0.2.7"), 24) == "192.0.2.7/24"  # IPNet.String does not mask
    assert prefix_text(addr("2001:db8::"), 32) == "2001:db8::/32"
    assert prefix_text(addr("::ffff:0:0"), 96) == "<nil>"  # To4 succeeds, CIDRMask(96, 32) is nil
    assert prefix_text(addr("::ffff:192.0.2.0"), 24) == "192.0.2.0/24"
    assert prefix_text(b"", 24) == "<nil>"
    assert prefix_text(addr("192.0.2.0"), 33) == "<nil>"


def test_protocol_text() -> None:
    """networkRouteProtocolToString."""
    assert [protocol_text(p) for p in (0, 2, 3, 4, 12, 42, 186, 192, 5, 99, 255)] == [
        "unspec", "kernel", "boot", "static", "bird", "babel", "bgp", "eigrp", "unknown", "unknown", "unknown"]


def test_route_labels_keep_unicast_routes_and_split_multipath() -> None:
    """Update: only RTN_UNICAST routes; a multipath route gives one label set per next hop with
    weight hops+1 and that hop's gateway; an index with no link gives an empty device."""
    routes = [
        Route(V4, 0, 3, 1, gateway=addr("192.0.2.254"), oif=2, priority=100),
        Route(V4, 16, 3, 6, dst=addr("10.99.0.0")),  # unreachable
        Route(V4, 32, 2, 2, dst=addr("127.0.0.1"), oif=1),  # local
        Route(V4, 16, 4, 1, dst=addr("10.10.0.0"), src=addr("192.0.2.1"),
              multipath=(NextHop(2, 0, addr("192.0.2.254")), NextHop(9, 2))),
        Route(V6, 64, 2, 1, dst=addr("fe80::"), oif=7, priority=256),
    ]
    assert route_labels(routes, {1: "lo", 2: "eth0"}) == [
        ("eth0", "", "default", "192.0.2.254", "100", "boot", ""),
        ("eth0", "192.0.2.1", "10.10.0.0/16", "192.0.2.254", "0", "static", "1"),
        ("", "192.0.2.1", "10.10.0.0/16", "", "0", "static", "3"),
        ("", "", "fe80::/64", "", "256", "kernel", ""),
    ]


def test_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """The families, with a label set repeated (the same route in two tables) served once, as
    client_golang's gatherer serves it, and counted twice in node_network_routes, as Update counts."""
    same = Route(V4, 16, 12, 1, dst=addr("10.20.0.0"), oif=3)
    monkeypatch.setattr(network_route, "netlink_routes", lambda: [same, same, Route(V4, 0, 3, 1, oif=2)])
    monkeypatch.setattr(network_route, "link_names", lambda: {2: "eth0", 3: "eth1"})
    found = samples(run_collector("network_route", fixture_paths("none")))
    info = {("device", "eth1"), ("src", ""), ("dest", "10.20.0.0/16"), ("gw", ""), ("priority", "0"),
            ("proto", "bird"), ("weight", "")}
    assert found == {
        ("node_network_route_info", frozenset(info)): 1.0,
        ("node_network_route_info", frozenset((info - {("device", "eth1"), ("dest", "10.20.0.0/16"),
                                                        ("proto", "bird")})
                                              | {("device", "eth0"), ("dest", "default"), ("proto", "boot")})): 1.0,
        ("node_network_routes", frozenset({("device", "eth1")})): 2.0,
        ("node_network_routes", frozenset({("device", "eth0")})): 1.0,
    }


def test_collector_without_unicast_routes_serves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_route, "netlink_routes", lambda: [Route(V4, 8, 2, 2, dst=addr("127.0.0.0"))])
    monkeypatch.setattr(network_route, "link_names", lambda: {1: "lo"})
    assert run_collector("network_route", fixture_paths("none")) == []
