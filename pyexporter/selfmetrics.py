"""The exporter's own metrics: its process, as node_exporter serves it (client_golang's process
collector: CPU time, memory, start time, open file descriptors with their limits, and the bytes
its network namespace received and sent), and Python's garbage collector, as prometheus-client's
GCCollector serves it.

prometheus-client's ProcessCollector has all of the process metrics but
process_virtual_memory_max_bytes and process_network_*, and reads its files through Python's
buffered text layer on every scrape; these are read with the collectors' readers, and both are
built as the collectors' families (toolkit.families), which check each name once instead of every
scrape. Always the real /proc, never --path.procfs: they describe this process, not the host.
"""

from __future__ import annotations

import gc
import os

from prometheus_client.core import Metric

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_generated, read_text
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import USER_HZ
from pyexporter.toolkit.procpid import PAGE_SIZE, parse_boot_time, parse_limits, parse_netstat_octets, parse_stat


def size_counts_entries(directory: str) -> bool:
    """Whether DIRECTORY's size is the number of its entries, as Linux (6.2 and later) gives it for a
    /proc/[pid]/fd directory: one stat(2) instead of a listing (procfs's FileDescriptorsLen uses it
    on a real procfs). Checked against a listing, which holds a descriptor of its own."""
    size = os.stat(directory).st_size
    listed = len(os.listdir(directory))
    return size > 0 and listed - 1 <= size <= listed


class ProcessMetrics:
    """process_* of the running exporter; what cannot be read is left out, as client_golang does."""

    def __init__(self, proc: str = "/proc") -> None:
        self._self = f"{proc}/self"
        self._fd_directory = f"{self._self}/fd"
        try:
            self._fd_size_counts = size_counts_entries(self._fd_directory)
        except OSError:
            self._fd_size_counts = False
        # The limits change only when someone sets them: their text recurs from scrape to scrape.
        self._limits = RecurringMemo(parse_limits)
        # Read once, as prometheus-client's ProcessCollector reads it.
        self._boot_time: int | None
        try:
            self._boot_time = parse_boot_time(read_text(f"{proc}/stat"))
        except (OSError, CollectorError):
            self._boot_time = None

    def collect(self) -> list[Metric]:
        families: list[Metric] = []
        try:
            stat = parse_stat(read_generated(f"{self._self}/stat"))
        except (OSError, CollectorError):
            pass
        else:
            families.append(CounterMetricFamily(
                "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                value=(stat.utime + stat.stime) / USER_HZ))
            families.append(GaugeMetricFamily(
                "process_virtual_memory_bytes", "Virtual memory size in bytes.", value=float(stat.vsize)))
            families.append(GaugeMetricFamily(
                "process_resident_memory_bytes", "Resident memory size in bytes.", value=float(stat.rss * PAGE_SIZE)))
            if self._boot_time is not None:
                families.append(GaugeMetricFamily(
                    "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                    value=self._boot_time + stat.starttime / USER_HZ))
        try:
            fd_directory = self._fd_directory
            open_fds = os.stat(fd_directory).st_size if self._fd_size_counts else len(os.listdir(fd_directory))
        except OSError:
            pass
        else:
            families.append(GaugeMetricFamily(
                "process_open_fds", "Number of open file descriptors.", value=float(open_fds)))
        try:
            self._limits.rotate()
            limits = self._limits(read_text(f"{self._self}/limits"))
        except (OSError, CollectorError):
            pass
        else:
            max_fds, max_address_space = limits.get("Max open files"), limits.get("Max address space")
            if max_fds is not None:
                families.append(GaugeMetricFamily(
                    "process_max_fds", "Maximum number of open file descriptors.", value=float(max_fds)))
            if max_address_space is not None:
                families.append(GaugeMetricFamily(
                    "process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
                    value=float(max_address_space)))
        try:
            received, transmitted = parse_netstat_octets(decode(read_generated(f"{self._self}/net/netstat")))
        except (OSError, CollectorError):
            return families
        families.append(CounterMetricFamily(
            "process_network_receive_bytes_total", "Number of bytes received by the process over the network.",
            value=received))
        families.append(CounterMetricFamily(
            "process_network_transmit_bytes_total", "Number of bytes sent by the process over the network.",
            value=transmitted))
        return families


# prometheus-client's GCCollector's families: name, HELP, and the gc.get_stats() key of each.
_GC_FAMILIES = (
    ("python_gc_objects_collected", "Objects collected during gc", "collected"),
    ("python_gc_objects_uncollectable", "Uncollectable objects found during GC", "uncollectable"),
    ("python_gc_collections", "Number of times this generation was collected", "collections"),
)


class GCMetrics:
    """python_gc_*_total by generation, as prometheus-client's GCCollector gives them."""

    def collect(self) -> list[CounterMetricFamily]:
        families = [CounterMetricFamily(name, help_text, labels=["generation"]) for name, help_text, _ in _GC_FAMILIES]
        for generation, stats in enumerate(gc.get_stats()):
            labels = [str(generation)]
            for family, (_, _, key) in zip(families, _GC_FAMILIES, strict=True):
                family.add_metric(labels, float(stats[key]))
        return families
