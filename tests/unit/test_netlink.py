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
