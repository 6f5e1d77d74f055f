import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples

BASE = {
    ("node_intr_total", frozenset()): 1234.0,
    ("node_context_switches_total", frozenset()): 5678.0,
    ("node_forks_total", frozenset()): 42.0,
    ("node_boot_time_seconds", frozenset()): 1600000000.0,
    ("node_procs_running", frozenset()): 3.0,
    ("node_procs_blocked", frozenset()): 1.0,
}


def test_stat_default_has_no_softirqs() -> None:
    families = run_collector("stat", fixture_paths("stat"))
    assert samples(families) == BASE
    types = {name: f.type for name, f in by_name(families).items()}
    assert types["node_intr_total"] == "counter"
    assert types["node_boot_time_seconds"] == "gauge"


def test_stat_with_softirq_flag() -> None:
    families = run_collector("stat", fixture_paths("stat"), {"softirq": True})
    assert sample(families, "node_softirqs_total", vector="hi") == 1.0
    assert sample(families, "node_softirqs_total", vector="block_iopoll") == 6.0
    assert sample(families, "node_softirqs_total", vector="rcu") == 10.0
    assert len(samples(families)) == len(BASE) + 10


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("stat", Paths(procfs=str(tmp_path)))


def test_malformed_file(tmp_path) -> None:
    (tmp_path / "stat").write_text("ctxt lots\n")
    with pytest.raises(CollectorError):
        run_collector("stat", Paths(procfs=str(tmp_path)))


def test_a_bad_cpu_line_fails_it_as_procfs_stat_does(tmp_path) -> None:
    """procfs parses the whole of /proc/stat for node_exporter's stat collector, cpu lines too."""
    (tmp_path / "stat").write_text("cpu  1 2 3 4\ncpu0 1 x 3 4\nctxt 7\nbtime 1\n")
    with pytest.raises(CollectorError):
        run_collector("stat", Paths(procfs=str(tmp_path)))
