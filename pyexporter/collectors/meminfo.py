"""meminfo: every field of /proc/meminfo, as node_exporter's meminfo collector names it
(collector/meminfo.go for the families, collector/meminfo_linux.go `parseMemInfo` for the file).

Version note: node_exporter up to 1.8 (Debian's 1.5 reference included) emits every line it finds,
new kernel fields (Zswap, SecPageTables, Unaccepted, ...) too; 1.9 moved to procfs's Meminfo
struct and emits only the fields that struct names (Zswap/Zswapped came back in 1.10). We keep
the every-line behaviour: it is a superset, and what the reference binary serves.

Variants followed: `Key: value kB` lines scaled to bytes with `_bytes`, unitless lines
(HugePages_*) bare; `(x)` in a key becomes `_x`; blank lines skipped (CentOS 6 kernels); any other
shape fails the collector (where Go would index out of range on a one-field line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_floats

_PARENS = re.compile(r"\((.*)\)")


def parse_meminfo(text: str) -> dict[str, float]:
    """{metric suffix: value}: `Active(anon):  12 kB` -> `Active_anon_bytes` = 12288.0.

    Lines with a unit (always kB) are scaled to bytes and get `_bytes`; unitless ones
    (HugePages_Total, ...) keep their bare name. A repeated key keeps its last value.
    """
    keys: list[str] = []
    texts: list[str] = []
    scales: list[int] = []
    for line in text.splitlines():
        parts = line.split()
        # Some old kernels emit blank lines here.
        if not parts:
            continue
        count = len(parts)
        key = parts[0]
        if count not in (2, 3) or not key.endswith(":"):
            raise CollectorError(f"invalid line in meminfo: {line[:80]!r}")
        key = key[:-1]
        if "(" in key:  # a few keys: re.sub costs more than the rest of a line
            key = _PARENS.sub(r"_\1", key)
        if count == 3:
            keys.append(key + "_bytes")
            scales.append(1024)
        else:
            keys.append(key)
            scales.append(1)
        texts.append(parts[1])
    try:
        values = parse_floats(texts)
    except NumberError as err:
        raise CollectorError(f"invalid value in meminfo: {err}") from None
    return {key: value * scale for key, value, scale in zip(keys, values, scales, strict=True)}


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
