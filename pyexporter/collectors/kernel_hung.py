"""kernel_hung: /proc/sys/kernel/hung_task_detect_count, as node_exporter's kernel_hung collector
(collector/kernel_hung_linux.go, over procfs's kernel_hung.go)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_uint, read_value_text


def parse_hung_task_count(text: str) -> int:
    """The file's text, trimmed, as strconv.ParseUint(text, 10, 64), as procfs reads it."""
    try:
        return parse_uint(go_trim_space(text))
    except NumberError as err:
        raise CollectorError(f"unexpected hung_task_detect_count content: {err}") from None


@collector("kernel_hung")
class KernelHungCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        try:
            text = read_value_text(self.paths.proc("sys", "kernel", "hung_task_detect_count"))
        except FileNotFoundError:
            # Needs CONFIG_DETECT_HUNG_TASK and Linux 6.7 or later.
            raise NoDataError("hung_task_detect_count does not exist") from None
        yield CounterMetricFamily(
            "node_kernel_hung_tasks_total",
            "Total number of tasks that have been detected as hung since the system booted.",
            value=float(parse_hung_task_count(text)),
        )
