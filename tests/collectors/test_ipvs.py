
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import collect_as_scrape, run_collector, sample, write_tree

TREE = {
    "proc/net/ip_vs_stats": "h\nh\n 10 20 0 30 0\n",
    "proc/net/ip_vs": (
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
        "TCP  C0A80016:0CEA wlc\n"
        "  -> C0A85216:0CEA      Tunnel  100    248        2\n"
        "TCP  C0A80017:0CEA wlc\n"
        "  -> C0A85216:0CEA      Tunnel  50    2        1\n"
    ),
}


def test_ipvs(tmp_path) -> None:
    fams = run_collector("ipvs", write_tree(tmp_path, TREE))
    assert sample(fams, "node_ipvs_connections_total") == 16
    assert sample(fams, "node_ipvs_incoming_bytes_total") == 48
    assert sample(fams, "node_ipvs_backend_weight", local_address="192.168.0.22", local_port="3306",
                  remote_address="192.168.82.22", remote_port="3306", proto="TCP", local_mark="") == 100


def test_ipvs_reduced_labels_sum(tmp_path) -> None:
    fams = run_collector("ipvs", write_tree(tmp_path, TREE), {"backend-labels": "remote_address"})
    assert sample(fams, "node_ipvs_backend_connections_active", remote_address="192.168.82.22") == 250


def test_unreadable_backends_leave_the_totals_served(tmp_path) -> None:
    """node_exporter sends the totals before it reads the backend table."""
    stats_only = {"proc/net/ip_vs_stats": TREE["proc/net/ip_vs_stats"]}
    families, err = collect_as_scrape("ipvs", write_tree(tmp_path, stats_only))
    assert isinstance(err, FileNotFoundError)
    assert sample(families, "node_ipvs_connections_total") == 16


def test_ipvs_absent(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("ipvs", Paths.under(str(tmp_path)))


def test_ipvs_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("ipvs", write_tree(tmp_path, {**TREE, "proc/net/ip_vs_stats": "garbage\n"}))
