
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample


def test_softnet_from_fixture() -> None:
    families = run_collector("softnet", fixture_paths("softnet"))
    assert sample(families, "node_softnet_processed_total", cpu="0") == 0x49279
    assert sample(families, "node_softnet_dropped_total", cpu="2") == 0x29
    assert sample(families, "node_softnet_times_squeezed_total", cpu="2") == 10
    assert sample(families, "node_softnet_cpu_collision_total", cpu="0") == 2
    assert sample(families, "node_softnet_received_rps_total", cpu="0") == 3
    assert sample(families, "node_softnet_flow_limit_count_total", cpu="0") == 4
    assert sample(families, "node_softnet_backlog_len", cpu="0") == 5
    fams = by_name(families)
    assert fams["node_softnet_backlog_len"].type == "gauge"
    assert fams["node_softnet_processed_total"].type == "counter"
    assert len(fams) == 7


def test_softnet_missing_and_malformed(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("softnet", Paths(procfs=str(tmp_path)))
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "softnet_stat").write_text("00 01\n")
    with pytest.raises(CollectorError):
        run_collector("softnet", Paths(procfs=str(tmp_path)))
