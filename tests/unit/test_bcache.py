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


@pytest.mark.parametrize("text", ["", "abc", "1.xk", "546\n", "546\r", " 5", "1e400", "٣", "+nan", "5é"])
def test_dehumanize_garbage(text: str) -> None:
    # procfs hands the text to strconv.ParseFloat untrimmed: blanks, non-ASCII digits, overflow
    # and signed NaN are refused (Python's float() took them). `5é` ends in a byte past '9', a
    # unit suffix to dehumanize, which cuts that one byte and leaves half a character to parse.
    with pytest.raises(CollectorError):
        dehumanize(text)


# Each value printed by a Go program running procfs's dehumanize and dehumanizeSigned on it.
@pytest.mark.parametrize(("text", "value"), [
    ("-1", 2**64 - 1), ("-5", 2**64 - 5), ("-1.0k", 2**64 - 1024), ("-1.5k", 18446744073709551092),
    ("1e19", 10**19), ("99999999999999999999999", 2**63), ("infk", 2**63), ("Infinityk", 2**63),
    ("1e308Y", 2**63),
    # An unknown unit multiplies by 0, and infinity times 0 is NaN.
    ("nanQ", 2**63),
    # A byte that is not UTF-8 is one byte, and an unknown unit.
    ("5\udcff", 0),
])
def test_dehumanize_converts_to_uint64_as_go_on_amd64(text: str, value: int) -> None:
    assert dehumanize(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("--5", 5), ("-0", 0), ("1e19", 10**19 - 2**64), ("-1e19", 2**64 - 10**19), ("-infk", -(2**63)),
])
def test_dehumanize_signed_wraps_as_go(text: str, value: int) -> None:
    assert dehumanize_signed(text) == value


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
    (tmp_path / "d").write_bytes(b"546\r\n")
    assert _value(str(tmp_path), "a") == 546
    for name in ("b", "c", "d"):
        with pytest.raises(CollectorError, match="failed to parse"):
            _value(str(tmp_path), name)


def test_value_cuts_the_last_byte_whatever_it_is(tmp_path: Path) -> None:
    # A file without its newline loses its last digit, as it does in Go; a lone byte leaves
    # nothing, dehumanize's "zero-length reply".
    (tmp_path / "a").write_bytes(b"54")
    (tmp_path / "b").write_bytes(b"5")
    assert _value(str(tmp_path), "a") == 5
    with pytest.raises(CollectorError, match="zero-length reply"):
        _value(str(tmp_path), "b")


def test_value_missing_is_zero_other_errors_fail(tmp_path: Path) -> None:
    # readValue: a file that does not exist is 0 and no error; anything else unreadable fails.
    assert _value(str(tmp_path), "absent") == 0
    assert _value(str(tmp_path / "absent_dir"), "absent") == 0
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "a_file").write_text("1\n")
    with pytest.raises(CollectorError, match="failed to read"):
        _value(str(tmp_path), "a_dir")
    with pytest.raises(CollectorError, match="failed to read"):
        _value(str(tmp_path / "a_file"), "x")  # ENOTDIR is not "does not exist"


def test_empty_value_file_fails(tmp_path: Path) -> None:
    # procfs slices an empty reply to length -1 and panics; the collector fails instead.
    (tmp_path / "a").write_bytes(b"")
    with pytest.raises(CollectorError, match="empty"):
        _value(str(tmp_path), "a")


def test_lines_are_bufio_scanner_lines() -> None:
    # ScanLines drops one `\r` before each newline; a `\r` elsewhere stays in the line.
    wrd = parse_writeback_rate_debug("rate:\t\t1.1M/sec\r\ntarget:\t2k\r\n")
    assert (wrd.rate, wrd.target) == (1150976, 2048)
    with pytest.raises(CollectorError):
        parse_writeback_rate_debug("target:\t2k\rX\n")


def test_priority_stats() -> None:
    assert parse_priority_stats("Unused:\t\t99%\nMetadata:\t0%\nAverage:\t10473\n") == (99, 0)
    with pytest.raises(CollectorError):
        parse_priority_stats("Unused: lots\n")


@pytest.mark.parametrize("value", ["-1%", "+5%", "1_0%", "٣%"])
def test_priority_stats_are_go_parse_uint(value: str) -> None:
    with pytest.raises(NumberError):
        parse_priority_stats(f"Unused:\t\t{value}\n")
