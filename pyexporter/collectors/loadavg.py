"""loadavg: /proc/loadavg, as node_exporter's loadavg collector (collector/loadavg_linux.go, over
procfs's loadavg.go)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.numbers import NumberError, parse_float, read_value_text


def parse_loadavg(text: str) -> tuple[float, float, float]:
    fields = text.split()
    if len(fields) < 3:
        raise CollectorError(f"unexpected /proc/loadavg content: {text[:80]!r}")
    try:
        return parse_float(fields[0]), parse_float(fields[1]), parse_float(fields[2])
    except NumberError as err:
        raise CollectorError(f"unexpected /proc/loadavg content: {err}") from None


@collector("loadavg")
class LoadavgCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        loads = parse_loadavg(read_value_text(self.paths.proc("loadavg")))
        for minutes, value in zip((1, 5, 15), loads, strict=True):
            yield GaugeMetricFamily(f"node_load{minutes}", f"{minutes}m load average.", value=value)
