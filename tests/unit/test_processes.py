import pytest

from pyexporter.collectors.processes import ProcStat, parse_proc_stat
from pyexporter.toolkit.collector import CollectorError

STAT = "1 (systemd) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 1 0 29 109604864 2507\n"


def test_stat() -> None:
    assert parse_proc_stat(STAT) == ProcStat("S", 1)


def test_command_with_spaces_and_parentheses() -> None:
    text = "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 12 0 29 0 0\n"
    assert parse_proc_stat(text) == ProcStat("R", 12)


@pytest.mark.parametrize("text", ["", "1 systemd S 0", "1 (systemd) S 0 1 1", STAT.replace(" 20 0 1 ", " 20 0 x ")])
def test_malformed_stat(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_proc_stat(text)


# procfs's Fscan into an int reads num_threads as strconv.ParseInt(field, 0, 64) would.
@pytest.mark.parametrize(("field", "value"), [("+3", 3), ("0x10", 16), ("010", 8), ("1_0", 10)])
def test_num_threads_as_go(field: str, value: int) -> None:
    assert parse_proc_stat(STAT.replace(" 20 0 1 ", f" 20 0 {field} ")).num_threads == value


@pytest.mark.parametrize("field", ["١", "9223372036854775808", "1.0", "x"])
def test_num_threads_go_refuses(field: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
        parse_proc_stat(STAT.replace(" 20 0 1 ", f" 20 0 {field} "))
