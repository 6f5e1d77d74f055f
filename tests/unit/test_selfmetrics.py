"""The exporter's own process metrics, and the /proc/[pid] parsers they share with namedprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyexporter.selfmetrics import GCMetrics, ProcessMetrics, size_counts_entries
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.procpid import PAGE_SIZE, UNLIMITED, parse_limits, parse_netstat_octets

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
        "process_network_receive_bytes": 123456.0,
        "process_network_transmit_bytes": 654321.0,
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
        "process_start_time_seconds", "process_open_fds", "process_max_fds", "process_virtual_memory_max_bytes",
        "process_network_receive_bytes", "process_network_transmit_bytes"}
    assert families["process_cpu_seconds"].type == "counter"
    assert families["process_virtual_memory_max_bytes"].documentation == (
        "Maximum amount of virtual memory available in bytes.")
    assert families["process_network_receive_bytes"].type == "counter"
    assert families["process_network_transmit_bytes"].documentation == (
        "Number of bytes sent by the process over the network.")
    opened = len(os.listdir("/proc/self/fd")) - 1  # less the listing's own
    assert abs(families["process_open_fds"].samples[0].value - opened) <= 2


def test_netstat_octets_as_procfs() -> None:
    text = "TcpExt: A B\nTcpExt: 1 2\nIpExt: InOctets OutOctets InOctets\nIpExt: 5 6 7\n"
    assert parse_netstat_octets(text) == (7.0, 6.0)  # a recurring name: its last value
    assert parse_netstat_octets(text.replace("\n", "\r\n")) == (7.0, 6.0)
    assert parse_netstat_octets("TcpExt: A\nTcpExt: 1\n") == (0.0, 0.0)  # no IpExt: zero, as client_golang
    assert parse_netstat_octets("") == (0.0, 0.0)
    assert parse_netstat_octets("IpExt:\n") == (0.0, 0.0)  # a lone names line without names
    assert parse_netstat_octets("IpExt: InOctets\nIpExt: 0x1p4\n") == (16.0, 0.0)  # ParseFloat's forms


@pytest.mark.parametrize("text", [
    "IpExt: InOctets OutOctets\nIpExt: 1\n",  # counts differ
    "IpExt: InOctets OutOctets\nIpExt:  1 2\n",  # single blanks: an empty field more
    "TcpExt: A\nTcpExt: x\nIpExt: InOctets\nIpExt: 1\n",  # a bad value anywhere fails the file
    "IpExt: InOctets\n",  # a lone names line with names
])
def test_netstat_octets_fail_as_procfs(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_netstat_octets(text)


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
