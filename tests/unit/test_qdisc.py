import struct

import pytest

from pyexporter.collectors.qdisc import QdiscInfo, parse_fixture_json, parse_qdisc_dump, parse_qdisc_message
from pyexporter.toolkit.collector import CollectorError


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def _qdisc_body(ifindex: int, parent: int, kind: str) -> bytes:
    stats2 = _attr(1, struct.pack("=QI", 1000, 10)) + _attr(3, struct.pack("=5I", 4, 500, 1, 2, 3))
    return (struct.pack("=BxxxiIII", 0, ifindex, 0, parent, 1)
            + _attr(1, kind.encode() + b"\0") + _attr(7, stats2))


def _nlmsg(kind: int, body: bytes) -> bytes:
    raw = struct.pack("=IHHII", 16 + len(body), kind, 2, 1, 0) + body
    return raw + b"\0" * (-len(raw) % 4)


def names(index: int) -> str:
    if index == 9:
        raise OSError("gone")
    return {1: "lo", 2: "eth0"}[index]


def test_parse_qdisc_message() -> None:
    info = parse_qdisc_message(_qdisc_body(2, 0xFFFFFFFF, "fq_codel"), names)
    assert info == QdiscInfo("eth0", 0, "fq_codel", 1000, 10, 1, 2, 3, 4, 500)
    assert parse_qdisc_message(_qdisc_body(9, 0xFFFFFFFF, "fq"), names) is None
    child = parse_qdisc_message(_qdisc_body(2, 0x10001, "fq"), names)
    assert child is not None and child.parent == 0x10001


def test_parse_qdisc_dump() -> None:
    data = _nlmsg(36, _qdisc_body(2, 0xFFFFFFFF, "fq")) + _nlmsg(36, _qdisc_body(1, 0xFFFFFFFF, "noqueue"))
    found, done = parse_qdisc_dump(data, names)
    assert [q.iface for q in found] == ["eth0", "lo"] and not done
    found, done = parse_qdisc_dump(_nlmsg(3, b"\0\0\0\0"), names)
    assert found == [] and done


def test_qdisc_dump_error_and_garbage() -> None:
    with pytest.raises(OSError):
        parse_qdisc_dump(_nlmsg(2, struct.pack("=i", -1) + b"\0" * 16), names)
    with pytest.raises(CollectorError):
        parse_qdisc_dump(b"\xff\x00\x00\x00" + b"\0" * 12, names)
    with pytest.raises(CollectorError):
        parse_qdisc_message(b"short", names)
    with pytest.raises(CollectorError):
        parse_qdisc_message(struct.pack("=BxxxiIII", 0, 2, 0, 0, 0) + _attr(7, _attr(1, b"\0\0")), names)


def test_parse_fixture_json() -> None:
    assert parse_fixture_json('[{"IfaceName": "wlan0", "Kind": "fq", "Drops": 1}]') == [
        QdiscInfo("wlan0", 0, "fq", drops=1)
    ]
    assert parse_fixture_json("[]") == []
    for bad in ("", "{}", "[1]", '[{"Bytes": "x"}]', "[{"):
        with pytest.raises(CollectorError):
            parse_fixture_json(bad)
