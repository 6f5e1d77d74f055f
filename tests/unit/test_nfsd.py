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
