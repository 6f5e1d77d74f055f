import pytest

from pyexporter.collectors.loadavg import parse_loadavg
from pyexporter.toolkit.collector import CollectorError


def test_loads() -> None:
    assert parse_loadavg("0.21 0.37 0.39 1/234 5678\n") == (0.21, 0.37, 0.39)
    # procfs: strconv.ParseFloat(field, 64), which takes hexadecimal floats and `_` between digits.
    assert parse_loadavg("0x1p-2 1_0.5 Inf 1/2 3") == (0.25, 10.5, float("inf"))


@pytest.mark.parametrize("text", ["\u0661 0 0", "+nan 0 0", "1e400 0 0", "0 _1 0", "0 0 0x1"])
def test_values_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_loadavg(text)
