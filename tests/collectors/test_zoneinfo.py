import pytest

from pyexporter.paths import Paths
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree


def test_zoneinfo_from_fixture() -> None:
    families = run_collector("zoneinfo", fixture_paths("zoneinfo"))
    named = by_name(families)
    assert named["node_zoneinfo_min_pages"].type == "gauge"
    assert named["node_zoneinfo_nr_dirtied_total"].type == "counter"
    assert named["node_zoneinfo_numa_hit_total"].type == "counter"
    assert named["node_zoneinfo_protection_1"].documentation == "Protection array 1. field"
    assert "node_zoneinfo_protection_3" not in named

    def value(name: str, node: str, zone: str) -> float:
        return sample(families, name, node=node, zone=zone)

    assert value("node_zoneinfo_nr_inactive_anon_pages", "0", "DMA") == 500
    assert value("node_zoneinfo_nr_dirtied_total", "0", "DMA") == 7000
    assert value("node_zoneinfo_nr_written_total", "0", "DMA") == 6500
    assert value("node_zoneinfo_high_pages", "0", "DMA") == 7
    assert value("node_zoneinfo_managed_pages", "0", "Normal") == 64000
    assert value("node_zoneinfo_nr_kernel_stacks", "0", "Normal") == 1234
    assert value("node_zoneinfo_numa_hit_total", "0", "Normal") == 99
    # Its value does not parse: procfs's ValueParser.PInt64 gives 0 and no error is looked at.
    assert value("node_zoneinfo_numa_miss_total", "0", "Normal") == 0
    assert value("node_zoneinfo_protection_2", "0", "DMA") == 200
    assert value("node_zoneinfo_protection_2", "0", "Normal") == 0
    assert value("node_zoneinfo_spanned_pages", "1", "Movable") == 0
    assert len([k for k in samples(families) if k[0] == "node_zoneinfo_protection_0"]) == 2
    assert len(samples(families)) == 16 + 13 + 6  # DMA, Normal, Movable


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("zoneinfo", Paths.under(str(tmp_path)))


def test_empty_file_has_no_families(tmp_path) -> None:
    assert run_collector("zoneinfo", write_tree(tmp_path, {"proc/zoneinfo": ""})) == []


def test_values_without_a_header_have_empty_labels(tmp_path) -> None:
    """procfs's parseZoneinfo leaves Node and Zone empty for a block whose header nodeZoneRE
    misses, and node_exporter reports its values under node="" and zone=""."""
    text = "Node abc, zone DMA\n    min 3\n    nr_free_pages x\nNode\t1,\tzone\tNormal\n    low 4\n"
    families = run_collector("zoneinfo", write_tree(tmp_path, {"proc/zoneinfo": text}))
    assert samples(families) == {
        ("node_zoneinfo_min_pages", frozenset({("node", ""), ("zone", "")})): 3,
        ("node_zoneinfo_nr_free_pages", frozenset({("node", ""), ("zone", "")})): 0,
        ("node_zoneinfo_low_pages", frozenset({("node", ""), ("zone", "")})): 4,
    }
