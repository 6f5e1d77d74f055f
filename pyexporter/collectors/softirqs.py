"""softirqs: /proc/softirqs per CPU, as node_exporter's softirqs collector (collector/softirqs_linux.go)
over procfs's softirqs.go."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_uint

# The vectors node_exporter knows; rows the kernel adds later are not reported, as upstream.
SOFTIRQ_TYPES = ("HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU")
_ROW_TYPES = {f"{name}:": name for name in SOFTIRQ_TYPES}


def parse_softirqs(text: str) -> dict[str, list[int]]:
    """{vector: per-CPU counts} for the known vectors present in /proc/softirqs."""
    lines = text.splitlines()
    if not lines:
        raise CollectorError("/proc/softirqs is empty")
    found: dict[str, list[int]] = {}
    for line in lines[1:]:
        parts = line.split()
        if len(parts) < 2:
            continue
        kind = _ROW_TYPES.get(parts[0])
        if kind is None:
            continue
        counts: list[int] = []
        for cpu, field in enumerate(parts[1:]):
            try:
                counts.append(parse_uint(field))
            except NumberError as err:
                raise CollectorError(f"couldn't parse {field[:40]!r} ({kind}{cpu}) in /proc/softirqs: {err}") from None
        found[kind] = counts
    return found


@collector("softirqs", default=False)
class SoftirqsCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        softirqs = parse_softirqs(read_text(self.paths.proc("softirqs")))
        family = CounterMetricFamily(
            "node_softirqs_functions_total", "Softirq counts per CPU.", labels=["cpu", "type"]
        )
        for kind in SOFTIRQ_TYPES:
            for cpu, value in enumerate(softirqs.get(kind, ())):
                family.add_metric([str(cpu), kind], float(value))
        if family.samples:
            yield family
