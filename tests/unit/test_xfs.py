import pytest

from pyexporter.collectors.xfs import parse_xfs_stats
from pyexporter.toolkit.collector import CollectorError


def test_parse_xfs_stats() -> None:
    stats = parse_xfs_stats("rw 28 5\nvnodes 4 0 0 0 1 1 1\nxpc 1 2 3\npush_ail 1 2 3 4 5 6 7 8 9 10\n")
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


# xfs.ParseStats (procfs xfs/parse_test.go TestParseStats): each label it knows has its count of
# values; a wrong count fails, whether node_exporter reports the line or not.
_COUNTS = {
    "extent_alloc": [4], "abt": [4], "blk_map": [7], "bmbt": [4], "dir": [4], "trans": [3], "ig": [7],
    "log": [5], "rw": [2], "attr": [4], "icluster": [3], "vnodes": [7, 8], "buf": [9], "xpc": [3],
    "xstrat": [2], "push_ail": [10], "debug": [1], "qm": [8, 9], "abtb2": [15], "abtc2": [15],
    "bmbt2": [15], "ibt2": [15],
}


@pytest.mark.parametrize(("label", "count"), [(k, n) for k, ns in _COUNTS.items() for n in ns])
def test_known_label_with_its_count(label: str, count: int) -> None:
    parse_xfs_stats(f"{label} " + " ".join(str(i) for i in range(1, count + 1)) + "\n")


@pytest.mark.parametrize(("label", "count"), [
    (k, n) for k, ns in _COUNTS.items() for n in (min(ns) - 1, max(ns) + 1) if n > 0
])
def test_known_label_with_another_count_fails(label: str, count: int) -> None:
    with pytest.raises(CollectorError, match=label):
        parse_xfs_stats(f"{label} " + " ".join(str(i) for i in range(1, count + 1)) + "\n")


def test_short_lines_and_unknown_labels_are_ignored() -> None:
    """ParseStats: `short or empty lines and unknown labels ignored` (rmapbt, refcntbt, fibt2, ...)."""
    stats = parse_xfs_stats("one\n\ntwo 1 2 3\nrmapbt 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\nfibt2 1\n")
    assert stats["rw"] == {"write": 0, "read": 0}


def test_vnodes_free_when_present() -> None:
    """vnodeStats: 8 values carry `free`; 7 leave it 0."""
    assert parse_xfs_stats("vnodes 1 2 3 4 5 6 7 8\n")["vnodes"]["free"] == 8
    assert parse_xfs_stats("vnodes 1 2 3 4 5 6 7\n")["vnodes"]["free"] == 0
