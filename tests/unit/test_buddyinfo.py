import pytest

from pyexporter.collectors.buddyinfo import BuddyZone, parse_buddyinfo
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError


def test_zones() -> None:
    text = "Node 0, zone      DMA      1      0      3 \nNode 0, zone   Normal   4381   1093    185\n"
    assert parse_buddyinfo(text) == [
        BuddyZone("0", "DMA", (1.0, 0.0, 3.0)),
        BuddyZone("0", "Normal", (4381.0, 1093.0, 185.0)),
    ]


def test_empty_is_no_zones() -> None:
    assert parse_buddyinfo("") == []


@pytest.mark.parametrize(
    "text",
    [
        "Node 0, zone\n",
        "Node 0, zone DMA 1 2\nNode 0, zone Normal 1 2 3\n",
        "Node 0, zone DMA 1 x 3\n",
    ],
)
def test_malformed_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_buddyinfo(text)


@pytest.mark.parametrize("value", ["1e400", "٣", "+nan", "-nan"])
def test_values_are_go_parse_float(value: str) -> None:
    # procfs reads each count with strconv.ParseFloat, which refuses what Python's float() takes.
    with pytest.raises(NumberError):
        parse_buddyinfo(f"Node 0, zone DMA 1 {value} 3\n")


def test_go_float_forms_are_accepted() -> None:
    assert parse_buddyinfo("Node 0, zone DMA 0x1p4 1_0\n") == [BuddyZone("0", "DMA", (16.0, 10.0))]


@pytest.mark.parametrize(
    "text",
    [
        "Node 0, zone DMA 1 2 3\n\n",
        "Node 0, zone DMA 1 2 3\n\nNode 0, zone Normal 4 5 6\n",
        "Node 0, zone DMA 1 2 3\n \t \n",
        "\nNode 0, zone DMA 1 2 3\n",
    ],
)
def test_blank_lines_are_refused_as_procfs(text: str) -> None:
    # parseBuddyInfo refuses any line of fewer than four fields, one of none too.
    with pytest.raises(CollectorError):
        parse_buddyinfo(text)


def test_one_trailing_comma_is_cut_tabs_separate() -> None:
    # strings.TrimSuffix(part, ","): a second comma stays part of the label.
    assert parse_buddyinfo("Node\t0,,\tzone\tDMA,\t1\t2\n") == [BuddyZone("0,", "DMA", (1.0, 2.0))]
