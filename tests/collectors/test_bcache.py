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


def test_missing_value_files_read_as_zero(tmp_path: Path) -> None:
    """procfs readValue: a value file that does not exist is 0, not an error (node_exporter 1.5.0
    and the newest agree), cache_hits and average_key_size as much as readaheads."""
    root = _fixture_copy(tmp_path)
    (root / "sys/fs/bcache/aaaa-bbbb/bdev0/stats_total/cache_hits").unlink()
    (root / "sys/fs/bcache/aaaa-bbbb/average_key_size").unlink()
    families = run_collector("bcache", Paths.under(str(root)))
    assert sample(families, "node_bcache_cache_hits_total", uuid=UUID, backing_device="bdev0") == 0
    assert sample(families, "node_bcache_average_key_size_sectors", uuid=UUID) == 0
    assert sample(families, "node_bcache_tree_depth", uuid=UUID) == 7


def test_negative_and_huge_values_convert_as_go(tmp_path: Path) -> None:
    """dehumanize's uint64(float64) on amd64: -1 wraps to 2**64 - 1, what is beyond 2**64 is 2**63."""
    root = _fixture_copy(tmp_path)
    (root / "sys/fs/bcache/aaaa-bbbb/average_key_size").write_text("-1\n")
    (root / "sys/fs/bcache/aaaa-bbbb/bdev0/stats_total/cache_hits").write_text("99999999999999999999999\n")
    families = run_collector("bcache", Paths.under(str(root)))
    assert sample(families, "node_bcache_average_key_size_sectors", uuid=UUID) == 1.8446744073709552e19
    assert sample(families, "node_bcache_cache_hits_total", uuid=UUID, backing_device="bdev0") == 2.0**63


def test_value_without_newline_loses_its_last_byte(tmp_path: Path) -> None:
    root = _fixture_copy(tmp_path)
    (root / "sys/fs/bcache/aaaa-bbbb/bdev0/stats_total/cache_hits").write_bytes(b"54")
    families = run_collector("bcache", Paths.under(str(root)))
    assert sample(families, "node_bcache_cache_hits_total", uuid=UUID, backing_device="bdev0") == 5


@pytest.mark.parametrize("relative", [
    "sys/fs/bcache/aaaa-bbbb/bdev0/stats_total/cache_hits",
    # Read and parsed by GetStats, though node_exporter exports none of them.
    "sys/fs/bcache/aaaa-bbbb/stats_total/cache_hits",
    "sys/fs/bcache/aaaa-bbbb/stats_five_minute/bypassed",
    "sys/fs/bcache/aaaa-bbbb/bdev0/stats_five_minute/cache_misses",
])
@pytest.mark.parametrize("content", [b"546\r\n", b"lots\n", b""])
def test_malformed_value_anywhere_procfs_reads_fails(tmp_path: Path, relative: str, content: bytes) -> None:
    root = _fixture_copy(tmp_path)
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_bytes(content)
    with pytest.raises(CollectorError):
        run_collector("bcache", Paths.under(str(root)))


@pytest.mark.parametrize("relative", ["bdev0/writeback_rate_debug", "cache0/priority_stats"])
def test_scanned_files_are_required(tmp_path: Path, relative: str) -> None:
    """getWritebackRateDebug and getPriorityStats fail on a file that does not open."""
    root = _fixture_copy(tmp_path)
    (root / "sys/fs/bcache/aaaa-bbbb" / relative).unlink()
    with pytest.raises(CollectorError, match="failed to read"):
        run_collector("bcache", Paths.under(str(root)), {"priorityStats": True})


def test_a_cache_set_entry_that_is_not_a_directory_fails(tmp_path: Path) -> None:
    """GetStats globs `*-*` whatever the entry; reading a value below a file is ENOTDIR."""
    root = _fixture_copy(tmp_path)
    (root / "sys/fs/bcache/not-a-set").write_text("x\n")
    with pytest.raises(CollectorError, match="failed to read"):
        run_collector("bcache", Paths.under(str(root)))
