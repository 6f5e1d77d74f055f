import pytest

from pyexporter.collectors.powersupplyclass import parse_power_supply
from pyexporter.toolkit.collector import CollectorError


def test_parse_power_supply() -> None:
    supply = parse_power_supply("BAT0", {"capacity": "80", "status": "Full", "alarm": "x", "temp": "0x10"})
    assert supply.numbers == {"capacity": 80, "temp": 16}
    assert supply.text == {"status": "Full"}
    assert parse_power_supply("AC", {}).numbers == {}


@pytest.mark.parametrize("text", ["", "abc", "1.5"])
def test_parse_power_supply_rejects_bad_numbers(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_power_supply("BAT0", {"energy_now": text})



# class_power_supply.go parses with procfs's ValueParser.PInt64, strconv.ParseInt(value, 0, 64).
@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("-1500000", -1500000), ("+7", 7), ("010", 8), ("0x1F", 31), ("0X1f", 31), ("0o17", 15),
    ("0b101", 5), ("1_000", 1000), ("0x_1f", 31), ("-0x10", -16), ("9223372036854775807", 2**63 - 1),
])
def test_parse_power_supply_numbers_as_go(text: str, value: int) -> None:
    assert parse_power_supply("BAT0", {"capacity": text}).numbers == {"capacity": value}


@pytest.mark.parametrize("text", ["08", "0x", "1_", "_1", "0x-1f", "9223372036854775808", "١٢", "1 2"])
def test_parse_power_supply_refuses_what_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
        parse_power_supply("BAT0", {"capacity": text})
