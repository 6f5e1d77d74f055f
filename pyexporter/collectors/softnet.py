"""softnet: per-CPU packet processing counters from /proc/net/softnet_stat, as node_exporter's
softnet collector (collector/softnet_linux.go) over procfs's net_softnet.go (parseSoftnet,
parseHexUint32s; its cases in net_softnet_test.go)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily, add_row
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_uints


class SoftnetStat(NamedTuple):
    cpu: int
    processed: int
    dropped: int
    time_squeezed: int
    cpu_collision: int
    received_rps: int
    flow_limit_count: int
    backlog_len: int


def parse_softnet(text: str) -> list[SoftnetStat]:
    """Parse hex columns, one row per CPU, as procfs's parseSoftnet. The column set grew with the
    kernel: 9 columns (2.6.23), 10 (2.6.39: received_rps), 11 (4.18: flow_limit_count), 13+
    (5.14: backlog_len, cpu index); without an index column the row number is the CPU. Only the
    columns a width defines are parsed (a 12-column row's 12th column is not). A blank line is
    a row of no columns, refused as any row narrower than 9."""
    stats: list[SoftnetStat] = []
    for row, line in enumerate(text.splitlines()):
        columns = line.split()
        width = len(columns)
        if width < 9:
            raise CollectorError(f"{width} softnet_stat columns, at least 9 expected")
        used = columns[:13 if width >= 13 else min(width, 11)]
        try:
            v = parse_uints(used, 32, base=16)  # strconv.ParseUint(c, 16, 32) of each
        except NumberError as err:
            raise CollectorError(f"invalid value in softnet_stat line: {line[:80]!r}: {err}") from None
        has_index = width >= 13
        # Positional: keywords cost a namedtuple more than the rest of the row.
        stats.append(SoftnetStat(
            v[12] if has_index else row,  # cpu
            v[0], v[1], v[2], v[8],  # processed, dropped, time_squeezed, cpu_collision
            v[9] if width >= 10 else 0,  # received_rps
            v[10] if width >= 11 else 0,  # flow_limit_count
            v[11] if has_index else 0,  # backlog_len
        ))
    return stats


# The counter families, in the order of the values add_row is given below.
_COUNTERS = (
    ("node_softnet_processed", "Number of processed packets"),
    ("node_softnet_dropped", "Number of dropped packets"),
    ("node_softnet_times_squeezed", "Number of times processing packets ran out of quota"),
    ("node_softnet_cpu_collision", "Number of collision occur while obtaining device lock while transmitting"),
    ("node_softnet_received_rps", "Number of times cpu woken up received_rps"),
    ("node_softnet_flow_limit_count", "Number of times flow limit has been reached"),
)


@collector("softnet")
class SoftnetCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.path = self.paths.proc("net", "softnet_stat")

    def collect(self) -> Iterator[Metric]:
        stats = parse_softnet(read_text(self.path))
        families: list[CounterMetricFamily | GaugeMetricFamily] = [
            CounterMetricFamily(name, help_text, labels=["cpu"]) for name, help_text in _COUNTERS
        ]
        families.append(GaugeMetricFamily("node_softnet_backlog_len", "Softnet backlog status", labels=["cpu"]))
        for s in stats:
            add_row(families, [str(s.cpu)],
                    (s.processed, s.dropped, s.time_squeezed, s.cpu_collision, s.received_rps, s.flow_limit_count,
                     s.backlog_len))
        yield from families
