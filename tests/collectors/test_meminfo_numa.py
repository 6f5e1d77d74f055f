import pytest

from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree


def test_meminfo_numa_from_fixture() -> None:
    families = run_collector("meminfo_numa", fixture_paths("meminfo_numa"))
    assert sample(families, "node_memory_numa_MemTotal", node="0") == 1024000
    assert sample(families, "node_memory_numa_MemTotal", node="1") == 2048000
    assert sample(families, "node_memory_numa_Active_anon", node="1") == 20480
    assert sample(families, "node_memory_numa_HugePages_Total", node="0") == 2
    assert sample(families, "node_memory_numa_numa_hit_total", node="0") == 500
    assert sample(families, "node_memory_numa_numa_miss_total", node="1") == 8
    named = by_name(families)
    assert named["node_memory_numa_numa_hit_total"].type == "counter"
    assert named["node_memory_numa_numa_hit_total"].documentation == "Memory information field numa_hit_total."
    assert named["node_memory_numa_MemTotal"].type == "gauge"
    assert len(samples(families)) == 10


def test_no_numa_nodes_yields_nothing(tmp_path) -> None:
    assert run_collector("meminfo_numa", write_tree(tmp_path, {"sys/devices/other": ""})) == []


def test_missing_numastat_raises(tmp_path) -> None:
    paths = write_tree(tmp_path, {"sys/devices/system/node/node0/meminfo": "Node 0 MemFree: 1 kB\n"})
    with pytest.raises(OSError):
        run_collector("meminfo_numa", paths)


def test_malformed_meminfo(tmp_path) -> None:
    paths = write_tree(tmp_path, {
        "sys/devices/system/node/node0/meminfo": "Node 0 MemFree:\n",
        "sys/devices/system/node/node0/numastat": "numa_hit 1\n",
    })
    with pytest.raises(CollectorError):
        run_collector("meminfo_numa", paths)
