
import os
import shutil
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import run_collector, sample, write_tree

U = "sys/fs/btrfs/11111111-2222-3333-4444-555555555555/"
TREE = {
    U + "label": "mine\n",
    U + "metadata_uuid": "11111111-2222-3333-4444-555555555555\n",
    U + "commit_stats": "commits 7\nlast_commit_ms 1500\nmax_commit_ms 2000\ntotal_commit_ms 9000\n",
    U + "devices/sda/size": "2048\n",
    U + "devices/sdb/size": "2048\n",
    U + "allocation/global_rsv_size": "4096\n",
    U + "allocation/data/bytes_reserved": "8\n",
    U + "allocation/data/raid1/total_bytes": "1000\n",
    U + "allocation/data/raid1/used_bytes": "500\n",
    U + "allocation/metadata/bytes_reserved": "0\n",
    U + "allocation/system/bytes_reserved": "0\n",
    U + "features/extended_iref": "0\n",
}


def test_btrfs(tmp_path: Path) -> None:
    fams = run_collector("btrfs", write_tree(tmp_path, TREE))
    uuid = "11111111-2222-3333-4444-555555555555"
    assert sample(fams, "node_btrfs_info", uuid=uuid, label="mine") == 1
    assert sample(fams, "node_btrfs_commits_total", uuid=uuid) == 7
    assert sample(fams, "node_btrfs_last_commit_seconds", uuid=uuid) == 1.5
    assert sample(fams, "node_btrfs_device_size_bytes", uuid=uuid, device="sda") == 2048 * 512
    assert sample(fams, "node_btrfs_allocation_ratio", uuid=uuid, block_group_type="data", mode="raid1") == 2
    assert sample(fams, "node_btrfs_used_bytes", uuid=uuid, block_group_type="data", mode="raid1") == 500
    assert sample(fams, "node_btrfs_reserved_bytes", uuid=uuid, block_group_type="system") == 0


def test_btrfs_absent(tmp_path: Path) -> None:
    assert run_collector("btrfs", Paths.under(str(tmp_path))) == []


def test_btrfs_malformed(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        run_collector("btrfs", write_tree(tmp_path, {**TREE, U + "commit_stats": "commits x\n"}))


@pytest.mark.parametrize("missing", ["devices", "features", "allocation/data", "allocation/metadata",
                                     "allocation/system"])
def test_btrfs_required_directories(tmp_path: Path, missing: str) -> None:
    """procfs readFilesystemStats: listFiles("devices"/"features") and readLayouts of each
    allocation group are os.ReadDir calls whose error fails the filesystem."""
    paths = write_tree(tmp_path, TREE)
    shutil.rmtree(os.path.join(paths.sysfs, U.removeprefix("sys/"), missing))
    with pytest.raises(CollectorError):
        run_collector("btrfs", paths)


def test_btrfs_optional_files(tmp_path: Path) -> None:
    """procfs readFile: absent files read as "" (readValue: 0); no commit_stats before 6.0;
    no metadata_uuid: the directory name is the uuid."""
    tree = {k: v for k, v in TREE.items()
            if not k.endswith(("label", "metadata_uuid", "commit_stats", "global_rsv_size", "used_bytes"))}
    fams = run_collector("btrfs", write_tree(tmp_path, tree))
    uuid = "11111111-2222-3333-4444-555555555555"
    assert sample(fams, "node_btrfs_info", uuid=uuid, label="") == 1
    assert sample(fams, "node_btrfs_commits_total", uuid=uuid) == 0
    assert sample(fams, "node_btrfs_global_rsv_size_bytes", uuid=uuid) == 0
    assert sample(fams, "node_btrfs_used_bytes", uuid=uuid, block_group_type="data", mode="raid1") == 0


def test_btrfs_raid5_one_device(tmp_path: Path) -> None:
    """calcRatio: float64(devCount) / (float64(devCount) - 1), +Inf for one raid5 device."""
    tree = {k.replace("/raid1/", "/raid5/"): v for k, v in TREE.items() if "devices/sdb" not in k}
    fams = run_collector("btrfs", write_tree(tmp_path, tree))
    uuid = "11111111-2222-3333-4444-555555555555"
    assert sample(fams, "node_btrfs_allocation_ratio", uuid=uuid, block_group_type="data",
                  mode="raid5") == float("inf")
