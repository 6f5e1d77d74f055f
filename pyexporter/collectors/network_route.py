"""network_route: the unicast routes of every routing table, as node_exporter's network_route
collector (collector/network_route_linux.go: Update, networkRouteIPWithPrefixToString,
networkRouteIPToString, networkRouteProtocolToString; off by default), which dumps links and
routes over rtnetlink with jsimonetti/rtnetlink (route.go: RouteMessage.UnmarshalBinary,
RouteAttributes.decode, parseMultipath, NextHop.decode).

The kernel publishes routes only over rtnetlink (an RTM_GETROUTE dump of every family and table);
like node_exporter this reads the network namespace pyexporter runs in and does not follow
--path.procfs. Interface names come from if_nameindex(3), which reads the same RTM_GETLINK dump
that rtnetlink's Link.List does.

Deliberate differences: none in what is served. Two routes whose labels coincide (the same route
in two tables) are served once, the first, as client_golang's gatherer serves them (it drops the
second and logs an error), while node_network_routes counts both, as node_exporter does. The
`table` and `type` labels of node_exporter pull request #2728 are not on its master branch, and
not here.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit import netlink
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily

_RTMSG = struct.Struct("=BBBBBBBBI")  # struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
_RTNEXTHOP = struct.Struct("=HBBi")  # struct rtnexthop: len, flags, hops, ifindex
_RTM_NEWROUTE, _RTM_GETROUTE = 24, 26
_RTN_UNICAST = 1
(_RTA_DST, _RTA_OIF, _RTA_GATEWAY, _RTA_PRIORITY, _RTA_PREFSRC, _RTA_METRICS, _RTA_MULTIPATH,
 _RTA_TABLE, _RTA_MARK, _RTA_EXPIRES) = 1, 4, 5, 6, 7, 8, 9, 15, 16, 23
# The RTA_METRICS members rtnetlink decodes as uint32 (RTAX_MTU, RTAX_ADVMSS, RTAX_INITCWND,
# RTAX_FEATURES); a wrong length fails its whole dump.
_RTAX_UINT32 = frozenset((2, 8, 11, 12))
_ADDRESS_ATTRS = frozenset((_RTA_DST, _RTA_PREFSRC, _RTA_GATEWAY))
_UINT32_ATTRS = frozenset((_RTA_OIF, _RTA_PRIORITY, _RTA_TABLE, _RTA_MARK, _RTA_EXPIRES))

# include/uapi/linux/rtnetlink.h, as networkRouteProtocolToString names them.
PROTOCOLS: dict[int, str] = {
    0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra",
    10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp",
    17: "mrouted", 42: "babel", 186: "bgp", 187: "isis", 188: "ospf", 189: "rip", 192: "eigrp",
}

_MAPPED_PREFIX = b"\0" * 10 + b"\xff\xff"


@dataclass(frozen=True, slots=True)
class NextHop:
    ifindex: int
    hops: int
    gateway: bytes = b""


@dataclass(frozen=True, slots=True)
class Route:
    family: int
    dst_len: int
    protocol: int
    type: int
    dst: bytes = b""
    src: bytes = b""  # RTA_PREFSRC, which rtnetlink calls Src
    gateway: bytes = b""
    oif: int = 0
    priority: int = 0
    multipath: tuple[NextHop, ...] = ()


# ---------------------------------------------------------------------------------------------
# Decoding: bytes in, records out


def _address(payload: bytes) -> bytes:
    if len(payload) not in (4, 16):
        raise CollectorError("rtnetlink RouteMessage has a wrong attribute data length")
    return payload


def _uint32(kind: int, payload: bytes) -> int:
    if len(payload) != 4:
        raise CollectorError(f"netlink: attribute {kind} is not a uint32; length: {len(payload)}")
    value: int = struct.unpack("=I", payload)[0]
    return value


def parse_multipath(data: bytes) -> tuple[NextHop, ...]:
    """RTA_MULTIPATH: packed rtnexthop structs, each followed by its attributes (of which
    NextHop.decode keeps RTA_GATEWAY), each RTNextHop.Length long, as parseMultipath reads them."""
    hops: list[NextHop] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < _RTNEXTHOP.size:
            raise CollectorError("truncated rtnexthop in multipath route")
        length, _flags, count, ifindex = _RTNEXTHOP.unpack_from(data, pos)
        end = pos + length
        if length < _RTNEXTHOP.size or end > len(data):
            raise CollectorError(f"invalid rtnexthop length {length} in multipath route")
        gateway = b""
        for kind, payload in netlink.attributes(data[pos + _RTNEXTHOP.size : end], "rtnexthop"):
            if kind == _RTA_GATEWAY:
                gateway = _address(payload)
        hops.append(NextHop(ifindex & 0xFFFFFFFF, count, gateway))
        pos = end
    return tuple(hops)


def parse_route_message(body: bytes) -> Route:
    """One RTM_NEWROUTE body (rtmsg + attributes), with the checks RouteAttributes.decode makes:
    an address that is neither 4 nor 16 bytes, or a uint32 of another length, fails the dump."""
    if len(body) < _RTMSG.size:
        raise CollectorError("rtnetlink RouteMessage is invalid or too short")
    family, dst_len, _src_len, _tos, _table, protocol, _scope, kind, _flags = _RTMSG.unpack_from(body)
    addresses: dict[int, bytes] = {}
    numbers: dict[int, int] = {}
    multipath: tuple[NextHop, ...] = ()
    for attr, payload in netlink.attributes(body[_RTMSG.size :], "rtnetlink route"):
        if attr in _ADDRESS_ATTRS:
            addresses[attr] = _address(payload)
        elif attr in _UINT32_ATTRS:
            numbers[attr] = _uint32(attr, payload)
        elif attr == _RTA_METRICS:
            for metric, data in netlink.attributes(payload, "route metrics"):
                if metric in _RTAX_UINT32:
                    _uint32(metric, data)
        elif attr == _RTA_MULTIPATH:
            multipath = parse_multipath(payload)
    return Route(family, dst_len, protocol, kind, dst=addresses.get(_RTA_DST, b""),
                 src=addresses.get(_RTA_PREFSRC, b""), gateway=addresses.get(_RTA_GATEWAY, b""),
                 oif=numbers.get(_RTA_OIF, 0), priority=numbers.get(_RTA_PRIORITY, 0), multipath=multipath)


def parse_route_dump(data: bytes) -> tuple[list[Route], bool]:
    """One receive buffer of an RTM_GETROUTE dump: (routes, dump finished)."""
    bodies, done = netlink.dump_bodies(data, _RTM_NEWROUTE, "rtnetlink route dump")
    return [parse_route_message(body) for body in bodies], done


def netlink_routes() -> list[Route]:
    """Every route of every family and table in this network namespace (rtnetlink's Route.List:
    an RTM_GETROUTE dump with an all-zero rtmsg)."""
    return netlink.route_dump(_RTM_GETROUTE, _RTMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0, 0, 0, 0, 0),
                              parse_route_dump)


# ---------------------------------------------------------------------------------------------
# Go's text for addresses and prefixes


def _to4(ip: bytes) -> bytes | None:
    """Go's net.IP.To4: the 4-byte form of an IPv4 or IPv4-mapped IPv6 address, else None."""
    if len(ip) == 4:
        return ip
    if len(ip) == 16 and ip[:12] == _MAPPED_PREFIX:
        return ip[12:]
    return None


def go_ip(ip: bytes) -> str:
    """Go's net.IP.String: dotted quad for IPv4 and IPv4-mapped addresses, RFC 5952 for IPv6 (the
    first longest run of two or more zero groups shortened to `::`), `?` and hex otherwise."""
    v4 = _to4(ip)
    if v4 is not None:
        return ".".join(str(b) for b in v4)
    if len(ip) != 16:
        return "?" + ip.hex()
    groups = struct.unpack("!8H", ip)
    best_start, best_len, run_start = -1, 0, -1
    for i, group in enumerate((*groups, 1)):
        if group == 0 and i < 8:
            if run_start < 0:
                run_start = i
        elif run_start >= 0:
            if i - run_start > best_len:
                best_start, best_len = run_start, i - run_start
            run_start = -1
    if best_len < 2:
        return ":".join(f"{g:x}" for g in groups)
    head = ":".join(f"{g:x}" for g in groups[:best_start])
    tail = ":".join(f"{g:x}" for g in groups[best_start + best_len :])
    return f"{head}::{tail}"


def ip_text(ip: bytes) -> str:
    """networkRouteIPToString: empty for an absent address."""
    return go_ip(ip) if ip else ""


def prefix_text(ip: bytes, length: int) -> str:
    """networkRouteIPWithPrefixToString: `default` for a zero-length prefix, else net.IPNet's
    String, which is `<nil>` when the prefix is longer than the address family allows (an
    IPv4-mapped destination is taken as IPv4) or the address is absent."""
    if length == 0:
        return "default"
    v4 = _to4(ip)
    bits = 32 if v4 is not None else 128
    if length > bits or (v4 is None and len(ip) != 16):
        return "<nil>"
    return f"{go_ip(ip)}/{length}"


def protocol_text(protocol: int) -> str:
    return PROTOCOLS.get(protocol, "unknown")


# ---------------------------------------------------------------------------------------------
# Records to label sets

Labels = tuple[str, str, str, str, str, str, str]  # device, src, dest, gw, priority, proto, weight


def route_labels(routes: list[Route], links: Mapping[int, str]) -> list[Labels]:
    """The node_network_route_info label sets of ROUTES in dump order, one per unicast route, or
    per next hop of a multipath one (weight: its hops + 1), as Update builds them; LINKS maps an
    interface index to its name (an unknown index gives an empty device)."""
    found: list[Labels] = []
    for route in routes:
        if route.type != _RTN_UNICAST:
            continue
        src, dest = ip_text(route.src), prefix_text(route.dst, route.dst_len)
        priority, proto = str(route.priority), protocol_text(route.protocol)
        if route.multipath:
            for hop in route.multipath:
                found.append((links.get(hop.ifindex, ""), src, dest, ip_text(hop.gateway), priority, proto,
                              str(hop.hops + 1)))
        else:
            found.append((links.get(route.oif, ""), src, dest, ip_text(route.gateway), priority, proto, ""))
    return found


def link_names() -> dict[int, str]:
    return dict(socket.if_nameindex())


@collector("network_route", default=False)
class NetworkRouteCollector(Collector[NoOptions]):
    def collect(self) -> Iterator[Metric]:
        links = link_names()
        labels = route_labels(netlink_routes(), links)
        info = GaugeMetricFamily(
            "node_network_route_info", "network routing table information",
            labels=["device", "src", "dest", "gw", "priority", "proto", "weight"])
        counts: dict[str, int] = {}
        seen: set[Labels] = set()
        for label_set in labels:
            counts[label_set[0]] = counts.get(label_set[0], 0) + 1
            if label_set in seen:
                self.log.debug("Dropping a route whose labels repeat another's",
                               extra={"kv": {"dest": label_set[2], "device": label_set[0]}})
                continue
            seen.add(label_set)
            info.add_metric(list(label_set), 1.0)
        if not counts:
            return
        routes = GaugeMetricFamily("node_network_routes", "network routes by interface", labels=["device"])
        for device, total in counts.items():
            routes.add_metric([device], float(total))
        yield info
        yield routes
