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
