import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample


def test_nfsd_from_fixture() -> None:
    families = run_collector("nfsd", fixture_paths("nfsd"))
    assert sample(families, "node_nfsd_reply_cache_hits_total") == 1
    assert sample(families, "node_nfsd_reply_cache_misses_total") == 2
    assert sample(families, "node_nfsd_reply_cache_nocache_total") == 3
    assert sample(families, "node_nfsd_file_handles_stale_total") == 4
    assert sample(families, "node_nfsd_disk_bytes_read_total") == 1000
    assert sample(families, "node_nfsd_disk_bytes_written_total") == 2000
    assert sample(families, "node_nfsd_server_threads") == 8
    assert sample(families, "node_nfsd_read_ahead_cache_size_blocks") == 32
    assert sample(families, "node_nfsd_read_ahead_cache_not_found_total") == 5
    assert sample(families, "node_nfsd_packets_total", proto="udp") == 10
    assert sample(families, "node_nfsd_packets_total", proto="tcp") == 20
    assert sample(families, "node_nfsd_connections_total") == 3
    assert sample(families, "node_nfsd_rpc_errors_total", error="fmt") == 1
    assert sample(families, "node_nfsd_rpc_errors_total", error="auth") == 2
    assert sample(families, "node_nfsd_rpc_errors_total", error="cInt") == 3
    assert sample(families, "node_nfsd_server_rpcs_total") == 40
    assert sample(families, "node_nfsd_requests_total", proto="2", method="GetAttr") == 1
    assert sample(families, "node_nfsd_requests_total", proto="3", method="Commit") == 21
    assert sample(families, "node_nfsd_requests_total", proto="4", method="Access") == 4
    assert sample(families, "node_nfsd_requests_total", proto="4", method="RelLockOwner") == 40
    assert sample(families, "node_nfsd_requests_total", proto="4", method="WdelegGetattr") == 7
    requests = by_name(families)["node_nfsd_requests_total"]
    assert len(requests.samples) == 17 + 21 + 36
    assert requests.type == "counter"


def test_absent_nfsd_yields_nothing(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("nfsd", Paths.under(str(tmp_path)))


def test_malformed_nfsd_fails(tmp_path) -> None:
    (tmp_path / "proc" / "net" / "rpc").mkdir(parents=True)
    (tmp_path / "proc" / "net" / "rpc" / "nfsd").write_text("rc 1 2\n")
    with pytest.raises(CollectorError):
        run_collector("nfsd", Paths.under(str(tmp_path)))
