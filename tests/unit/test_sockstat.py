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
