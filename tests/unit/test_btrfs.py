from pathlib import Path

import pytest

from pyexporter.collectors.btrfs import CommitStats, _value, layout_ratio, parse_commit_stats
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError


def test_commit_stats() -> None:
    text = "commits 5\nlast_commit_ms 10\nmax_commit_ms 20\ntotal_commit_ms 30\nnew_key 1\n"
    assert parse_commit_stats(text) == CommitStats(5, 10, 20, 30)
    assert parse_commit_stats("") == CommitStats()


@pytest.mark.parametrize("text", ["commits", "commits x", "a b c"])
def test_commit_stats_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_commit_stats(text)


def test_layout_ratio() -> None:
    assert layout_ratio("raid1", 2) == 2
    assert layout_ratio("raid5", 4) == 4 / 3
    assert layout_ratio("raid6", 4) == 2
    assert layout_ratio("weird", 4) == 0
    # calcRatio's float division as Go does it: no exception for one raid5 / two raid6 devices.
    assert layout_ratio("raid5", 1) == float("inf")
    assert layout_ratio("raid6", 2) == float("inf")
    assert layout_ratio("raid6", 1) == -1


@pytest.mark.parametrize("value", ["-5", "+5", "5_0", "٥", "18446744073709551616"])
def test_commit_stats_values_are_go_parse_uint(value: str) -> None:
    # procfs reads commit_stats with strconv.ParseUint(x, 10, 64) and fails on an error.
    with pytest.raises(NumberError):
        parse_commit_stats(f"commits {value}\n")


@pytest.mark.parametrize(
    ("text", "value"),
    [("4096\n", 4096), (" 4096 \n", 4096), ("-5\n", 0), ("+5\n", 0), ("5_0\n", 0), ("٥\n", 0),
     ("garbage\n", 0), ("", 0), ("18446744073709551616\n", 2**64 - 1)],
)
def test_attribute_values_are_parse_uint_with_the_error_ignored(tmp_path: Path, text: str, value: int) -> None:
    # procfs's readValue: `v, _ = strconv.ParseUint(s, 10, 64)`: 0 on a syntax error, the
    # largest uint64 on a range error.
    (tmp_path / "size").write_text(text)
    assert _value(str(tmp_path / "size")) == value
    assert _value(str(tmp_path / "absent")) == 0
