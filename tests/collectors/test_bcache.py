import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample

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
    assert len(named) == 28


def test_priority_stats_off_by_default() -> None:
    named = by_name(run_collector("bcache", fixture_paths("bcache")))
    assert not any(name.startswith("node_bcache_priority_stats") for name in named)
    assert len(named) == 26


def test_absent_bcache_yields_nothing(tmp_path) -> None:
    assert run_collector("bcache", Paths.under(str(tmp_path))) == []


def test_malformed_bcache_fails(tmp_path) -> None:
    uuid = tmp_path / "sys" / "fs" / "bcache" / "x-y"
    uuid.mkdir(parents=True)
    (uuid / "average_key_size").write_text("lots\n")
    with pytest.raises(CollectorError):
        run_collector("bcache", Paths.under(str(tmp_path)))
