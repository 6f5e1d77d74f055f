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


# procfs's xfs.ParseStats: the values of every line with strconv.ParseUint(x, 10, 32), the xpc
# line's with ParseUint(x, 10, 64); a line node_exporter does not report must parse too.
def test_values_as_go() -> None:
    stats = parse_xfs_stats("rw 4294967295 007\nxpc 18446744073709551615 0 0\n")
    assert stats["rw"] == {"write": 2**32 - 1, "read": 7}


@pytest.mark.parametrize("text", [
    "rw 4294967296 0\n", "rw +1 0\n", "rw -0 0\n", "rw 1_0 0\n", "rw ١ 0\n",
    "xpc 18446744073709551616 0 0\n", "push_ail 1 x\n", "qm 4294967296\n",
])
def test_values_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseUint"):
        parse_xfs_stats(text)
