from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples


def test_xfs_from_fixture() -> None:
    families = run_collector("xfs", fixture_paths("xfs"))
    assert sample(families, "node_xfs_extent_allocation_extents_allocated_total", device="sdb1") == 1
    assert sample(families, "node_xfs_extent_allocation_blocks_freed_total", device="sdb1") == 4
    assert sample(families, "node_xfs_allocation_btree_records_deleted_total", device="sdb1") == 8
    assert sample(families, "node_xfs_block_mapping_extent_list_compares_total", device="sdb1") == 15
    assert sample(families, "node_xfs_block_map_btree_lookups_total", device="sdb1") == 16
    assert sample(families, "node_xfs_directory_operation_getdents_total", device="sdb1") == 23
    assert sample(families, "node_xfs_inode_operation_attribute_changes_total", device="sdb1") == 30
    assert sample(families, "node_xfs_write_calls_total", device="sdb1") == 31
    assert sample(families, "node_xfs_read_calls_total", device="sdb1") == 32
    assert sample(families, "node_xfs_vnode_remove_total", device="sdb1") == 39
    # The global /sys/fs/xfs/stats is not a device.
    assert all(("device", "stats") not in labels for _, labels in samples(families))
    assert len(by_name(families)) == 39
    assert {f.type for f in families} == {"counter"}


def test_absent_xfs_yields_nothing(tmp_path: Path) -> None:
    assert run_collector("xfs", Paths.under(str(tmp_path))) == []


def test_malformed_xfs_fails(tmp_path: Path) -> None:
    stats = tmp_path / "sys" / "fs" / "xfs" / "sda" / "stats"
    stats.mkdir(parents=True)
    (stats / "stats").write_text("rw 1 2 3\n")
    with pytest.raises(CollectorError):
        run_collector("xfs", Paths.under(str(tmp_path)))
