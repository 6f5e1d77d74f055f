import pytest

from pyexporter.collectors.diskstats import _go_float, parse_diskstats, parse_udev_properties
from pyexporter.toolkit.collector import CollectorError


def test_field_counts_of_every_kernel_generation() -> None:
    text = (
        "   8  0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
        "   8 16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
        "   8 32 sdc 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
    )
    stats = parse_diskstats(text)
    assert [(s.major, s.minor, s.device, len(s.counters)) for s in stats] == [
        (8, 0, "sda", 11), (8, 16, "sdb", 15), (8, 32, "sdc", 17),
    ]
    assert stats[2].counters[-1] == 17


def test_fields_past_the_twentieth_are_ignored() -> None:
    (stat,) = parse_diskstats("8 0 sda " + " ".join(str(i) for i in range(1, 25)))
    assert stat.counters == tuple(range(1, 18))


@pytest.mark.parametrize("text", ["", "\n\n", "8 0", "8 0 sda 1 2 3 4 5 6 7 8 9 10"])
def test_empty_and_truncated_lines_are_skipped(text: str) -> None:
    assert parse_diskstats(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "8 0 sda 1 2 x 4 5 6 7 8 9 10 11",
        "a 0 sda 1 2 3 4 5 6 7 8 9 10 11",
        "8 0 sda -1 2 3 4 5 6 7 8 9 10 11",
        "8 0 sda 1 x",  # short lines are skipped only when what they hold parses
    ],
)
def test_garbage_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_diskstats(text)


def test_counter_beyond_uint64_is_an_error() -> None:
    with pytest.raises(CollectorError):
        parse_diskstats("8 0 sda " + " ".join(["1"] * 10 + [str(2**64)]))


def test_udev_properties() -> None:
    text = "S:disk/by-id/x\nE:ID_MODEL=Disk One\nE:ID_FS_VERSION=LVM2 001\nE:BROKEN\nE:A=b=c\nI:123\n"
    assert parse_udev_properties(text) == {"ID_MODEL": "Disk One", "ID_FS_VERSION": "LVM2 001", "A": "b=c"}
    assert parse_udev_properties("") == {}


@pytest.mark.parametrize(
    ("text", "value"), [("7200", 7200.0), ("0", 0.0), ("1e3", 1000.0), ("", None), (" 1", None), ("1_0", None),
                        ("fast", None)],
)
def test_ata_values_parse_as_go_does(text: str, value: float | None) -> None:
    assert _go_float(text) == value
