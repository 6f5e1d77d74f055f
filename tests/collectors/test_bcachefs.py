
import os
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import run_collector, sample, write_tree

B = "sys/fs/bcachefs/abc-def/"
TREE = {
    B + "btree_cache_size": "1.5k\n",
    B + "compression_stats": "type compressed uncompressed avg\nlz4 1k 2k 1k\n",
    B + "errors": "bad_thing 3 17\n",
    B + "counters/fsync": "since mount: 1\nsince filesystem creation: 5\n",
    B + "btree_write_stats": "  nr size\ninitial: 4 1k\n",
    B + "dev-0/label": "d0\n", B + "dev-0/state": "rw\n", B + "dev-0/bucket_size": "512k\n",
    B + "dev-0/nbuckets": "10\n", B + "dev-0/durability": "1\n",
    B + "dev-0/io_done": "read:\nuser: 7\nwrite:\nuser: 8\n",
    B + "dev-0/io_errors": "IO errors since filesystem creation\n  read: 2\n",
}


def test_bcachefs(tmp_path: Path) -> None:
    fams = run_collector("bcachefs", write_tree(tmp_path, TREE))
    u = "abc-def"
    assert sample(fams, "node_bcachefs_btree_cache_size_bytes", uuid=u) == 1536
    assert sample(fams, "node_bcachefs_compression_uncompressed_bytes", uuid=u, algorithm="lz4") == 2048
    assert sample(fams, "node_bcachefs_errors_total", uuid=u, error_type="bad_thing") == 3
    assert sample(fams, "node_bcachefs_fsync_total", uuid=u) == 5
    assert sample(fams, "node_bcachefs_btree_writes_total", uuid=u, type="initial") == 4
    assert sample(fams, "node_bcachefs_device_bucket_size_bytes", uuid=u, device="0") == 524288
    assert sample(fams, "node_bcachefs_device_io_done_bytes_total", uuid=u, device="0",
                  operation="write", data_type="user") == 8
    assert sample(fams, "node_bcachefs_device_io_errors_total", uuid=u, device="0", type="read") == 2


def test_bcachefs_absent_is_no_data(tmp_path: Path) -> None:
    """bcachefsCollector.Update: no /sys/fs/bcachefs, or no filesystem in it, is ErrNoData."""
    with pytest.raises(NoDataError):
        run_collector("bcachefs", Paths.under(str(tmp_path)))
    (tmp_path / "sys" / "fs" / "bcachefs").mkdir(parents=True)
    with pytest.raises(NoDataError):
        run_collector("bcachefs", Paths.under(str(tmp_path)))


def test_bcachefs_malformed(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        run_collector("bcachefs", write_tree(tmp_path, {**TREE, B + "counters/fsync": "what\n"}))


def test_bcachefs_minimal_filesystem(tmp_path: Path) -> None:
    """procfs readFilesystemStats: every file is optional (openIfExists); Update then emits
    info and btree_cache_size (0) only, no empty families."""
    fams = run_collector("bcachefs", write_tree(tmp_path, {B + "unrelated": "x\n"}))
    assert {f.name for f in fams} == {"node_bcachefs_info", "node_bcachefs_btree_cache_size_bytes"}
    assert sample(fams, "node_bcachefs_btree_cache_size_bytes", uuid="abc-def") == 0


def test_bcachefs_dangling_counter_is_zero(tmp_path: Path) -> None:
    """parseCounterFile: openIfExists on a listed counter that is gone gives zero stats."""
    paths = write_tree(tmp_path, {B + "counters/ok": "since mount: 1\nsince filesystem creation: 2\n"})
    os.symlink("missing", os.path.join(paths.sysfs, "fs/bcachefs/abc-def/counters/gone"))
    fams = run_collector("bcachefs", paths)
    assert sample(fams, "node_bcachefs_gone_total", uuid="abc-def") == 0
    assert sample(fams, "node_bcachefs_ok_total", uuid="abc-def") == 2
