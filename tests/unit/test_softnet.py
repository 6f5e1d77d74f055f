import pytest

from pyexporter.collectors.softnet import SoftnetStat, parse_softnet
from pyexporter.toolkit.collector import CollectorError

ROW9 = "0000000a 00000001 00000002 0 0 0 0 0 00000003"


def test_parse_softnet_widths() -> None:
    stats = parse_softnet(
        f"{ROW9}\n{ROW9} 00000004 00000005\n{ROW9} 00000004 00000005 00000006 00000007 000000ff\n"
    )
    assert stats == [
        SoftnetStat(0, 10, 1, 2, 3, 0, 0, 0),
        SoftnetStat(1, 10, 1, 2, 3, 4, 5, 0),
        SoftnetStat(7, 10, 1, 2, 3, 4, 5, 6),
    ]
    assert parse_softnet("") == []


@pytest.mark.parametrize("text", ["0 1 2\n", "zz 0 0 0 0 0 0 0 0\n", "100000000 0 0 0 0 0 0 0 0\n"])
def test_parse_softnet_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_softnet(text)


# procfs's parseHexUint32s: strconv.ParseUint(column, 16, 32).
@pytest.mark.parametrize("column", ["0x0a", "+a", "-0", "0_a", "١", "100000000", "\x00"])
def test_columns_go_refuses(column: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseUint"):
        parse_softnet(f"{column} 00000001 00000002 0 0 0 0 0 00000003\n")


def test_columns_as_go() -> None:
    assert parse_softnet("FFFFFFFF 0 0 0 0 0 0 0 aB\n") == [SoftnetStat(0, 2**32 - 1, 0, 0, 171, 0, 0, 0)]


def test_parse_softnet_every_kernel_width() -> None:
    """procfs parseSoftnet: 9 (2.6.23), 10 (2.6.39 received_rps), 11 (4.18 flow_limit_count),
    12 (no index: row number), 13 (5.14 backlog_len and cpu index) and wider rows."""
    rows = [
        ROW9,
        f"{ROW9} 00000004",
        f"{ROW9} 00000004 00000005",
        f"{ROW9} 00000004 00000005 00000006",
        f"{ROW9} 00000004 00000005 00000006 00000010",
        f"{ROW9} 00000004 00000005 00000006 00000011 0000000f",
    ]
    assert parse_softnet("\n".join(rows) + "\n") == [
        SoftnetStat(0, 10, 1, 2, 3, 0, 0, 0),
        SoftnetStat(1, 10, 1, 2, 3, 4, 0, 0),
        SoftnetStat(2, 10, 1, 2, 3, 4, 5, 0),
        SoftnetStat(3, 10, 1, 2, 3, 4, 5, 0),
        SoftnetStat(16, 10, 1, 2, 3, 4, 5, 6),
        SoftnetStat(17, 10, 1, 2, 3, 4, 5, 6),
    ]


def test_parse_softnet_twelfth_column_unread_without_index() -> None:
    """procfs parseSoftnet reads columns 11-12 only when a row has 13 or more."""
    assert parse_softnet(f"{ROW9} 00000004 00000005 zz\n") == [SoftnetStat(0, 10, 1, 2, 3, 4, 5, 0)]
    with pytest.raises(CollectorError):
        parse_softnet(f"{ROW9} 00000004 00000005 zz 00000001\n")


def test_rows_checked_as_one_read_as_column_by_column() -> None:
    # Rows of plain hex columns of up to eight digits take one check; others, such as a
    # nine-digit column that still fits 32 bits, are read column by column, as Go reads them.
    assert parse_softnet("000000001 0 0 0 0 0 0 0 Ff\n") == [SoftnetStat(0, 1, 0, 0, 255, 0, 0, 0)]
    assert parse_softnet("1\t0 0 0 0 0 0 0 Ff\n") == [SoftnetStat(0, 1, 0, 0, 255, 0, 0, 0)]
    with pytest.raises(CollectorError):
        parse_softnet("0000000100000000 0 0 0 0 0 0 0 0\n")


@pytest.mark.parametrize("text", [f"{ROW9}\n\n", f"{ROW9}\n\n{ROW9}\n", f"{ROW9}\n \t\n", f"\n{ROW9}\n"])
def test_blank_lines_are_refused_as_procfs(text: str) -> None:
    # parseSoftnet checks `width < minColumns` on every line, an empty one included.
    with pytest.raises(CollectorError, match="0 softnet_stat columns"):
        parse_softnet(text)
