"""entropy: the kernel entropy pool from /proc/sys/kernel/random."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text


def parse_bits(name: str, text: str) -> int:
    """One unsigned integer file such as entropy_avail or poolsize."""
    try:
        value = int(text.strip())
    except ValueError:
        raise CollectorError(f"invalid value in {name}: {text[:40]!r}") from None
    if value < 0:
        raise CollectorError(f"invalid value in {name}: {text[:40]!r}")
    return value


@collector("entropy")
class EntropyCollector(Collector[NoOptions]):
    def _read(self, name: str) -> int:
        try:
            text = read_text(self.paths.proc("sys", "kernel", "random", name))
        except FileNotFoundError:
            raise CollectorError(f"couldn't get entropy {name}") from None
        return parse_bits(name, text)

    def collect(self) -> Iterable[Metric]:
        available = self._read("entropy_avail")
        pool_size = self._read("poolsize")
        yield GaugeMetricFamily("node_entropy_available_bits", "Bits of available entropy.", value=available)
        yield GaugeMetricFamily("node_entropy_pool_size_bits", "Bits of entropy pool.", value=pool_size)
