
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
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


def test_bcachefs(tmp_path) -> None:
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


def test_bcachefs_absent(tmp_path) -> None:
    assert run_collector("bcachefs", Paths.under(str(tmp_path))) == []


def test_bcachefs_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("bcachefs", write_tree(tmp_path, {**TREE, B + "counters/fsync": "what\n"}))
