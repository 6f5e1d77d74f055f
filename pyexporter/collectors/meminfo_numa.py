"""meminfo_numa: per-NUMA-node meminfo and numastat from /sys/devices/system/node, as
node_exporter's meminfo_numa collector (collector/meminfo_numa_linux.go; off by default)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import FamilyIndex, underscore_parenthesized
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import NumberError, parse_float

_NODE_DIR = re.compile(r"node([0-9]*)")


class NumaValue(NamedTuple):
    metric: str
    node: str
    value: float
    counter: bool


def parse_node_meminfo(text: str) -> list[NumaValue]:
    """Lines such as `Node 0 Active(anon):  691324 kB`; kB values in bytes."""
    values: list[NumaValue] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (4, 5) or (len(parts) == 5 and parts[4] != "kB"):
            raise CollectorError(f"invalid line in node meminfo: {line[:80]!r}")
        try:
            value = parse_float(parts[3])
        except NumberError as err:
            raise CollectorError(f"invalid value in node meminfo: {err}") from None
        if len(parts) == 5:
            value *= 1024
        # Active(anon) -> Active_anon, as node_exporter names it.
        metric = parts[2].rstrip(":")
        if "(" in metric:  # a few keys have one
            metric = underscore_parenthesized(metric)
        values.append(NumaValue(metric, parts[1], value, False))
    return values


def parse_numastat(text: str, node: str) -> list[NumaValue]:
    """`numa_hit 12345` lines; each is a counter, named with a `_total` suffix."""
    values: list[NumaValue] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise CollectorError(f"numastat line does not have 2 fields: {line[:80]!r}")
        try:
            value = parse_float(parts[1])
        except NumberError as err:
            raise CollectorError(f"invalid value in numastat: {err}") from None
        values.append(NumaValue(parts[0] + "_total", node, value, True))
    return values


@collector("meminfo_numa", default=False)
class MeminfoNumaCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("devices", "system", "node")
        values: list[NumaValue] = []
        for entry in list_dir(base):
            # The same selection as a node[0-9]* glob: the number may be followed by anything.
            if not (entry.startswith("node") and entry[4:5].isdigit()):
                continue
            node_dir = os.path.join(base, entry)
            values.extend(parse_node_meminfo(read_text(os.path.join(node_dir, "meminfo"))))
            match = _NODE_DIR.match(entry)
            assert match is not None
            values.extend(parse_numastat(read_text(os.path.join(node_dir, "numastat")), match.group(1)))

        families = FamilyIndex()
        for v in values:
            name = f"node_memory_numa_{v.metric}"
            help_text = f"Memory information field {v.metric}."
            if v.counter:
                families.counter(name, help_text, ["node"]).add_metric([v.node], v.value)
            else:
                families.gauge(name, help_text, ["node"]).add_metric([v.node], v.value)
        return families.families()
