import pytest

from pyexporter.collectors.infiniband import parse_counter, parse_rate, parse_state
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError


def test_parsers() -> None:
    assert parse_state("4: ACTIVE") == 4
    assert parse_rate("40 Gb/sec (4X QDR)") == 5e9
    assert parse_rate("2.5 Gb/sec (1X SDR)") == 312_500_000
    assert parse_counter("N/A (no PMA)") is None
    assert parse_counter("12") == 12


@pytest.mark.parametrize("text", [
    "", "ACTIVE",
    # sysfs's parseState: exactly one colon, the id a base-10 uint32.
    "4: ACTIVE: more", "+4: ACTIVE", "0x4: ACTIVE", "4294967296: ACTIVE", "\u0664: ACTIVE",
])
def test_bad_state(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_state(text)


@pytest.mark.parametrize("text", [
    "fast",
    # sysfs's parseRate takes the text up to the first space as a float32.
    "40Gb/sec (4X QDR)", "1e39 Gb/sec", "-1e39 Gb/sec", " 40 Gb/sec",
])
def test_bad_rate(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_rate(text)


def test_rate_beyond_uint64_as_go_converts_it() -> None:
    # ParseFloat(x, 32) takes nan and inf; uint64 of them, of anything from 2**64 up and of
    # anything below -2**63 is 2**63 on amd64; a small negative rate wraps around.
    for text in ("nan Gb/sec", "-Inf Gb/sec", "+infinity Gb/sec", "1e38 Gb/sec", "-1e30 Gb/sec"):
        assert parse_rate(text) == 2.0**63
    assert parse_rate("-1 Gb/sec") == float(2**64 - 125_000_000)
    assert parse_rate("-0.5 Gb/sec") == float(2**64 - 62_500_000)


def test_rate_as_go_computes_it() -> None:
    # strconv.ParseFloat(x, 32), then uint64(value * 125000000).
    assert parse_rate("0x1p4 Gb/sec") == 2e9
    # float32(0.3) * 125e6 = 37500001.49..., where float64 would give 37500000.
    assert parse_rate("0.3 Gb/sec") == 37_500_001
    assert parse_rate("1_0 Gb/sec") == 1.25e9


def test_counter_as_go_parses_it() -> None:
    # util.ValueParser.PUInt64: strconv.ParseUint(text, 0, 64).
    assert parse_counter("0x10") == 16
    assert parse_counter("010") == 8
    assert parse_counter("18446744073709551615") == 2**64 - 1


@pytest.mark.parametrize("text", ["-1", "1.5", "garbage", "18446744073709551616", "N/A"])
def test_counter_go_refuses_fails(text: str) -> None:
    # Only `N/A (no PMA)` marks a counter the port lacks; anything else fails, as in sysfs.
    with pytest.raises(NumberError):
        parse_counter(text)


@pytest.mark.parametrize(("text", "want"), [
    ("0 GB/sec", 0), ("2.5 Gb/sec (1X SDR)", 312_500_000), ("500 Gb/sec (4X HDR)", 62_500_000_000),
    ("100 Gb/sec (4X EDR)\n", 12_500_000_000),
])
def test_rate_cases_of_sysfs(text: str, want: int) -> None:
    # sysfs TestParseSlowRate (parseRate), plus the file's own newline.
    assert parse_rate(text) == want


def test_state_with_newline() -> None:
    # parseState reads the whole file, newline included (os.ReadFile, then TrimSpace of each part).
    assert parse_state("5: LinkUp\n") == 5
