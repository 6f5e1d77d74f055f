
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
}


def test_btrfs(tmp_path) -> None:
    fams = run_collector("btrfs", write_tree(tmp_path, TREE))
    uuid = "11111111-2222-3333-4444-555555555555"
    assert sample(fams, "node_btrfs_info", uuid=uuid, label="mine") == 1
    assert sample(fams, "node_btrfs_commits_total", uuid=uuid) == 7
    assert sample(fams, "node_btrfs_last_commit_seconds", uuid=uuid) == 1.5
    assert sample(fams, "node_btrfs_device_size_bytes", uuid=uuid, device="sda") == 2048 * 512
    assert sample(fams, "node_btrfs_allocation_ratio", uuid=uuid, block_group_type="data", mode="raid1") == 2
    assert sample(fams, "node_btrfs_used_bytes", uuid=uuid, block_group_type="data", mode="raid1") == 500
    assert sample(fams, "node_btrfs_reserved_bytes", uuid=uuid, block_group_type="system") == 0


def test_btrfs_absent(tmp_path) -> None:
    assert run_collector("btrfs", Paths.under(str(tmp_path))) == []


def test_btrfs_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("btrfs", write_tree(tmp_path, {**TREE, U + "commit_stats": "commits x\n"}))
