"""schedstat: per-CPU scheduler statistics from /proc/schedstat, as node_exporter's schedstat collector
(collector/schedstat_linux.go) over procfs's schedstat.go (FS.Schedstat).

procfs matches each line against `cpuN` and nine counters, each after one space (unanchored:
more fields may follow), and silently skips every line that does not match: a truncated or
garbled `cpuN` line, one separated by tabs, and a cpu line whose counter overflows a uint64. So
does this collector, so that it serves the CPUs node_exporter serves. A missing file reports
nothing (node_exporter: ErrNoData, success 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, add_row
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_uint

# cpuN followed by nine counters; the last three are running ns, waiting ns and timeslices. ASCII
# digits, as Go's \d.
_CPU_LINE = re.compile(r"cpu([0-9]+)" + r" ([0-9]+)" * 9)

NS_PER_SEC = 1e9


class SchedstatCPU(NamedTuple):
    cpu: str
    running_ns: int
    waiting_ns: int
    timeslices: int


def parse_schedstat(text: str) -> list[SchedstatCPU]:
    cpus: list[SchedstatCPU] = []
    for line in text.splitlines():
        match = _CPU_LINE.search(line)
        if match is None:
            continue
        try:
            cpus.append(SchedstatCPU(match.group(1), parse_uint(match.group(8)), parse_uint(match.group(9)),
                                     parse_uint(match.group(10))))
        except NumberError:
            # procfs skips a cpu line whose counter overflows a uint64.
            continue
    return cpus


@collector("schedstat")
class SchedstatCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.path = self.paths.proc("schedstat")

    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.path)
        except FileNotFoundError:
            raise NoDataError("schedstat file does not exist") from None
        cpus = parse_schedstat(text)
        running = CounterMetricFamily(
            "node_schedstat_running_seconds_total",
            "Number of seconds CPU spent running a process.",
            labels=["cpu"],
        )
        waiting = CounterMetricFamily(
            "node_schedstat_waiting_seconds_total",
            "Number of seconds spent by processing waiting for this CPU.",
            labels=["cpu"],
        )
        timeslices = CounterMetricFamily(
            "node_schedstat_timeslices_total", "Number of timeslices executed by CPU.", labels=["cpu"]
        )
        families = (running, waiting, timeslices)
        for cpu in cpus:
            add_row(families, [cpu.cpu],
                    (cpu.running_ns / NS_PER_SEC, cpu.waiting_ns / NS_PER_SEC, float(cpu.timeslices)))
        if cpus:
            yield from families
