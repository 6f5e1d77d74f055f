import pytest

from pyexporter.collectors.xfs import parse_xfs_stats
from pyexporter.toolkit.collector import CollectorError


def test_parse_xfs_stats() -> None:
    stats = parse_xfs_stats("rw 28 5\nvnodes 4 0 0 0 1 1 1\nxpc 1 2 3\npush_ail 1 2\n")
    # The kernel prints write calls first.
    assert stats["rw"] == {"write": 28, "read": 5}
    assert stats["vnodes"]["active"] == 4 and stats["vnodes"]["free"] == 0
    assert stats["ig"]["attempts"] == 0


@pytest.mark.parametrize("text", ["rw 1\n", "ig 1 2 3\n", "dir 1 2 3 x\n", "vnodes 1 2 3 4 5 6\n"])
def test_malformed_xfs_stats(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_xfs_stats(text)
