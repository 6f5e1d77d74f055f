import random
import socket
import struct

import pytest

from pyexporter.collectors.netdev import (
    LINK_STATS_KEYS,
    NET_DEV_KEYS,
    _parse_net_dev_batch,
    _parse_net_dev_lines,
    address_infos,
    legacy_stats,
    parse_link_dump,
    parse_net_dev,
    stats_plan,
)
from pyexporter.toolkit.collector import CollectorError

HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|"
    "bytes    packets errs drop fifo colls carrier compressed\n"
)


def test_parse_net_dev() -> None:
    text = HEADER + "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n    lo:0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    devices = parse_net_dev(text)
    assert [d.name for d in devices] == ["eth0", "lo"]
    eth0 = devices[0].stats
    assert eth0["receive_bytes"] == 1 and eth0["receive_multicast"] == 8
    assert eth0["transmit_colls"] == 14 and eth0["transmit_compressed"] == 16


def test_parse_net_dev_empty_and_header_only() -> None:
    assert parse_net_dev("") == []
    assert parse_net_dev(HEADER) == []


@pytest.mark.parametrize(
    "line",
    [
        "eth0 1 2 3",
        "  eth0: 1 2 3\n",
        "eth0: a b c d e f g h i j k l m n o p",
        ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
    ],
)
def test_parse_net_dev_malformed(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_net_dev(HEADER + line)


@pytest.mark.parametrize("value", ["-1", "+1", "1_0", "0x1", "\u0661", "18446744073709551616"])
def test_parse_net_dev_counters_go_refuses(value: str) -> None:
    # procfs's net_dev.go: strconv.ParseUint(x, 10, 64).
    with pytest.raises(CollectorError):
        parse_net_dev(HEADER + f"  eth0: {value} 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n")


def test_parse_net_dev_full_range() -> None:
    (eth0,) = parse_net_dev(HEADER + "  eth0: 18446744073709551615" + " 0" * 15 + "\n")
    assert eth0.stats["receive_bytes"] == 2**64 - 1


def _attr(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def _newlink(name: str, stats: list[int] | None, width: int = 8, kind: int = 23) -> bytes:
    body = struct.pack("=BxHiII", 0, 772, 1, 0, 0) + _attr(3, name.encode() + b"\0")
    if stats is not None:
        body += _attr(kind, struct.pack(f"={len(stats)}{'Q' if width == 8 else 'I'}", *stats))
    return struct.pack("=IHHII", 16 + len(body), 16, 2, 1, 0) + body


DONE = struct.pack("=IHHIIi", 20, 3, 2, 1, 0, 0)


def test_parse_link_dump_stats64() -> None:
    values = list(range(1, 25))
    links, done = parse_link_dump(_newlink("lo", values) + _newlink("noname-stats", None) + DONE)
    assert done
    assert [link.name for link in links] == ["lo"]
    assert links[0].stats == dict(zip(LINK_STATS_KEYS, values, strict=True))


def test_parse_link_dump_stats32_and_short_struct() -> None:
    links, done = parse_link_dump(_newlink("eth0", [5, 6, 7], width=4, kind=7))
    assert not done
    assert links[0].stats["receive_packets"] == 5
    assert links[0].stats["receive_bytes"] == 7
    assert links[0].stats["receive_nohandler"] == 0


def test_parse_link_dump_error_and_truncation() -> None:
    with pytest.raises(OSError):
        parse_link_dump(struct.pack("=IHHIIi", 20, 2, 0, 1, 0, -1))
    with pytest.raises(CollectorError):
        parse_link_dump(_newlink("lo", [1, 2])[:-3])
    assert parse_link_dump(b"") == ([], False)


def test_legacy_stats_folds_detailed_errors() -> None:
    detailed = dict.fromkeys(LINK_STATS_KEYS, 1)
    legacy = legacy_stats(detailed)
    assert legacy["receive_drop"] == 2  # dropped + missed
    assert legacy["receive_frame"] == 4  # frame + length + over + crc
    assert legacy["transmit_carrier"] == 4  # carrier + aborted + heartbeat + window
    assert set(legacy) == {
        "receive_packets", "transmit_packets", "receive_bytes", "transmit_bytes", "receive_errs",
        "transmit_errs", "receive_drop", "transmit_drop", "receive_multicast", "transmit_colls",
        "receive_frame", "receive_fifo", "transmit_fifo", "transmit_carrier", "receive_compressed",
        "transmit_compressed", "receive_nohandler",
    }


def test_legacy_stats_keeps_proc_names() -> None:
    stats = parse_net_dev(HEADER + "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n")[0].stats
    legacy = legacy_stats(stats)
    assert legacy["receive_errs"] == 3 and legacy["receive_drop"] == 4 and legacy["receive_fifo"] == 5
    assert "receive_errors" not in legacy


def test_legacy_stats_sums_and_order() -> None:
    """Each fold adds the detailed counters as the kernel does, and the renamed counters follow
    the others in fold order (the order in which the families are first used)."""
    detailed = {key: i + 1 for i, key in enumerate(LINK_STATS_KEYS)}
    assert list(legacy_stats(detailed).items()) == [
        ("receive_packets", 1), ("transmit_packets", 2), ("receive_bytes", 3), ("transmit_bytes", 4),
        ("receive_compressed", 22), ("transmit_compressed", 23), ("receive_nohandler", 24),
        ("receive_errs", 5), ("receive_drop", 7 + 16), ("receive_fifo", 15),
        ("receive_frame", 14 + 11 + 12 + 13), ("receive_multicast", 9), ("transmit_errs", 6),
        ("transmit_drop", 8), ("transmit_fifo", 19), ("transmit_colls", 10),
        ("transmit_carrier", 18 + 17 + 20 + 21),
    ]
    # A counter folded into an absent one stays as it is.
    assert legacy_stats({"receive_missed_errors": 5, "transmit_dropped": 2, "receive_bytes": 1}) == {
        "receive_missed_errors": 5, "receive_bytes": 1, "transmit_drop": 2,
    }


def test_address_infos() -> None:
    infos = address_infos({
        "lo": [
            (socket.AF_INET, "127.0.0.1", "255.0.0.0"),
            (socket.AF_INET6, "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ],
        "eth0": [
            (socket.AF_INET, "10.1.2.3", "255.255.255.0"),
            (socket.AF_INET6, "fe80::1%eth0", "ffff:ffff:ffff:ffff::"),
            (socket.AF_PACKET, "00:11:22:33:44:55", None),
        ],
    })
    assert [tuple(i) for i in infos] == [
        ("lo", "127.0.0.1", "8", "link-local"),
        ("lo", "::1", "128", "link-local"),
        ("eth0", "10.1.2.3", "24", "global"),
        ("eth0", "fe80::1", "64", "link-local"),
    ]


def test_parse_net_dev_extra_columns_and_odd_names() -> None:
    """procfs parseLine: the name is what precedes the first colon, trimmed (names like
    `veth1@if5` or `br-1a2b.100` included); columns past the 16th are ignored."""
    text = HEADER + "veth1@if5: " + " ".join(["1"] * 17) + "\n br-1a2b.100:" + " 2" * 16 + "\n"
    devices = parse_net_dev(text)
    assert [d.name for d in devices] == ["veth1@if5", "br-1a2b.100"]
    assert devices[1].stats["transmit_compressed"] == 2


@pytest.mark.parametrize("keys", [
    LINK_STATS_KEYS, NET_DEV_KEYS, LINK_STATS_KEYS[:10], NET_DEV_KEYS[:1], (),
    ("receive_errs", "receive_errors", "receive_bytes"),  # a legacy name beside its detailed one
    ("receive_missed_errors", "transmit_dropped", "receive_bytes"),
    *(tuple(random.Random(seed).sample(LINK_STATS_KEYS + NET_DEV_KEYS[4:6], 12)) for seed in range(20)),
])
def test_stats_plan_reports_what_legacy_stats_reports(keys: tuple[str, ...]) -> None:
    """The plan worked out once for a set of statistics gives every device what legacy_stats
    gives it (and, detailed, the statistics as they are)."""
    rng = random.Random(len(keys))
    for _ in range(5):
        stats = {key: rng.choice((0, 1, rng.getrandbits(64))) for key in keys}
        legacy = legacy_stats(stats)
        plan = stats_plan(tuple(stats), detailed=False)
        assert list(zip(plan.keys, plan.pick(tuple(stats.values())), strict=True)) == list(legacy.items())
        plan = stats_plan(tuple(stats), detailed=True)
        assert list(zip(plan.keys, plan.pick(tuple(stats.values())), strict=True)) == list(stats.items())


@pytest.mark.parametrize("order", ["64 first", "32 first"])
def test_parse_link_dump_64_bit_statistics_win(order: str) -> None:
    """The kernel sends IFLA_STATS64 and IFLA_STATS; the 64-bit one is reported, in any order."""
    stats64 = _attr(23, struct.pack("=3Q", 2**40, 2, 3))
    stats32 = _attr(7, struct.pack("=3I", 7, 8, 9))
    attrs = stats64 + stats32 if order == "64 first" else stats32 + stats64
    body = struct.pack("=BxHiII", 0, 772, 1, 0, 0) + _attr(3, b"eth0\0") + attrs
    (link,), _ = parse_link_dump(struct.pack("=IHHII", 16 + len(body), 16, 2, 1, 0) + body)
    assert (link.stats["receive_packets"], link.stats["transmit_packets"]) == (2**40, 2)


_ROW = " ".join(str(n) for n in range(1, 17))


@pytest.mark.parametrize("body", [
    f"  eth0: {_ROW}\n    lo:{_ROW} 17 18\n",
    f"  eth0: {_ROW}\n\n   \n    lo: {_ROW}\n",  # blank lines: skipped by the line parser
    f"  eth0: {_ROW}\n  eth1: 007 {_ROW[2:]}\n",  # leading zeros: ParseUint base 10 takes them
    f"  eth0: {_ROW}\n  eth1: 18446744073709551615 {_ROW[2:]}\n",
    f"  eth0: {_ROW}\n  eth1: 18446744073709551616 {_ROW[2:]}\n  eth2: 1 2\n",  # the counter fails first
    f"  eth0: {_ROW}\n  eth1: 1 2\n  eth2: x {_ROW[2:]}\n",  # the short line fails first
    f"  eth0: {_ROW}\n  eth1 {_ROW}\n",
    f"  eth0: {_ROW}\n  : {_ROW}\n",
    f"  eth0: {_ROW}\n  eth1: -1 {_ROW[2:]}\n",
])
def test_parse_net_dev_batch_as_line_by_line(body: str) -> None:
    """The batch of every line's counters gives what the line-by-line parser gives, and hands it
    any text it cannot take whole, so that the same line fails with the same error."""
    lines = (HEADER + body).splitlines()[2:]
    try:
        expected: object = _parse_net_dev_lines(lines)
    except CollectorError as err:
        expected = str(err)
    if isinstance(expected, str):
        assert _parse_net_dev_batch(lines) is None
        with pytest.raises(CollectorError) as caught:
            parse_net_dev(HEADER + body)
        assert str(caught.value) == expected
    else:
        assert parse_net_dev(HEADER + body) == expected
        # The kernel never writes a blank line; any other well-formed text is taken whole.
        assert _parse_net_dev_batch(lines) == (None if "" in map(str.strip, lines) else expected)
