import pytest

from pyexporter.collectors.bcache import (
    dehumanize,
    dehumanize_signed,
    parse_priority_stats,
    parse_writeback_rate_debug,
)
from pyexporter.toolkit.collector import CollectorError


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("546\n", 546), ("1.1M", 1150976), ("20.4G", 21894266880), ("790.0k", 808960),
     ("2k", 2048), ("3Q", 0)],
)
def test_dehumanize(text: str, value: int) -> None:
    assert dehumanize(text) == value


def test_dehumanize_signed() -> None:
    assert dehumanize_signed("-427.5k") == -437748


@pytest.mark.parametrize("text", ["", "abc", "1.xk", "-5"])
def test_dehumanize_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        dehumanize(text)


def test_writeback_rate_debug() -> None:
    wrd = parse_writeback_rate_debug(
        "rate:\t\t1.1M/sec\ndirty:\t\t20.4G\ntarget:\t\t20.4G\nproportional:\t427.5k\n"
        "integral:\t790.0k\nchange:\t\t-321.5k/sec\nnext io:\t17ms\n"
    )
    assert (wrd.rate, wrd.target, wrd.proportional, wrd.integral, wrd.change) == (
        1150976, 21894266880, 437748, 808960, -329204,
    )
    assert parse_writeback_rate_debug("").rate == 0


def test_priority_stats() -> None:
    assert parse_priority_stats("Unused:\t\t99%\nMetadata:\t0%\nAverage:\t10473\n") == (99, 0)
    with pytest.raises(CollectorError):
        parse_priority_stats("Unused: lots\n")
