"""stat: kernel and system counters from /proc/stat, as node_exporter's stat collector
(collector/stat_linux.go) over procfs's stat.go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.procstat import SOFTIRQ_VECTORS, check_stat_cpus, parse_kernel_stat


@dataclass(frozen=True, slots=True)
class StatOptions:
    softirq: bool = flag("softirq", "Export softirq calls per vector", False)


@collector("stat", options=StatOptions)
class StatCollector(Collector[StatOptions]):
    # psutil reads a process-global procfs root, so /proc/stat is parsed through self.paths.
    def __init__(self, ctx: CollectorContext[StatOptions]) -> None:
        super().__init__(ctx)
        self.path = self.paths.proc("stat")

    def collect(self) -> Iterable[Metric]:
        text = read_text(self.path)
        stat = parse_kernel_stat(text)
        # procfs's Stat fails on any line of the file, so node_exporter's stat collector does too.
        check_stat_cpus(text)
        yield CounterMetricFamily(
            "node_intr_total", "Total number of interrupts serviced.", value=stat.interrupts
        )
        yield CounterMetricFamily(
            "node_context_switches_total", "Total number of context switches.", value=stat.context_switches
        )
        yield CounterMetricFamily("node_forks_total", "Total number of forks.", value=stat.forks)
        yield GaugeMetricFamily(
            "node_boot_time_seconds", "Node boot time, in unixtime.", value=stat.boot_time
        )
        yield GaugeMetricFamily(
            "node_procs_running", "Number of processes in runnable state.", value=stat.procs_running
        )
        yield GaugeMetricFamily(
            "node_procs_blocked",
            "Number of processes blocked waiting for I/O to complete.",
            value=stat.procs_blocked,
        )
        if self.options.softirq:
            softirqs = CounterMetricFamily(
                "node_softirqs_total", "Number of softirq calls.", labels=["vector"]
            )
            # Without a softirq line procfs reports every vector as 0.
            for vector in SOFTIRQ_VECTORS:
                softirqs.add_metric([vector], stat.softirqs.get(vector, 0))
            yield softirqs
