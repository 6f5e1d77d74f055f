import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, samples


def test_vmstat_default_fields() -> None:
    families = run_collector("vmstat", fixture_paths("vmstat"))
    assert samples(families) == {
        ("node_vmstat_pgpgin", frozenset()): 100.0,
        ("node_vmstat_pgpgout", frozenset()): 200.0,
        ("node_vmstat_pswpin", frozenset()): 3.0,
        ("node_vmstat_pswpout", frozenset()): 4.0,
        ("node_vmstat_pgfault", frozenset()): 5000.0,
        ("node_vmstat_pgmajfault", frozenset()): 6.0,
        ("node_vmstat_oom_kill", frozenset()): 1.0,
    }
    family = by_name(families)["node_vmstat_pgfault"]
    assert family.type == "unknown"
    assert family.documentation == "/proc/vmstat information field pgfault."


def test_vmstat_fields_flag_is_unanchored_and_empty_means_all() -> None:
    families = run_collector("vmstat", fixture_paths("vmstat"), {"fields": "alloc"})
    assert set(samples(families)) == {("node_vmstat_pgalloc_dma", frozenset())}
    assert len(run_collector("vmstat", fixture_paths("vmstat"), {"fields": ""})) == 9


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("vmstat", Paths(procfs=str(tmp_path)))


def test_malformed_file(tmp_path) -> None:
    (tmp_path / "vmstat").write_text("pgpgin\n")
    with pytest.raises(CollectorError):
        run_collector("vmstat", Paths(procfs=str(tmp_path)))


def test_a_recurring_name_reports_its_first_line_and_every_value_is_parsed(tmp_path) -> None:
    (tmp_path / "vmstat").write_text("pgpgin 1\nnr_free 5\npgpgin 2\n")
    assert samples(run_collector("vmstat", Paths(procfs=str(tmp_path)))) == {("node_vmstat_pgpgin", frozenset()): 1}
    (tmp_path / "vmstat").write_text("pgpgin 1\nnr_free x\n")
    with pytest.raises(CollectorError):
        run_collector("vmstat", Paths(procfs=str(tmp_path)))


def test_a_bad_value_fails_the_collector_even_where_it_is_not_reported(tmp_path) -> None:
    # node_exporter parses every line's value before its fields filter.
    (tmp_path / "vmstat").write_text("nr_free_pages 12x\npgpgin 7\n")
    with pytest.raises(CollectorError, match="invalid value in vmstat"):
        run_collector("vmstat", Paths(procfs=str(tmp_path)))
    (tmp_path / "vmstat").write_text("nr_free_pages 12\npgpgin 7\n")
    assert samples(run_collector("vmstat", Paths(procfs=str(tmp_path)))) == {("node_vmstat_pgpgin", frozenset()): 7.0}
