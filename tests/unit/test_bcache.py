from pathlib import Path

import pytest

from pyexporter.collectors.bcache import (
    _value,
    dehumanize,
    dehumanize_signed,
    parse_priority_stats,
    parse_writeback_rate_debug,
)
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("546", 546), ("1.1M", 1150976), ("20.4G", 21894266880), ("790.0k", 808960),
     ("2k", 2048), ("3Q", 0),
     # parsePseudoFloat reads the parts around the first `.` only, each with ParseFloat.
     ("1.1.7M", 1150976), ("1_0", 10), ("0x1p4", 16), ("1e3", 1000)],
)
def test_dehumanize(text: str, value: int) -> None:
    assert dehumanize(text) == value


def test_dehumanize_signed() -> None:
    assert dehumanize_signed("-427.5k") == -437748


@pytest.mark.parametrize("text", ["", "abc", "1.xk", "-5", "546\n", " 5", "1e400", "٣", "+nan", "infk", "-1.0k"])
def test_dehumanize_garbage(text: str) -> None:
    # procfs hands the text to strconv.ParseFloat untrimmed: blanks, non-ASCII digits, overflow
    # and signed NaN are refused (Python's float() took them); negative and non-finite values,
    # which Go converts to uint64 in no defined way, are refused too.
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
    assert (wrd.dirty, wrd.next_io_ms) == (21894266880, 17)


@pytest.mark.parametrize("line", ["dirty:\t\tlots\n", "next io:\t17.5ms\n", "next io:\t1_7ms\n"])
def test_writeback_rate_debug_lines_procfs_parses_must_parse(line: str) -> None:
    # procfs parses `dirty` (dehumanize) and `next io` (strconv.ParseInt) though node_exporter
    # exports neither; a malformed one fails the collector there, so here too.
    with pytest.raises(CollectorError):
        parse_writeback_rate_debug(line)


def test_value_drops_only_the_trailing_newline(tmp_path: Path) -> None:
    # procfs's readValue cuts the last byte (the newline) and dehumanizes the rest untrimmed.
    (tmp_path / "a").write_text("546\n")
    (tmp_path / "b").write_text(" 546\n")
    (tmp_path / "c").write_text("546\n\n")
    assert _value(str(tmp_path), "a") == 546
    for name in ("b", "c"):
        with pytest.raises(CollectorError, match="failed to parse"):
            _value(str(tmp_path), name)


def test_priority_stats() -> None:
    assert parse_priority_stats("Unused:\t\t99%\nMetadata:\t0%\nAverage:\t10473\n") == (99, 0)
    with pytest.raises(CollectorError):
        parse_priority_stats("Unused: lots\n")


@pytest.mark.parametrize("value", ["-1%", "+5%", "1_0%", "٣%"])
def test_priority_stats_are_go_parse_uint(value: str) -> None:
    with pytest.raises(NumberError):
        parse_priority_stats(f"Unused:\t\t{value}\n")
