import re

import pytest

from pyexporter.collectors.meminfo import meminfo_layout, meminfo_rows, meminfo_shape, parse_meminfo
from pyexporter.toolkit.collector import CollectorError


def test_units_and_renaming() -> None:
    text = "MemTotal:  2 kB\nActive(anon):  1 kB\nInactive(file): 3 kB\nHugePages_Total:  7\n"
    assert parse_meminfo(text) == {
        "MemTotal_bytes": 2048.0,
        "Active_anon_bytes": 1024.0,
        "Inactive_file_bytes": 3072.0,
        "HugePages_Total": 7.0,
    }


def test_unknown_fields_are_kept_and_blank_lines_skipped() -> None:
    assert parse_meminfo("\nZswapped:   5 kB\n\n") == {"Zswapped_bytes": 5120.0}


def test_empty() -> None:
    assert parse_meminfo("") == {}


@pytest.mark.parametrize(
    "text", ["MemTotal:\n", "MemTotal: lots kB\n", "MemTotal: 1 kB extra\n", "MemTotal 1 kB\n"]
)
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_meminfo(text)


def test_values_as_go_parse_float_reads_them() -> None:
    # parseMemInfo: strconv.ParseFloat(value, 64), which takes hexadecimal floats and `_`.
    assert parse_meminfo("A: 0x1p4 kB\nB: 1_0\n") == {"A_bytes": 16384.0, "B": 10.0}


@pytest.mark.parametrize("value", ["\u0661", "+nan", "1e400", "1__0", "0x10"])
def test_values_go_refuses(value: str) -> None:
    with pytest.raises(CollectorError):
        parse_meminfo(f"MemTotal: {value} kB\n")


def test_only_lines_with_a_unit_are_scaled_whatever_the_key() -> None:
    # The batch parse keeps each line's own scale: a bare key that happens to end like a scaled
    # one is not scaled, and parentheses anywhere in a key become `_`.
    text = "Odd_bytes: 5\nShmem(x)Pmd(y): 2 kB\nActive(file): 1 kB\n"
    assert parse_meminfo(text) == {"Odd_bytes": 5.0, "Shmem_x)Pmd(y_bytes": 2048.0, "Active_file_bytes": 1024.0}


def test_a_repeated_key_keeps_its_last_value_at_the_place_of_its_first() -> None:
    assert list(parse_meminfo("A: 1\nB: 2\nA: 3\n").items()) == [("A", 3.0), ("B", 2.0)]


@pytest.mark.parametrize(
    ("text", "line"),
    [("A: 1\nB 2\nC: x\n", "B 2"), ("A: 1\n\nB: 1 kB x\nC:\n", "B: 1 kB x"), ("A: 1\r B:\n", " B:")],
)
def test_the_first_malformed_line_is_named(text: str, line: str) -> None:
    # The layout is worked out from the lines' first fields and field counts; when it is refused,
    # the lines are walked again to name the first one at fault, before any value is parsed.
    with pytest.raises(CollectorError, match=re.escape(repr(line))):
        parse_meminfo(text)


def test_layout_from_first_fields_and_field_counts() -> None:
    rows = meminfo_rows("\nA(b):  1 kB\nHugePages_Total: 2\n\n")
    assert rows == [["A(b):", "1", "kB"], ["HugePages_Total:", "2"]]
    shape = meminfo_shape(rows)
    assert shape == (("A(b):", "HugePages_Total:"), (3, 2))
    assert meminfo_layout(shape) == [(0, "A_b_bytes", 1024), (1, "HugePages_Total", 1)]
    assert meminfo_layout((("A:",), (4,))) is None
    assert meminfo_layout((("A",), (2,))) is None
