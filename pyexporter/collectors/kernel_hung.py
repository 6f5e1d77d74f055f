"""kernel_hung: /proc/sys/kernel/hung_task_detect_count, as node_exporter's kernel_hung collector."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import read_text


def parse_hung_task_count(text: str) -> int:
    value = text.strip()
    # isdigit() alone also passes digits such as "²" that int() refuses.
    if not (value.isascii() and value.isdigit()):
        raise CollectorError(f"unexpected hung_task_detect_count content: {text[:80]!r}")
    return int(value)


@collector("kernel_hung")
class KernelHungCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.paths.proc("sys", "kernel", "hung_task_detect_count"))
        except FileNotFoundError:
            # Needs CONFIG_DETECT_HUNG_TASK and Linux 6.7 or later.
            return
        yield CounterMetricFamily(
            "node_kernel_hung_tasks_total",
            "Total number of tasks that have been detected as hung since the system booted.",
            value=float(parse_hung_task_count(text)),
        )
