import pytest

from pyexporter.collectors.pressure import PSILine, parse_psi
from pyexporter.toolkit.collector import CollectorError


def test_some_and_full() -> None:
    stats = parse_psi(
        "some avg10=0.18 avg60=0.34 avg300=0.10 total=159886802\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    )
    assert stats.some == PSILine(0.18, 0.34, 0.10, 159886802)
    assert stats.full == PSILine(0.0, 0.0, 0.0, 0)


def test_irq_has_only_full_and_no_newline() -> None:
    stats = parse_psi("full avg10=0.00 avg60=0.00 avg300=0.00 total=8494")
    assert stats.some is None
    assert stats.full is not None and stats.full.total == 8494


def test_empty_and_unknown_lines_are_ignored() -> None:
    assert parse_psi("").some is None
    assert parse_psi("other avg10=1 total=2\n").full is None


@pytest.mark.parametrize(
    "text",
    [
        "some avg10=0.18 avg60=0.34\n",
        "some avg10=x avg60=0.34 avg300=0.10 total=1\n",
        "full avg10=0.1 avg60=0.3 avg300=0.1 total=-5\n",
        "some garbage\n",
        "some avg10=0.1 avg60=0.2 avg300=0.3 total=١٢\n",  # `%d` finds no digit
        "some avg10=0.1 avg60=0.2 avg300=0.3 total=+5\n",  # nor a sign, into an unsigned total
    ],
)
def test_malformed_lines(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_psi(text)


# Sscanf `%f` reads the averages as strconv.ParseFloat, `%d` the uint64 total as strconv.ParseUint.
@pytest.mark.parametrize(
    ("field", "text"),
    [("avg10", "1e400"), ("avg10", "١.٥"), ("avg60", "+nan"), ("avg300", "0x1"), ("total", "18446744073709551616")],
)
def test_numbers_go_refuses(field: str, text: str) -> None:
    values = {"avg10": "0.1", "avg60": "0.2", "avg300": "0.3", "total": "4"}
    values[field] = text
    line = "some " + " ".join(f"{k}={v}" for k, v in values.items()) + "\n"
    with pytest.raises(CollectorError, match=r"strconv\.Parse(Float|Uint)"):
        parse_psi(line)


def test_numbers_go_accepts() -> None:
    stats = parse_psi("full avg10=1_0.5 avg60=0x1p-2 avg300=Inf total=18446744073709551615\n")
    assert stats.full == PSILine(10.5, 0.25, float("inf"), 2**64 - 1)


def test_what_follows_the_total_is_not_read() -> None:
    """Sscanf's `total=%d` takes the digits and leaves the rest of the line: a field more, or any
    text after the digits, does not fail the line."""
    stats = parse_psi(
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=14036781 42\n"
        "full avg10=0.1 avg60=0.2 avg300=0.3 total=1_000\n"
    )
    assert stats.some == PSILine(0.0, 0.0, 0.0, 14036781)
    assert stats.full == PSILine(0.1, 0.2, 0.3, 1)
