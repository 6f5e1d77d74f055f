import pytest

from pyexporter.collectors.watchdog import parse_watchdog
from pyexporter.toolkit.collector import CollectorError


# class_watchdog.go parses with procfs's ValueParser.PInt64, strconv.ParseInt(value, 0, 64), on the
# value util.SysReadFile trimmed.
@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("60", 60), ("0x8380", 0x8380), ("010", 8), ("-3", -3), ("0b11", 3), ("0o17", 15),
     ("1_000", 1000), ("9223372036854775807", 2**63 - 1)],
)
def test_numbers_as_go_parses_them(text: str, value: int) -> None:
    assert parse_watchdog("watchdog0", {"timeout": text}).numbers == {"timeout": value}


@pytest.mark.parametrize(
    "text", ["", "abc", "0xZZ", "1.5", "09", " 12 ", "1_", str(2**63), "١٢"],
)
def test_numbers_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"watchdog0: timeout: strconv\.ParseInt"):
        parse_watchdog("watchdog0", {"timeout": text})


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
