import pytest

from pyexporter.collectors.processes import ProcStat, parse_proc_stat, parse_uint
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


def test_uint() -> None:
    assert parse_uint("7801\n", "threads-max") == 7801
    with pytest.raises(CollectorError):
        parse_uint("-1", "pid_max")
    with pytest.raises(CollectorError):
        parse_uint("", "pid_max")
