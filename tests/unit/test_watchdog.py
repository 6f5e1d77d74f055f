import pytest

from pyexporter.collectors.watchdog import parse_go_int, parse_watchdog
from pyexporter.toolkit.collector import CollectorError


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("60\n", 60), ("0x8380", 0x8380), ("010", 8), ("-3", -3), ("0b11", 3)],
)
def test_go_int(text: str, value: int) -> None:
    assert parse_go_int(text) == value


@pytest.mark.parametrize("text", ["", "abc", "0xZZ", "1.5", "09"])
def test_go_int_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_go_int(text)


def test_device() -> None:
    wd = parse_watchdog("watchdog0", {"timeout": "60", "identity": "Software Watchdog", "state": "active"})
    assert wd.numbers == {"timeout": 60}
    assert wd.texts == {"identity": "Software Watchdog", "state": "active"}


def test_device_without_files() -> None:
    wd = parse_watchdog("watchdog1", {})
    assert wd.numbers == {} and wd.texts == {}


def test_device_with_garbage_number() -> None:
    with pytest.raises(CollectorError):
        parse_watchdog("watchdog0", {"timeleft": "soon"})
