import pytest

from pyexporter.collectors.thermal_zone import parse_int
from pyexporter.toolkit.collector import CollectorError


def test_parse_int() -> None:
    assert parse_int("42500\n", "temp") == 42500
    assert parse_int("-5", "temp") == -5


@pytest.mark.parametrize("text", ["", "abc", "1.5", "0x10"])
def test_parse_int_rejects_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_int(text, "temp")
