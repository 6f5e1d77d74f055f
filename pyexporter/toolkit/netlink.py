"""Netlink message framing shared by the collectors that ask the kernel over netlink (netdev's
links, qdisc, network_route's routes, tcpstat's sock_diag, wifi's nl80211): the socket module
opens the sockets, but no well-kept library frames the messages without pulling in much more than
these few lines."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from typing import TypeVar

from pyexporter.toolkit.collector import CollectorError

HEADER = struct.Struct("=IHHII")  # struct nlmsghdr: length, type, flags, seq, pid
ATTRIBUTE = struct.Struct("=HH")  # struct nlattr / rtattr: length, type
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_DUMP = 0x1, 0x2, 0x300
# NETLINK_SOCK_DIAG (formerly NETLINK_INET_DIAG), which Python's socket module does not name.
NETLINK_SOCK_DIAG = 4

T = TypeVar("T")


def align(n: int) -> int:
    return (n + 3) & ~3


def messages(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(type, flags, body) of each message in one receive buffer, NLMSG_DONE and errors included."""
    pos = 0
    while pos + HEADER.size <= len(data):
        length, kind, flags, _seq, _pid = HEADER.unpack_from(data, pos)
        if length < HEADER.size or pos + length > len(data):
            raise CollectorError("truncated netlink message")
        yield kind, flags, data[pos + HEADER.size : pos + length]
        pos += align(length)
    if pos != len(data):
        raise CollectorError("trailing bytes in netlink message buffer")


def raise_for_error(body: bytes, what: str) -> None:
    """An NLMSG_ERROR body: OSError for a kernel error, nothing for an acknowledgement."""
    (code,) = struct.unpack_from("=i", body) if len(body) >= 4 else (0,)
    if code:
        # The kernel sends a negative errno; anything else would overflow os.strerror.
        if not 0 < -code < 2**31:
            raise CollectorError(f"malformed netlink error reply: errno {code}")
        raise OSError(-code, f"{what} failed: {os.strerror(-code)}")


# An attribute's type without its flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER).
_ATTRIBUTE_TYPE = 0x3FFF


def attributes(data: bytes, what: str) -> Iterator[tuple[int, bytes]]:
    """(type, payload) of each attribute, flag bits stripped."""
    pos = 0
    while pos + ATTRIBUTE.size <= len(data):
        length, kind = ATTRIBUTE.unpack_from(data, pos)
        if length < ATTRIBUTE.size or pos + length > len(data):
            raise CollectorError(f"truncated {what} attribute")
        yield kind & _ATTRIBUTE_TYPE, data[pos + ATTRIBUTE.size : pos + length]
        pos += align(length)


def chosen_attributes(data: bytes, kinds: AbstractSet[int], what: str) -> dict[int, bytes]:
    """The payloads of the attributes whose type (flag bits stripped) is one of KINDS, the last of
    a type winning: `attributes` walked and checked alike, every attribute, but without a
    generator step and a payload copied for each. A message of many attributes of which a few
    are read (an rtnetlink link carries some 40) costs mostly those otherwise."""
    found: dict[int, bytes] = {}
    unpack, head, end = ATTRIBUTE.unpack_from, ATTRIBUTE.size, len(data)
    pos = 0
    while pos + head <= end:
        length, kind = unpack(data, pos)
        if length < head or pos + length > end:
            raise CollectorError(f"truncated {what} attribute")
        kind &= _ATTRIBUTE_TYPE
        if kind in kinds:
            found[kind] = data[pos + head : pos + length]
        pos += align(length)
    return found


def dump_bodies(data: bytes, kind: int, what: str) -> tuple[list[bytes], bool]:
    """One receive buffer of a dump: the bodies of its KIND messages, and whether NLMSG_DONE ended
    it. An NLMSG_ERROR, or an NLMSG_DONE carrying a negative errno (a dump the kernel cut short),
    raises OSError, as mdlayher/netlink's Conn.Receive does; other message types are skipped."""
    bodies: list[bytes] = []
    for msg_kind, _flags, body in messages(data):
        if msg_kind == NLMSG_DONE:
            if len(body) >= 4:
                raise_for_error(body, what)
            return bodies, True
        if msg_kind == NLMSG_ERROR:
            raise_for_error(body, what)
        elif msg_kind == kind:
            bodies.append(body)
    return bodies, False


def route_dump(kind: int, header: bytes, parse: Callable[[bytes], tuple[list[T], bool]]) -> list[T]:
    """Dump request KIND (with its family header) over rtnetlink in this network namespace; PARSE
    turns each receive buffer into (records, dump finished)."""
    return dump(socket.NETLINK_ROUTE, kind, header, parse)


def dump(protocol: int, kind: int, header: bytes, parse: Callable[[bytes], tuple[list[T], bool]]) -> list[T]:
    """Dump request KIND (with its request header) over netlink PROTOCOL (NETLINK_ROUTE,
    NETLINK_SOCK_DIAG, ...) in this network namespace; PARSE turns each receive buffer into
    (records, dump finished)."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, protocol) as sock:
        sock.bind((0, 0))
        sock.settimeout(5.0)
        sock.sendto(HEADER.pack(HEADER.size + len(header), kind, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + header, (0, 0))
        found: list[T] = []
        while True:
            chunk, done = parse(sock.recv(1 << 16))
            found.extend(chunk)
            if done:
                return found
