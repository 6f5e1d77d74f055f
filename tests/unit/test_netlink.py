"""pyexporter.toolkit.netlink: dump_bodies, the receive-side checks shared by the dumps
(mdlayher/netlink's Conn.Receive and checkMessage)."""

from __future__ import annotations

import struct

import pytest

from pyexporter.toolkit import netlink
from pyexporter.toolkit.collector import CollectorError


def nlmsg(kind: int, body: bytes, flags: int = netlink.NLM_F_MULTI) -> bytes:
    raw = netlink.HEADER.pack(netlink.HEADER.size + len(body), kind, flags, 1, 0) + body
    return raw + b"\0" * (-len(raw) % 4)


def test_dump_bodies_keeps_the_asked_type_until_done() -> None:
    data = nlmsg(24, b"one\0") + nlmsg(25, b"skip") + nlmsg(24, b"two\0")
    assert netlink.dump_bodies(data, 24, "test") == ([b"one\0", b"two\0"], False)
    assert netlink.dump_bodies(nlmsg(24, b"last") + nlmsg(netlink.NLMSG_DONE, struct.pack("=i", 0)), 24, "test") == (
        [b"last"], True)
    # An NLMSG_DONE without the errno (old kernels, some families): checkMessage returns early.
    assert netlink.dump_bodies(nlmsg(netlink.NLMSG_DONE, b""), 24, "test") == ([], True)


def test_dump_bodies_errors() -> None:
    # A dump the kernel cut short ends in NLMSG_DONE carrying a negative errno.
    with pytest.raises(OSError) as err:
        netlink.dump_bodies(nlmsg(netlink.NLMSG_DONE, struct.pack("=i", -4)), 24, "test dump")
    assert err.value.errno == 4
    with pytest.raises(OSError) as err:
        netlink.dump_bodies(nlmsg(netlink.NLMSG_ERROR, struct.pack("=i", -1) + b"\0" * 16), 24, "test dump")
    assert err.value.errno == 1 and "test dump failed" in str(err.value)
    # An acknowledgement (errno 0) is no error.
    assert netlink.dump_bodies(nlmsg(netlink.NLMSG_ERROR, struct.pack("=i", 0) + b"\0" * 16), 24, "t") == ([], False)
    with pytest.raises(CollectorError):
        netlink.dump_bodies(nlmsg(24, b"body")[:-2], 24, "test")
    with pytest.raises(CollectorError):
        netlink.dump_bodies(nlmsg(netlink.NLMSG_DONE, struct.pack("=i", 5)), 24, "test")


def _attr(kind: int, payload: bytes) -> bytes:
    return struct.pack("=HH", 4 + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def test_chosen_attributes_as_attributes_walks_them() -> None:
    """Flag bits stripped, the last of a type winning, others skipped, padding followed, a
    trailing stub of under 4 bytes ignored."""
    data = (_attr(3, b"eth0\0") + _attr(26, b"x" * 301) + _attr(0x8000 | 20, b"alias\0")
            + _attr(3, b"eth1\0") + _attr(23, b"\1" * 8) + _attr(7, b"\2" * 5) + b"\0\0")
    wanted = {3, 7, 20, 23}
    assert netlink.chosen_attributes(data, wanted, "x") == {
        kind: payload for kind, payload in netlink.attributes(data, "x") if kind in wanted}
    assert netlink.chosen_attributes(data, wanted, "x")[3] == b"eth1\0"
    assert netlink.chosen_attributes(b"", wanted, "x") == {}


@pytest.mark.parametrize("data", [
    struct.pack("=HH", 3, 3),  # shorter than its own header
    struct.pack("=HH", 12, 3) + b"eth0",  # longer than the buffer
    struct.pack("=HH", 8, 26) + b"abcd" + struct.pack("=HH", 9, 26) + b"abcd",  # an unchosen one, cut
])
def test_chosen_attributes_truncated(data: bytes) -> None:
    with pytest.raises(CollectorError, match="truncated netlink link attribute"):
        netlink.chosen_attributes(data, {3}, "netlink link")
