from pathlib import Path

import pytest

from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree


def test_slabinfo_from_fixture() -> None:
    families = run_collector("slabinfo", fixture_paths("slabinfo"))
    assert sample(families, "node_slabinfo_active_objects", slab="ext4_inode_cache") == 5000
    assert sample(families, "node_slabinfo_objects", slab="ext4_inode_cache") == 5200
    assert sample(families, "node_slabinfo_object_size_bytes", slab="ext4_inode_cache") == 1096
    assert sample(families, "node_slabinfo_objects_per_slab", slab="kmalloc-64") == 64
    assert sample(families, "node_slabinfo_pages_per_slab", slab="kmalloc-64") == 1
    assert {f.type for f in families} == {"gauge"}
    assert len(samples(families)) == 10


def test_include_and_exclude() -> None:
    only = run_collector("slabinfo", fixture_paths("slabinfo"), {"slabs-include": "^kmalloc"})
    assert {dict(k[1])["slab"] for k in samples(only)} == {"kmalloc-64"}
    without = run_collector("slabinfo", fixture_paths("slabinfo"), {"slabs-exclude": "ext4"})
    assert {dict(k[1])["slab"] for k in samples(without)} == {"kmalloc-64"}
    none = run_collector("slabinfo", fixture_paths("slabinfo"), {"slabs-exclude": "."})
    assert by_name(none) == {}


def test_absent_slabinfo_fails(tmp_path: Path) -> None:
    """slabinfoCollector.Update returns FS.SlabInfo's error, os.ErrNotExist included."""
    with pytest.raises(CollectorError, match="couldn't get slabinfo"):
        run_collector("slabinfo", write_tree(tmp_path, {"proc/stat": ""}))


def test_malformed_slabinfo(tmp_path: Path) -> None:
    paths = write_tree(tmp_path, {"proc/slabinfo": "slabinfo - version: 2.1\nbroken line\n"})
    with pytest.raises(CollectorError):
        run_collector("slabinfo", paths)
