"""meminfo: every field of /proc/meminfo, as node_exporter's meminfo collector names it
(collector/meminfo_linux.go, parseMemInfo)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_float

_PARENS = re.compile(r"\((.*)\)")


def parse_meminfo(text: str) -> dict[str, float]:
    """{metric suffix: value}: `Active(anon):  12 kB` -> `Active_anon_bytes` = 12288.0.

    Lines with a unit (always kB) are scaled to bytes and get `_bytes`; unitless ones
    (HugePages_Total, ...) keep their bare name. A repeated key keeps its last value.
    """
    fields: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        # Some old kernels emit blank lines here.
        if not parts:
            continue
        if len(parts) not in (2, 3) or not parts[0].endswith(":"):
            raise CollectorError(f"invalid line in meminfo: {line[:80]!r}")
        try:
            value = parse_float(parts[1])
        except NumberError as err:
            raise CollectorError(f"invalid value in meminfo: {err}") from None
        key = _PARENS.sub(r"_\1", parts[0][:-1])
        if len(parts) == 3:
            value *= 1024
            key += "_bytes"
        fields[key] = value
    return fields


@collector("meminfo")
class MeminfoCollector(Collector[NoOptions]):
    # psutil drops most meminfo lines and cannot follow a per-collector procfs root, so parse it.
    def collect(self) -> Iterable[Metric]:
        for key, value in parse_meminfo(read_text(self.paths.proc("meminfo"))).items():
            name = f"node_memory_{key}"
            help_text = f"Memory information field {key}."
            if key.endswith("_total"):
                yield CounterMetricFamily(name, help_text, value=value)
            else:
                yield GaugeMetricFamily(name, help_text, value=value)
