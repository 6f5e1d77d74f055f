import pytest

from pyexporter.collectors.btrfs import CommitStats, layout_ratio, parse_commit_stats
from pyexporter.toolkit.collector import CollectorError


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
