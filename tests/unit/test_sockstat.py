import pytest

from pyexporter.collectors.sockstat import parse_sockstat
from pyexporter.toolkit.collector import CollectorError


def test_parse_sockstat() -> None:
    stat = parse_sockstat("sockets: used 5\nTCP: inuse 4 orphan 0 tw 4 alloc 17 mem 1 extra 9\nRAW6: tw 2\n")
    assert stat.used == 5
    assert [(p.protocol, p.values) for p in stat.protocols] == [
        ("TCP", {"inuse": 4, "orphan": 0, "tw": 4, "alloc": 17, "mem": 1}),
        ("RAW6", {"inuse": 0, "tw": 2}),
    ]
    assert parse_sockstat("") == (None, [])


@pytest.mark.parametrize("text", ["TCP:\n", "TCP: inuse\n", "TCP: inuse x\n", "TCP: inuse 1 mem\n"])
def test_parse_sockstat_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_sockstat(text)


# procfs's parseSockstatKVs reads each value with util.ValueParser.Int: strconv.ParseInt(value, 0, 64).
@pytest.mark.parametrize(("text", "value"), [("010", 8), ("0x10", 16), ("1_000", 1000), ("-3", -3), ("+3", 3)])
def test_values_as_go(text: str, value: int) -> None:
    assert parse_sockstat(f"TCP: inuse {text}\n").protocols[0].values == {"inuse": value}


@pytest.mark.parametrize("text", ["08", "١", "9223372036854775808", "1_", "1.0"])
def test_values_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
        parse_sockstat(f"TCP: inuse {text}\n")


@pytest.mark.parametrize(
    "text",
    [
        "sockets: used 5\n\n",
        "sockets: used 5\n\nTCP: inuse 4\n",
        "sockets: used 5\n \n",
        "TCP:  inuse 4\n",
        "TCP:\tinuse 4\n",
        "TCP: inuse 4 \n",
    ],
)
def test_blank_lines_and_other_separators_are_refused_as_procfs(text: str) -> None:
    # parseSockstat splits each line with strings.Split(line, " "): a blank line is one empty
    # field, a doubled or trailing space an empty key or value, and a tab no separator at all.
    with pytest.raises(CollectorError):
        parse_sockstat(text)
