import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample


def test_zfs_from_fixture() -> None:
    families = run_collector("zfs", fixture_paths("zfs"))
    named = by_name(families)
    assert sample(families, "node_zfs_arc_hits") == 8772612
    assert sample(families, "node_zfs_arc_c_min") == 33554432
    assert sample(families, "node_zfs_arc_memory_available_bytes") == -1024
    assert named["node_zfs_arc_hits"].documentation == "kstat.zfs.misc.arcstats.hits"
    assert named["node_zfs_arc_hits"].type == "unknown"
    assert "node_zfs_arc_arc_meta_limit_name" not in named
    assert sample(families, "node_zfs_zpool_nread", zpool="tank") == 100
    assert sample(families, "node_zfs_zpool_rcnt", zpool="tank") == 12
    assert named["node_zfs_zpool_rcnt"].documentation == "kstat.zfs.misc.io.rcnt"
    assert sample(
        families, "node_zfs_zpool_dataset_nread", zpool="tank", dataset="tank/my  data"
    ) == 28
    assert sample(families, "node_zfs_zpool_state", zpool="tank", state="degraded") == 1
    assert sample(families, "node_zfs_zpool_state", zpool="tank", state="online") == 0
    assert named["node_zfs_zpool_state"].type == "gauge"
    assert len(named["node_zfs_zpool_state"].samples) == 7


def test_absent_zfs_yields_nothing(tmp_path) -> None:
    assert list(run_collector("zfs", Paths.under(str(tmp_path)))) == []


def test_malformed_zfs_fails(tmp_path) -> None:
    kstat = tmp_path / "proc" / "spl" / "kstat" / "zfs"
    kstat.mkdir(parents=True)
    (kstat / "arcstats").write_text("name type data\nhits 4 lots\n")
    with pytest.raises(CollectorError):
        run_collector("zfs", Paths.under(str(tmp_path)))
