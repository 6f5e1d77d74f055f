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
