import pytest

from pyexporter.collectors.softirqs import parse_softirqs
from pyexporter.toolkit.collector import CollectorError


def test_known_vectors() -> None:
    text = "      CPU0  CPU1\n    HI:   7   1\n  TIMER: 10  20\nNEWONE: 5 5\n IRQ_POLL: 0 0\n"
    assert parse_softirqs(text) == {"HI": [7, 1], "TIMER": [10, 20], "IRQ_POLL": [0, 0]}


def test_header_only_and_short_rows() -> None:
    assert parse_softirqs("  CPU0\n") == {}
    assert parse_softirqs("  CPU0\n  HI:\n") == {}


@pytest.mark.parametrize("text", ["", "CPU0\nHI: -1\n", "CPU0\nRCU: 1.5\n", "CPU0\nSCHED: x\n"])
def test_malformed_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_softirqs(text)


# procfs's parseSoftirqs: strconv.ParseUint(count, 10, 64) for each CPU.
def test_counts_as_go() -> None:
    assert parse_softirqs("CPU0 CPU1\nHI: 18446744073709551615 007\n") == {"HI": [2**64 - 1, 7]}


@pytest.mark.parametrize("count", ["18446744073709551616", "+1", "1_0", "١"])
def test_counts_go_refuses(count: str) -> None:
    with pytest.raises(CollectorError, match=r"\(HI0\).*strconv\.ParseUint"):
        parse_softirqs(f"CPU0\nHI: {count}\n")
