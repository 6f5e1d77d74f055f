"""entropy: the kernel entropy pool from /proc/sys/kernel/random, as node_exporter's entropy
collector (collector/entropy_linux.go; procfs kernel_random.go, which reads each file with
util.ReadUintFromFile)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.numbers import read_uint_file


@collector("entropy")
class EntropyCollector(Collector[NoOptions]):
    def _read(self, name: str) -> int:
        try:
            return read_uint_file(self.paths.proc("sys", "kernel", "random", name))
        except FileNotFoundError:
            raise CollectorError(f"couldn't get entropy {name}") from None

    def collect(self) -> Iterable[Metric]:
        available = self._read("entropy_avail")
        pool_size = self._read("poolsize")
        yield GaugeMetricFamily("node_entropy_available_bits", "Bits of available entropy.", value=available)
        yield GaugeMetricFamily("node_entropy_pool_size_bits", "Bits of entropy pool.", value=pool_size)
