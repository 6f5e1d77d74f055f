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
    ],
)
def test_malformed_lines(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_psi(text)
