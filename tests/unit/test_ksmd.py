import pytest

from pyexporter.collectors.ksmd import parse_ksmd_value
from pyexporter.toolkit.collector import CollectorError


def test_values() -> None:
    assert parse_ksmd_value("323\n", "full_scans") == 323
    assert parse_ksmd_value("-4096", "general_profit") == -4096
    assert parse_ksmd_value("18446744073709551615\n", "pages_shared") == 2**64 - 1


@pytest.mark.parametrize("text", [
    "", "abc", "1.5", "1 2",
    # node_exporter's readUintFromFile: strconv.ParseUint(strings.TrimSpace(text), 10, 64).
    "-1", "+1", "1_0", "0x1", "\u0661", "18446744073709551616", "\x1c1", "1\n2\n",
])
def test_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_ksmd_value(text, "run")


@pytest.mark.parametrize("text", ["1.5", "+-1", "-9223372036854775809", "1_0"])
def test_general_profit_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_ksmd_value(text, "general_profit")
