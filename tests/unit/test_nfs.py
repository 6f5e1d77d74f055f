import pytest

from pyexporter.collectors.nfs import parse_client_rpc_stats
from pyexporter.toolkit.collector import CollectorError


def test_parse_client_stats() -> None:
    stats = parse_client_rpc_stats(
        "net 70 70 69 45\nrpc 1218785755 374636 1218815394\n"
        "proc3 22 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21\n"
        "proc4 2 5 6\n"
    )
    assert (stats.udp, stats.tcp, stats.tcp_connections) == (70, 69, 45)
    assert (stats.rpcs, stats.retransmissions, stats.auth_refreshes) == (
        1218785755, 374636, 1218815394,
    )
    assert stats.v3["GetAttr"] == 1 and stats.v3["Commit"] == 21
    # Short v4 lines are padded with zeros up to every procedure node_exporter knows.
    assert stats.v4["Null"] == 5 and stats.v4["Read"] == 6 and stats.v4["Clone"] == 0
    assert len(stats.v4) == 59
    assert stats.v2["Null"] == 0


def test_empty_file_is_all_zero() -> None:
    stats = parse_client_rpc_stats("")
    assert stats.rpcs == 0 and stats.v3["Read"] == 0


@pytest.mark.parametrize(
    "text",
    ["net\n", "net 1 2 3\n", "rpc a b c\n", "proc3 22 1 2 3\n", "proc2 3 1 2 3\n"],
)
def test_malformed_client_stats(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_client_rpc_stats(text)


@pytest.mark.parametrize("text", ["rpc -1 2 3\n", "rpc +1 2 3\n", "rpc 1_0 2 3\n", "net 1 2 3 18446744073709551616\n"])
def test_client_counters_go_refuses(text: str) -> None:
    # procfs: util.ParseUint64s, strconv.ParseUint(x, 10, 64).
    with pytest.raises(CollectorError):
        parse_client_rpc_stats(text)


def test_client_proc4_old_and_new_kernels() -> None:
    """procfs parseClientV4Stats (TestNewNFSClientRPCStats): 48 procedures on an old kernel are
    padded with zeros; 61 on a new one keep the 59 procfs names."""
    old = parse_client_rpc_stats("proc4 48 " + " ".join(str(i + 1) for i in range(48)) + "\n")
    assert old.v4["Null"] == 1 and old.v4["LayoutReturn"] == 48 and old.v4["Clone"] == 0
    new = parse_client_rpc_stats("proc4 61 " + " ".join(str(i + 1) for i in range(61)) + "\n")
    assert new.v4["Clone"] == 59 and len(new.v4) == 59
    v2 = parse_client_rpc_stats("proc2 18 " + " ".join(str(i) for i in range(18)) + "\n")
    assert v2.v2["Null"] == 0 and v2.v2["FsStat"] == 17


@pytest.mark.parametrize("text", ["invalid\n", "proc4 3 1 2\n", "proc3 21 " + " ".join(["0"] * 21) + "\n"])
def test_client_go_refuses(text: str) -> None:
    """procfs ParseClientRPCStats: a lone word, a count that disagrees, fewer than 22 v3 procedures."""
    with pytest.raises(CollectorError):
        parse_client_rpc_stats(text)
