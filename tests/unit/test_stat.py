import pytest

from pyexporter.collectors.stat import SOFTIRQ_VECTORS, KernelStat, parse_stat
from pyexporter.toolkit.collector import CollectorError


def test_parse_stat() -> None:
    text = (
        "cpu  1 2 3 4\nintr 99 1 2 3\nctxt 7\nbtime 1418183276\nprocesses 11\n"
        "procs_running 2\nprocs_blocked 1\nsoftirq 55 1 2 3 4 5 6 7 8 9 10\n"
    )
    stat = parse_stat(text)
    assert (stat.interrupts, stat.context_switches, stat.boot_time, stat.forks) == (99, 7, 1418183276, 11)
    assert (stat.procs_running, stat.procs_blocked) == (2, 1)
    assert stat.softirqs == dict(zip(SOFTIRQ_VECTORS, range(1, 11), strict=True))


def test_empty_and_truncated_lines_read_as_zero() -> None:
    assert parse_stat("") == KernelStat()
    assert parse_stat("ctxt\nbtime\n") == KernelStat()


@pytest.mark.parametrize(
    "text", ["ctxt x\n", "btime -\n", "softirq 5 1 2 3\n", "softirq 5 1 2 3 4 5 6 7 8 9 z\n"]
)
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_stat(text)
