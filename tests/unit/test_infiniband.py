import pytest

from pyexporter.collectors.infiniband import parse_counter, parse_rate, parse_state
from pyexporter.toolkit.collector import CollectorError


def test_parsers() -> None:
    assert parse_state("4: ACTIVE") == 4
    assert parse_rate("40 Gb/sec (4X QDR)") == 5e9
    assert parse_rate("2.5 Gb/sec (1X SDR)") == 312_500_000
    assert parse_counter("N/A (no PMA)") is None
    assert parse_counter("12") == 12


@pytest.mark.parametrize("text", ["", "ACTIVE"])
def test_bad_state(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_state(text)


def test_bad_rate() -> None:
    with pytest.raises(CollectorError):
        parse_rate("fast")
