import pytest

from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, samples, write_tree


def test_lnstat_from_fixture() -> None:
    families = run_collector("lnstat", fixture_paths("lnstat"))
    assert samples(families) == {
        ("node_lnstat_entries_total", frozenset({("subsystem", "arp_cache"), ("cpu", "0")})): 3,
        ("node_lnstat_entries_total", frozenset({("subsystem", "arp_cache"), ("cpu", "1")})): 3,
        ("node_lnstat_entries_total", frozenset({("subsystem", "nf_conntrack"), ("cpu", "0")})): 16,
        ("node_lnstat_allocs_total", frozenset({("subsystem", "arp_cache"), ("cpu", "0")})): 10,
        ("node_lnstat_allocs_total", frozenset({("subsystem", "arp_cache"), ("cpu", "1")})): 255,
        ("node_lnstat_destroys_total", frozenset({("subsystem", "arp_cache"), ("cpu", "0")})): 1,
        ("node_lnstat_destroys_total", frozenset({("subsystem", "arp_cache"), ("cpu", "1")})): 2,
        ("node_lnstat_found_total", frozenset({("subsystem", "nf_conntrack"), ("cpu", "0")})): 7,
    }
    named = by_name(families)
    assert named["node_lnstat_entries_total"].documentation == "linux network cache stats"
    assert {f.type for f in families} == {"counter"}


def test_lnstat_absent(tmp_path) -> None:
    assert run_collector("lnstat", write_tree(tmp_path, {"proc/stat": ""})) == []


def test_lnstat_malformed(tmp_path) -> None:
    paths = write_tree(tmp_path, {"proc/net/stat/arp_cache": "entries\n00000001 00000002\n"})
    with pytest.raises(CollectorError):
        run_collector("lnstat", paths)


def test_lnstat_columns_without_values_have_no_family(tmp_path) -> None:
    """lnstatCollector.Update sends one sample per CPU value: a header-only file, or a column no
    row reaches, makes no family; an empty file none at all."""
    paths = write_tree(tmp_path, {
        "proc/net/stat/arp_cache": "entries allocs\n00000001\n",
        "proc/net/stat/empty": "",
        "proc/net/stat/header_only": "lookups\n",
    })
    names = {f.name for f in run_collector("lnstat", paths)}
    assert names == {"node_lnstat_entries"}
