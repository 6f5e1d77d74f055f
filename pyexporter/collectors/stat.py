"""stat: kernel and system counters from /proc/stat, as node_exporter's stat collector
(collector/stat_linux.go) over procfs's stat.go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, check_uints, parse_uint, short_decimal_fields

# The kernel's order of the per-vector counts after the total on the `softirq` line.
SOFTIRQ_VECTORS = (
    "hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "tasklet", "sched", "hrtimer", "rcu",
)


@dataclass(slots=True)
class KernelStat:
    # Lines missing from the file read as 0, as procfs leaves them.
    boot_time: int = 0
    context_switches: int = 0
    forks: int = 0
    interrupts: int = 0
    procs_running: int = 0
    procs_blocked: int = 0
    softirqs: dict[str, int] = field(default_factory=dict)


_SCALARS = {
    "btime": "boot_time",
    "ctxt": "context_switches",
    "processes": "forks",
    "intr": "interrupts",
    "procs_running": "procs_running",
    "procs_blocked": "procs_blocked",
}


def parse_stat(text: str) -> KernelStat:
    """The /proc/stat lines the stat collector exports (cpu lines belong to the cpu collector).

    Each value is strconv.ParseUint(text, 10, 64), as procfs parses the scalar lines and every
    per-IRQ count of the intr line; the softirq line, which procfs reads with fmt.Sscanf `%d`s, must
    hold the total and every vector likewise. (procfs parses the cpu lines here too; the cpu
    collector parses them, so a bad one fails that collector rather than this one.)
    """
    stat = KernelStat()
    for line in text.splitlines():
        # The key alone first: the cpu lines, one a CPU, are the cpu collector's.
        head = line.split(None, 1)
        if len(head) < 2:
            continue
        key = head[0]
        try:
            if key == "intr" and short_decimal_fields(head[1]):
                # Hundreds of per-IRQ counts, checked as one text rather than one by one.
                stat.interrupts = parse_uint(head[1].partition(" ")[0])
            elif key in _SCALARS:
                values = head[1].split()
                setattr(stat, _SCALARS[key], parse_uint(values[0]))
                if key == "intr":
                    # Only the total is reported, but procfs parses every per-IRQ count too.
                    check_uints(values[1:])
            elif key == "softirq":
                # The total, then one count per vector; more fields are ignored, as Sscanf does.
                counts = [parse_uint(value) for value in head[1].split()[:1 + len(SOFTIRQ_VECTORS)]]
                if len(counts) <= len(SOFTIRQ_VECTORS):
                    raise CollectorError(f"couldn't parse {line[:80]!r} (softirq) in /proc/stat: unexpected EOF")
                stat.softirqs = dict(zip(SOFTIRQ_VECTORS, counts[1:], strict=True))
        except NumberError as err:
            raise CollectorError(f"couldn't parse {line[:80]!r} ({key}) in /proc/stat: {err}") from None
    return stat


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
        stat = parse_stat(read_text(self.path))
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
