import pytest

from pyexporter.collectors.lnstat import parse_net_stat
from pyexporter.toolkit.collector import CollectorError


def test_parse_net_stat_hex_per_cpu() -> None:
    parsed = parse_net_stat("arp_cache", "entries  allocs\n00000014 0000000a\n00000014  000000ff\n")
    assert parsed.filename == "arp_cache"
    assert parsed.stats == {"entries": [20, 20], "allocs": [10, 255]}


def test_parse_net_stat_header_only() -> None:
    assert parse_net_stat("x", "entries allocs\n").stats == {"entries": [], "allocs": []}


def test_parse_net_stat_short_rows_and_empty_file() -> None:
    """procfs FS.NetStat: a row's values fill the first columns; an empty file has none."""
    assert parse_net_stat("x", "a b\n1\n2 3\n").stats == {"a": [1, 2], "b": [3]}
    assert parse_net_stat("x", "").stats == {}


@pytest.mark.parametrize("text", ["a b\n1 2 3\n", "a\nzz\n", "\n1\n"])
def test_parse_net_stat_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_net_stat("x", text)


@pytest.mark.parametrize("value", [
    # procfs: strconv.ParseUint(x, 16, 64) refuses what Python's int(x, 16) takes.
    "0x14", "+14", "1_4", "\uff11", "1" + "0" * 16,
])
def test_parse_net_stat_values_go_refuses(value: str) -> None:
    with pytest.raises(CollectorError):
        parse_net_stat("x", f"entries\n{value}\n")


def test_parse_net_stat_full_range() -> None:
    assert parse_net_stat("x", "entries\nffffffffffffffff\n").stats == {"entries": [2**64 - 1]}
