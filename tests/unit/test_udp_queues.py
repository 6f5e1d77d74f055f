import pytest

from pyexporter.collectors.udp_queues import QueueSummary, parse_udp_summary
from pyexporter.toolkit.collector import CollectorError

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
LINE = "   {sl}: 00000000:0016 00000000:0000 0A {q} 00:00000000 00000000     0        0 2740 1 ffff88003d3af3c0 0\n"


def test_parse_udp_summary() -> None:
    text = HEADER + LINE.format(sl=0, q="00000015:00000000") + LINE.format(sl=1, q="00000001:00000100")
    assert parse_udp_summary(text) == QueueSummary(0x16, 0x100, 2)
    assert parse_udp_summary(HEADER) == QueueSummary(0, 0, 0)
    assert parse_udp_summary("") == QueueSummary(0, 0, 0)


@pytest.mark.parametrize(
    "line",
    [
        "   0: 00000000:0016 00000000:0000 0A\n",
        LINE.format(sl=0, q="0000001500000000"),
        LINE.format(sl=0, q="zz:00"),
        LINE.format(sl="x", q="00:00"),
    ],
)
def test_parse_udp_summary_malformed(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_udp_summary(HEADER + line)


# procfs's parseNetIPSocketLine: sl, uid, inode and drops strconv.ParseUint(x, 0, 64), addresses
# parseIP (hex.DecodeString, 4 or 16 bytes), ports, st and the queues ParseUint(x, 16, 64).
GO_ACCEPTS = [
    LINE.format(sl=0, q="00000015:00000000"),
    LINE.format(sl="0x1", q="0000000000000000001:2"),  # base-0 sl; 19 hex digits still fit
    LINE.format(sl="1_0", q="ffffffffffffffff:0").replace("     0        0", " 0o17        0"),
    LINE.format(sl=3, q="1:2").replace("     0        0", " 18446744073709551615        0"),
    LINE.format(sl=3, q="1:2").replace("2740 1 ffff88003d3af3c0 0", "0x2740 1 ffff88003d3af3c0 017"),  # base 0
    LINE.format(sl=3, q="1:2").replace("00000000:0016", "000000000000000000000000FFFFFFFF:0016"),  # IPv6
]
GO_REFUSES = [
    LINE.format(sl="+1", q="1:2"),
    LINE.format(sl=1, q="+1:2"),
    LINE.format(sl=1, q="0x1:2"),
    LINE.format(sl=1, q="1_0:2"),
    LINE.format(sl=1, q="10000000000000000:0"),
    LINE.format(sl=1, q="1:2:3"),
    LINE.format(sl=1, q="1:2").replace("00000000:0016", "0000000:0016"),  # odd address length
    LINE.format(sl=1, q="1:2").replace("00000000:0016", "0000000g:0016"),
    LINE.format(sl=1, q="1:2").replace(" 0A ", " 0x0A "),
    LINE.format(sl=1, q="1:2").replace("     0        0", " 18446744073709551616        0"),
    LINE.format(sl=1, q="1:2").replace("     0        0", " -1        0"),
    LINE.format(sl="09", q="1:2"),  # base 0: a leading zero is octal, and 9 is no octal digit
    LINE.format(sl=1, q="1:2").replace("     0        0", " 08        0"),
    LINE.format(sl="1:", q="1:2"),
    # parseIP: 4 or 16 address bytes, nothing else.
    LINE.format(sl=3, q="1:2").replace("00000000:0016", ":0016"),
    LINE.format(sl=3, q="1:2").replace("00000000:0016", "0000000000:0016"),
    LINE.format(sl=3, q="1:2").replace("00000000:0000", "0000000000000000:0000"),
    # inode and drops: ParseUint(x, 0, 64).
    LINE.format(sl=3, q="1:2").replace(" 2740 ", " x2740 "),
    LINE.format(sl=3, q="1:2").replace("ffff88003d3af3c0 0", "ffff88003d3af3c0 -1"),
    LINE.format(sl=3, q="1:2").replace("ffff88003d3af3c0 0", "ffff88003d3af3c0 09"),
    # Fewer than the 13 columns a udp line has: no drops column.
    LINE.format(sl=3, q="1:2").replace(" ffff88003d3af3c0 0", ""),
]


@pytest.mark.parametrize("line", GO_ACCEPTS)
def test_lines_go_accepts(line: str) -> None:
    assert parse_udp_summary(HEADER + line).sockets == 1


@pytest.mark.parametrize("line", GO_REFUSES)
def test_lines_go_refuses(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_udp_summary(HEADER + line)


@pytest.mark.parametrize("line", GO_ACCEPTS + GO_REFUSES)
def test_usual_line_shortcut_agrees_with_the_field_by_field_path(line: str, monkeypatch) -> None:
    import re

    from pyexporter.collectors import udp_queues

    def outcome() -> object:
        try:
            return parse_udp_summary(HEADER + line)
        except CollectorError:
            return CollectorError

    fast = outcome()
    monkeypatch.setattr(udp_queues, "_USUAL_LINE", re.compile(r"(?!)"))
    assert outcome() == fast


@pytest.mark.parametrize("tail", ["\n", "   \n", "\n" + LINE.format(sl=1, q="1:2")])
def test_blank_lines_are_refused_as_procfs(tail: str) -> None:
    # parseNetIPSocketLine wants 10 columns or more, of a blank line too.
    with pytest.raises(CollectorError):
        parse_udp_summary(HEADER + LINE.format(sl=0, q="1:2") + tail)


def test_blank_header_line_is_still_the_header() -> None:
    assert parse_udp_summary("\n" + LINE.format(sl=0, q="1:2")) == QueueSummary(1, 2, 1)
