import os
import shutil
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import FIXTURES, by_name, fixture_paths, run_collector, sample

UUID = "aaaa-bbbb"


def test_bcache_from_fixture() -> None:
    families = run_collector("bcache", fixture_paths("bcache"), {"priorityStats": True})
    assert sample(families, "node_bcache_btree_cache_size_bytes", uuid=UUID) == 2048
    assert sample(families, "node_bcache_cache_available_percent", uuid=UUID) == 100
    assert sample(families, "node_bcache_tree_depth", uuid=UUID) == 7
    assert sample(families, "node_bcache_btree_nodes", uuid=UUID) == 3
    assert sample(families, "node_bcache_btree_read_average_duration_seconds", uuid=UUID) == (
        pytest.approx(1.305e-06)
    )
    bdev = {"uuid": UUID, "backing_device": "bdev0"}
    assert sample(families, "node_bcache_dirty_data_bytes", **bdev) == 1560576
    assert sample(families, "node_bcache_writeback_rate", **bdev) == 1150976
    assert sample(families, "node_bcache_writeback_rate_proportional_term", **bdev) == -437748
    assert sample(families, "node_bcache_dirty_target_bytes", **bdev) == 21894266880
    assert sample(families, "node_bcache_cache_hits_total", **bdev) == 546
    cache = {"uuid": UUID, "cache_device": "cache0"}
    assert sample(families, "node_bcache_metadata_written_bytes_total", **cache) == 512
    assert sample(families, "node_bcache_written_bytes_total", **cache) == 1024
    assert sample(families, "node_bcache_priority_stats_unused_percent", **cache) == 99
    assert sample(families, "node_bcache_priority_stats_metadata_percent", **cache) == 1
    named = by_name(families)
    assert named["node_bcache_cache_read_races_total"].type == "counter"
    assert named["node_bcache_congested"].type == "gauge"
    # The fixture's readaheads count is 0, which node_exporter does not emit.
    assert "node_bcache_cache_readaheads_total" not in named
    assert len(named) == 27


def test_priority_stats_off_by_default() -> None:
    named = by_name(run_collector("bcache", fixture_paths("bcache")))
    assert not any(name.startswith("node_bcache_priority_stats") for name in named)
    assert len(named) == 25


def test_absent_bcache_yields_nothing(tmp_path: Path) -> None:
    assert run_collector("bcache", Paths.under(str(tmp_path))) == []


def test_malformed_bcache_fails(tmp_path: Path) -> None:
    uuid = tmp_path / "sys" / "fs" / "bcache" / "x-y"
    uuid.mkdir(parents=True)
    (uuid / "average_key_size").write_text("lots\n")
    with pytest.raises(CollectorError):
        run_collector("bcache", Paths.under(str(tmp_path)))


def _fixture_copy(tmp_path: Path) -> Path:
    shutil.copytree(os.path.join(FIXTURES, "bcache"), tmp_path / "t", symlinks=True)
    return tmp_path / "t"


READAHEADS = "sys/fs/bcache/aaaa-bbbb/bdev0/stats_total/cache_readaheads"


def test_missing_readaheads_is_tolerated(tmp_path: Path) -> None:
    """procfs GetStats / node_exporter bcachePeriodStatsToMetric: stats_total/cache_readaheads
    is gone since Linux 5.13; the collector still reports everything else, and no
    node_bcache_cache_readaheads_total (a count of 0 is not emitted)."""
    root = _fixture_copy(tmp_path)
    (root / READAHEADS).unlink()
    families = run_collector("bcache", Paths.under(str(root)))
    named = by_name(families)
    assert "node_bcache_cache_readaheads_total" not in named
    assert len(named) == 25
    assert sample(families, "node_bcache_cache_hits_total", uuid=UUID, backing_device="bdev0") == 546


def test_zero_readaheads_not_emitted(tmp_path: Path) -> None:
    """bcachePeriodStatsToMetric: `if ps.CacheReadaheads != 0`."""
    root = _fixture_copy(tmp_path)
    (root / READAHEADS).write_text("0\n")
    assert "node_bcache_cache_readaheads_total" not in by_name(run_collector("bcache", Paths.under(str(root))))
    (root / READAHEADS).write_text("1.1k\n")
    families = run_collector("bcache", Paths.under(str(root)))
    assert sample(families, "node_bcache_cache_readaheads_total", uuid=UUID, backing_device="bdev0") == 1124


def test_other_stats_total_files_are_required(tmp_path: Path) -> None:
    """procfs readValue: every other file GetStats reads fails the collector when missing."""
    root = _fixture_copy(tmp_path)
    (root / "sys/fs/bcache/aaaa-bbbb/bdev0/stats_total/cache_hits").unlink()
    with pytest.raises((CollectorError, OSError)):
        run_collector("bcache", Paths.under(str(root)))
