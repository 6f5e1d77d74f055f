from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample, write_tree


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


def test_absent_zfs_is_no_data(tmp_path: Path) -> None:
    """zfsCollector.Update: errZFSNotAvailable is ErrNoData (success 0, a debug line)."""
    with pytest.raises(NoDataError):
        run_collector("zfs", Paths.under(str(tmp_path)))


def test_malformed_zfs_fails(tmp_path: Path) -> None:
    kstat = tmp_path / "proc" / "spl" / "kstat" / "zfs"
    kstat.mkdir(parents=True)
    (kstat / "arcstats").write_text("name type data\nhits 4 lots\n")
    with pytest.raises(CollectorError):
        run_collector("zfs", Paths.under(str(tmp_path)))


_HEADER = "6 1 0x01 4 4368 5266997922 97951858082072\nname                            type data\n"


@pytest.mark.parametrize(("filename", "subsystem"), [
    ("abdstats", "zfs_abd"), ("arcstats", "zfs_arc"), ("dbufstats", "zfs_dbuf"), ("dmu_tx", "zfs_dmu_tx"),
    ("dnodestats", "zfs_dnode"), ("fm", "zfs_fm"), ("vdev_cache_stats", "zfs_vdev_cache"),
    ("vdev_mirror_stats", "zfs_vdev_mirror"), ("xuio_stats", "zfs_xuio"), ("zfetchstats", "zfs_zfetch"),
    ("zil", "zfs_zil"),
])
def test_every_kstat_file_of_the_path_map(tmp_path: Path, filename: str, subsystem: str) -> None:
    """zfsCollector.linuxPathMap / updateZfsStats: each kstat file alone, named by its subsystem,
    a `-` in a kstat name turned to `_` (zfsSysctl.metricName)."""
    paths = write_tree(tmp_path, {f"proc/spl/kstat/zfs/{filename}": _HEADER + "some-stat  4  7\nneg  3  -2\n"})
    families = run_collector("zfs", paths)
    named = by_name(families)
    assert sample(families, f"node_{subsystem}_some_stat") == 7
    assert sample(families, f"node_{subsystem}_neg") == -2
    assert named[f"node_{subsystem}_some_stat"].documentation == f"kstat.zfs.misc.{filename}.some-stat"


def test_pool_files_are_each_optional(tmp_path: Path) -> None:
    """updatePoolStats globs `*/io`, `*/objset-*` and `*/state` separately: a pool with only a state
    file (OpenZFS without the io kstat) still gets its state, another with only io its counters."""
    names = "nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt"
    paths = write_tree(tmp_path, {
        "proc/spl/kstat/zfs/arcstats": _HEADER + "hits 4 1\n",
        "proc/spl/kstat/zfs/onlystate/state": "SUSPENDED\n",
        "proc/spl/kstat/zfs/onlyio/io": f"12 3 0x00 1 80 1 2\n{names}\n1 2 3 4 5 6 7 8 9 10 11 12\n",
    })
    families = run_collector("zfs", paths)
    assert sample(families, "node_zfs_zpool_state", zpool="onlystate", state="suspended") == 1
    assert sample(families, "node_zfs_zpool_nread", zpool="onlyio") == 1
    assert {s.labels["zpool"] for s in by_name(families)["node_zfs_zpool_state"].samples} == {"onlystate"}
    assert {s.labels["zpool"] for s in by_name(families)["node_zfs_zpool_nread"].samples} == {"onlyio"}


def test_objsets_of_several_datasets(tmp_path: Path) -> None:
    """parsePoolObjsetFile: one file per dataset, labelled by pool (from the path) and dataset_name."""
    def objset(name: str, writes: int) -> str:
        return f"31 1 0x01 7 2160 1 2\nname type data\ndataset_name 7 {name}\nwrites 4 {writes}\nnunlinks 4 0\n"

    paths = write_tree(tmp_path, {
        "proc/spl/kstat/zfs/pool1/objset-0x10": objset("pool1", 1),
        "proc/spl/kstat/zfs/pool1/objset-0x11": objset("pool1/home", 2),
        "proc/spl/kstat/zfs/pool1/txgs": "not a kstat this collector reads\n",
    })
    families = run_collector("zfs", paths)
    assert sample(families, "node_zfs_zpool_dataset_writes", zpool="pool1", dataset="pool1") == 1
    assert sample(families, "node_zfs_zpool_dataset_writes", zpool="pool1", dataset="pool1/home") == 2
    assert by_name(families)["node_zfs_zpool_dataset_writes"].documentation == "kstat.zfs.misc.objset.writes"


def test_unreadable_kstat_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """openProcFile: any failure to open a kstat file is errZFSNotAvailable, and Update goes on."""
    from pyexporter.toolkit.files import read_text as real

    paths = write_tree(tmp_path, {"proc/spl/kstat/zfs/arcstats": _HEADER + "hits 4 1\n",
                                  "proc/spl/kstat/zfs/zil": _HEADER + "zil_commit_count 4 10\n"})
    def guarded(path: str) -> str:
        if path.endswith("arcstats"):
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr("pyexporter.collectors.zfs.read_text", guarded)
    families = run_collector("zfs", paths)
    assert sample(families, "node_zfs_zil_zil_commit_count") == 10
    assert "node_zfs_arc_hits" not in by_name(families)
