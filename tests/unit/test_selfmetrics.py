"""The exporter's own process metrics, and the /proc/[pid] parsers they share with namedprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyexporter.selfmetrics import GCMetrics, ProcessMetrics, size_counts_entries
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.procpid import PAGE_SIZE, UNLIMITED, parse_limits

FIXTURE = Path(__file__).parent.parent / "fixtures" / "selfproc"

LIMITS = """Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            1024                 1048576              files     
Max address space         8589934592           unlimited            bytes     
Max realtime timeout      unlimited            unlimited            us        
"""  # noqa: W291 - the kernel pads every column


def test_parse_limits_as_procfs() -> None:
    limits = parse_limits(LIMITS)
    assert limits["Max open files"] == 1024  # the soft limit
    assert limits["Max address space"] == 8589934592
    assert limits["Max cpu time"] == limits["Max realtime timeout"] == UNLIMITED == 18446744073709551615


@pytest.mark.parametrize("line", [
    "Max open files 1024 4096 files", "Max open files            lots                 4096  files", "garbage"])
def test_parse_limits_fails_as_procfs_on_a_bad_line(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_limits("Limit                     Soft Limit           Hard Limit           Units\n" + line + "\n")


def _values(metrics: ProcessMetrics) -> dict[str, float]:
    return {family.name: family.samples[0].value for family in metrics.collect()}


def test_process_metrics_from_a_fixture() -> None:
    values = _values(ProcessMetrics(str(FIXTURE)))
    assert values == {
        "process_cpu_seconds": (250 + 75) / 100,
        "process_virtual_memory_bytes": 123456789.0,
        "process_resident_memory_bytes": 2500.0 * PAGE_SIZE,
        "process_start_time_seconds": 1700000000 + 12345 / 100,
        "process_open_fds": 3.0,  # listed: a directory on disk has no count for its size
        "process_max_fds": 1024.0,
        "process_virtual_memory_max_bytes": 18446744073709551615.0,
    }


def test_process_metrics_leave_out_what_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "stat").write_text("garbage\n")
    (tmp_path / "self" / "limits").write_text("Limit\nnonsense\n")
    assert _values(ProcessMetrics(str(tmp_path))) == {}


def test_process_metrics_of_this_process_as_node_exporter_names_them() -> None:
    families = {family.name: family for family in ProcessMetrics().collect()}
    assert set(families) == {
        "process_cpu_seconds", "process_virtual_memory_bytes", "process_resident_memory_bytes",
        "process_start_time_seconds", "process_open_fds", "process_max_fds", "process_virtual_memory_max_bytes"}
    assert families["process_cpu_seconds"].type == "counter"
    assert families["process_virtual_memory_max_bytes"].documentation == (
        "Maximum amount of virtual memory available in bytes.")
    opened = len(os.listdir("/proc/self/fd")) - 1  # less the listing's own
    assert abs(families["process_open_fds"].samples[0].value - opened) <= 2


def test_size_counts_entries_only_where_the_kernel_counts() -> None:
    assert not size_counts_entries(str(FIXTURE / "self" / "fd"))
    if os.stat("/proc/self/fd").st_size == 0:
        pytest.skip("this kernel (before 6.2) gives /proc/[pid]/fd no size")
    assert size_counts_entries("/proc/self/fd")


def test_gc_metrics_as_prometheus_client_gives_them() -> None:
    from prometheus_client import CollectorRegistry, GCCollector

    from pyexporter.exposition import encode_text

    theirs = list(GCCollector(registry=CollectorRegistry()).collect())
    ours = GCMetrics().collect()
    assert [(f.name, f.documentation, f.type) for f in ours] == [(f.name, f.documentation, f.type) for f in theirs]
    # The same series; the counts may have moved on between the two reads.
    assert [[s.labels for s in f.samples] for f in ours] == [[s.labels for s in f.samples] for f in theirs]
    text = encode_text(ours).decode()
    assert 'python_gc_collections_total{generation="2"} ' in text
    assert "# TYPE python_gc_objects_uncollectable_total counter" in text
