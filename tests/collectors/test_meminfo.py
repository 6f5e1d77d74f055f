import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, samples


def test_meminfo_from_fixture() -> None:
    families = run_collector("meminfo", fixture_paths("meminfo"))
    assert samples(families) == {
        ("node_memory_MemTotal_bytes", frozenset()): 1024000.0,
        ("node_memory_MemFree_bytes", frozenset()): 204800.0,
        ("node_memory_Active_anon_bytes", frozenset()): 10240.0,
        ("node_memory_Inactive_file_bytes", frozenset()): 3072.0,
        ("node_memory_HugePages_Total", frozenset()): 4.0,
        ("node_memory_Hugepagesize_bytes", frozenset()): 2097152.0,
    }
    family = by_name(families)["node_memory_HugePages_Total"]
    assert family.type == "gauge"
    assert family.documentation == "Memory information field HugePages_Total."


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("meminfo", Paths(procfs=str(tmp_path)))


def test_malformed_file(tmp_path) -> None:
    (tmp_path / "meminfo").write_text("MemTotal: many kB\n")
    with pytest.raises(CollectorError):
        run_collector("meminfo", Paths(procfs=str(tmp_path)))


def test_families_follow_the_file_from_scrape_to_scrape(tmp_path) -> None:
    from pyexporter.collectors import load_all

    collector = load_all()["meminfo"].build(Paths(procfs=str(tmp_path)), None)
    (tmp_path / "meminfo").write_text("MemTotal: 1 kB\nHugePages_Total: 2\n")
    assert samples(list(collector.collect())) == {("node_memory_MemTotal_bytes", frozenset()): 1024.0,
                                                  ("node_memory_HugePages_Total", frozenset()): 2.0}
    (tmp_path / "meminfo").write_text("MemTotal: 3 kB\nHugePages_Total: 4\n")
    assert samples(list(collector.collect())) == {("node_memory_MemTotal_bytes", frozenset()): 3072.0,
                                                  ("node_memory_HugePages_Total", frozenset()): 4.0}
    (tmp_path / "meminfo").write_text("MemTotal: 3\nSwap_total: 4 kB\n")
    families = list(collector.collect())
    assert samples(families) == {("node_memory_MemTotal", frozenset()): 3.0,
                                 ("node_memory_Swap_total_bytes", frozenset()): 4096.0}
    (tmp_path / "meminfo").write_text("MemTotal: 3\nSwap total: 4 kB\n")
    with pytest.raises(CollectorError, match="invalid line"):
        list(collector.collect())


def test_families_before_a_refused_name_are_served(tmp_path) -> None:
    (tmp_path / "meminfo").write_text("MemTotal: 1 kB\nMem-Free: 2 kB\n")
    from pyexporter.collectors import load_all

    collector = load_all()["meminfo"].build(Paths(procfs=str(tmp_path)), None)
    served = []
    with pytest.raises(CollectorError):
        for family in collector.collect():
            served.append(family.name)
    assert served == ["node_memory_MemTotal_bytes"]
