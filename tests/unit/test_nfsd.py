import pytest

from pyexporter.collectors.nfsd import parse_server_rpc_stats
from pyexporter.toolkit.collector import CollectorError


def test_parse_server_stats() -> None:
    stats = parse_server_rpc_stats(
        "rc 0 6 18622\nth 8 0 0.000 0.000\nrpc 18628 3 1 2 0\n"
        "proc4ops 39 " + " ".join(str(i) for i in range(39)) + "\nwdeleg_getattr 15\nfuture 1 2\n"
    )
    assert (stats.rc_hits, stats.rc_misses, stats.rc_nocache) == (0, 6, 18622)
    assert stats.threads == 8
    assert (stats.rpcs, stats.bad_fmt, stats.bad_auth, stats.bad_client) == (18628, 1, 2, 0)
    assert stats.v4ops["Access"] == 3 and stats.v4ops["Write"] == 38
    # 39-operation kernels have no RELEASE_LOCKOWNER.
    assert stats.v4ops["RelLockOwner"] == 0
    assert stats.wdeleg_getattr == 15


@pytest.mark.parametrize(
    "text",
    ["rc 1 2\n", "th\n", "ra 1 2 3\n", "proc4 3 1 2 3\n", "proc4ops 2 1 2\n", "io x y\n"],
)
def test_malformed_server_stats(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_server_rpc_stats(text)


@pytest.mark.parametrize("text", ["rc -1 2 3\n", "io +1 2\n", "th 1_0 0 0.000\n", "wdeleg_getattr \u0661\n"])
def test_server_counters_go_refuses(text: str) -> None:
    # procfs: util.ParseUint64s, strconv.ParseUint(x, 10, 64); of `th`, only the first two fields.
    with pytest.raises(CollectorError):
        parse_server_rpc_stats(text)


def _ops(count: int, values: dict[int, int]) -> str:
    return f"proc4ops {count} " + " ".join(str(values.get(i, 0)) for i in range(count))


@pytest.mark.parametrize("count", [39, 40, 59, 72])
def test_proc4ops_every_kernel_width(count: int) -> None:
    """procfs parseV4Ops (TestNewNFSdServerRPCStats "proc4ops 39/40/59/72"): at least 39
    operations; the 40th is RELEASE_LOCKOWNER (0 when absent); later ones are not exported."""
    stats = parse_server_rpc_stats(
        "rc 0 6 18622\nfh 276 0 0 0 0\nio 157286400 0\nth 8 0 0.000 0.000 0.000\n"
        "ra 32 0 0 0 0 0 0 0 0 0 0 7\nnet 18628 0 18628 6\nrpc 18628 0 1 2 3\n"
        "proc2 18 " + " ".join(["0"] * 18) + "\nproc3 22 " + " ".join(["1"] * 22) + "\n"
        "proc4 2 2 10853\n" + _ops(count, {3: 1098, 38: 39, 39: 5, 60: 9}) + "\nwdeleg_getattr 16\n"
    )
    assert stats.v4ops["Access"] == 1098 and stats.v4ops["Write"] == 39
    assert stats.v4ops["RelLockOwner"] == (5 if count > 39 else 0)
    assert len(stats.v4ops) == 40
    assert (stats.fh_stale, stats.ra_cache_size, stats.ra_not_found) == (276, 32, 7)
    assert stats.wdeleg_getattr == 16


def test_missing_lines_are_zero() -> None:
    """procfs ParseServerRPCStats: a line the kernel no longer writes (`ra`, gone since 5.x;
    `proc2` without NFSv2) leaves its fields zero."""
    stats = parse_server_rpc_stats("rc 1 2 3\nth 4 0\nproc3 22 " + " ".join(["1"] * 22) + "\n")
    assert (stats.ra_cache_size, stats.ra_not_found, stats.fh_stale) == (0, 0, 0)
    assert set(stats.v2.values()) == {0}
    assert stats.v3["Commit"] == 1


@pytest.mark.parametrize("text", ["invalid\n", "proc4ops 38 " + " ".join(["0"] * 38) + "\n", "fh 1 2 3 4\n"])
def test_go_refuses(text: str) -> None:
    """procfs ParseServerRPCStats: a lone word, fewer than 39 v4 operations, a short fh line."""
    with pytest.raises(CollectorError):
        parse_server_rpc_stats(text)
