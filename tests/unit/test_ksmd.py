import pytest

from pyexporter.collectors.ksmd import parse_ksmd_value
from pyexporter.toolkit.collector import CollectorError


def test_values() -> None:
    assert parse_ksmd_value("323\n", "full_scans") == 323
    assert parse_ksmd_value("-4096", "general_profit") == -4096


@pytest.mark.parametrize("text", ["", "abc", "1.5", "1 2"])
def test_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_ksmd_value(text, "run")
