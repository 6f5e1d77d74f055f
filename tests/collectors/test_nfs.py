import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample


def test_nfs_from_fixture() -> None:
    families = run_collector("nfs", fixture_paths("nfs"))
    assert sample(families, "node_nfs_packets_total", protocol="udp") == 4
    assert sample(families, "node_nfs_packets_total", protocol="tcp") == 6
    assert sample(families, "node_nfs_connections_total") == 2
    assert sample(families, "node_nfs_rpcs_total") == 100
    assert sample(families, "node_nfs_rpc_retransmissions_total") == 3
    assert sample(families, "node_nfs_rpc_authentication_refreshes_total") == 5
    assert sample(families, "node_nfs_requests_total", proto="2", method="FsStat") == 18
    assert sample(families, "node_nfs_requests_total", proto="3", method="Access") == 4
    assert sample(families, "node_nfs_requests_total", proto="4", method="Write") == 9
    assert sample(families, "node_nfs_requests_total", proto="4", method="Clone") == 0
    assert {f.type for f in families} == {"counter"}
    assert len(by_name(families)["node_nfs_requests_total"].samples) == 18 + 22 + 59


def test_absent_nfs_yields_nothing(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("nfs", Paths.under(str(tmp_path)))


def test_malformed_nfs_fails(tmp_path) -> None:
    (tmp_path / "proc" / "net" / "rpc").mkdir(parents=True)
    (tmp_path / "proc" / "net" / "rpc" / "nfs").write_text("rpc 1 x 3\n")
    with pytest.raises(CollectorError):
        run_collector("nfs", Paths.under(str(tmp_path)))
