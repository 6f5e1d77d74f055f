import pytest

from pyexporter.collectors.edac import format_dimm_label, parse_count
from pyexporter.toolkit.collector import CollectorError


def test_count() -> None:
    assert parse_count("5\n", "ue_count") == 5


@pytest.mark.parametrize("text", ["", "-1", "x", "1.0"])
def test_count_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_count(text, "ce_count")


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("mc0csrow0channel0\n", "mc0_csrow0_channel0"),
        ("CPU#1_DIMM_A1", "CPU1_DIMM_A1"),
        ("", ""),
    ],
)
def test_dimm_label(raw: str, label: str) -> None:
    assert format_dimm_label(raw) == label
