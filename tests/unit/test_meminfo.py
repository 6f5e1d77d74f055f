import pytest

from pyexporter.collectors.meminfo import parse_meminfo
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
