import pytest

from pyexporter.collectors.sockstat import PAGE_SIZE
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, samples


def test_sockstat_from_fixture() -> None:
    families = run_collector("sockstat", fixture_paths("sockstat"))
    assert samples(families) == {
        ("node_sockstat_sockets_used", frozenset()): 229,
        ("node_sockstat_TCP_inuse", frozenset()): 4,
        ("node_sockstat_TCP_orphan", frozenset()): 0,
        ("node_sockstat_TCP_tw", frozenset()): 4,
        ("node_sockstat_TCP_alloc", frozenset()): 17,
        ("node_sockstat_TCP_mem", frozenset()): 3,
        ("node_sockstat_TCP_mem_bytes", frozenset()): 3 * PAGE_SIZE,
        ("node_sockstat_UDP_inuse", frozenset()): 1,
        ("node_sockstat_UDP_mem", frozenset()): 2,
        ("node_sockstat_UDP_mem_bytes", frozenset()): 2 * PAGE_SIZE,
        ("node_sockstat_FRAG_inuse", frozenset()): 0,
        ("node_sockstat_FRAG_memory", frozenset()): 0,
        ("node_sockstat_TCP6_inuse", frozenset()): 17,
        ("node_sockstat_UDP6_inuse", frozenset()): 9,
    }
    fam = by_name(families)["node_sockstat_TCP_tw"]
    assert fam.type == "gauge" and fam.documentation == "Number of TCP sockets in state tw."


def test_sockstat_absent_is_empty(tmp_path) -> None:
    assert run_collector("sockstat", Paths(procfs=str(tmp_path))) == []


def test_sockstat_malformed_fails(tmp_path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "sockstat").write_text("TCP: inuse four\n")
    with pytest.raises(CollectorError):
        run_collector("sockstat", Paths(procfs=str(tmp_path)))
