"""sysctl: chosen /proc/sys values as metrics, as node_exporter's sysctl collector
(collector/sysctl_linux.go) over procfs's proc_sys.go.

`--collector.sysctl.include=NAME` exposes a numeric sysctl as node_sysctl_NAME (one sample, or
one per value with an `index` label); `NAME:key1,key2,...` names each value instead, one
metric per key. `--collector.sysctl.include-info=NAME` exposes string values as node_sysctl_info.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily, UnknownMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_int

_INVALID_METRIC_CHARS = re.compile(r"[^a-zA-Z0-9_]")


class SysctlSpec(NamedTuple):
    name: str
    keys: tuple[str, ...]
    numeric: bool

    @property
    def metric_name(self) -> str:
        return "node_sysctl_" + _INVALID_METRIC_CHARS.sub("_", self.name)


def parse_sysctl_spec(text: str, numeric: bool) -> SysctlSpec:
    """`name` or `name:key1,key2,...`."""
    name, sep, keys = text.partition(":")
    return SysctlSpec(name, tuple(keys.split(",")) if sep else (), numeric)


def sysctl_path(name: str) -> tuple[str, ...]:
    """`net.ipv4.ip_forward` -> ("sys", "net", "ipv4", "ip_forward") below procfs."""
    return ("sys", *name.split("."))


def parse_sysctl_ints(name: str, text: str) -> list[int]:
    """procfs's SysctlInts: each field as util.ValueParser.Int reads it, strconv.ParseInt(field, 0, 64)."""
    values: list[int] = []
    for i, field in enumerate(text.split()):
        try:
            values.append(parse_int(field, 0))
        except NumberError as err:
            raise CollectorError(f"field {i} in sysctl {name} is not a valid int: {err}") from None
    return values


@dataclass(frozen=True, slots=True)
class SysctlOptions:
    include: tuple[str, ...] = flag("include", "Select sysctl metrics to include", ())
    include_info: tuple[str, ...] = flag("include-info", "Select sysctl metrics to include as info metrics", ())


@collector("sysctl", default=False, options=SysctlOptions)
class SysctlCollector(Collector[SysctlOptions]):
    def __init__(self, ctx: CollectorContext[SysctlOptions]) -> None:
        super().__init__(ctx)
        self.sysctls: list[SysctlSpec] = [parse_sysctl_spec(s, True) for s in self.options.include]
        self.sysctls += [parse_sysctl_spec(s, False) for s in self.options.include_info]

    def collect(self) -> Iterable[Metric]:
        # Every string sysctl shares one info family, as in node_exporter.
        info = GaugeMetricFamily("node_sysctl_info", "sysctl info", labels=["name", "value", "index"])
        for spec in self.sysctls:
            text = read_text(self.paths.proc(*sysctl_path(spec.name)))
            if spec.numeric:
                yield from self._numeric(spec, parse_sysctl_ints(spec.name, text))
                continue
            fields = text.split()
            _check_count(spec, len(fields))
            if spec.keys:
                raise CollectorError("mapped sysctl string values not supported")
            for index, field in enumerate(fields):
                info.add_metric([spec.name, field, str(index)], 1.0)
        if info.samples:
            yield info

    @staticmethod
    def _numeric(spec: SysctlSpec, values: list[int]) -> Iterator[Metric]:
        _check_count(spec, len(values))
        help_text = f"sysctl {spec.name}"
        if len(values) == 1:
            yield UnknownMetricFamily(spec.metric_name, help_text, value=values[0])
        elif not spec.keys:
            family = UnknownMetricFamily(spec.metric_name, help_text, labels=["index"])
            for index, value in enumerate(values):
                family.add_metric([str(index)], value)
            yield family
        else:
            for index, (key, value) in enumerate(zip(spec.keys, values, strict=True)):
                yield UnknownMetricFamily(f"{spec.metric_name}_{key}", f"{help_text}, field {index}", value=value)


def _check_count(spec: SysctlSpec, count: int) -> None:
    """The checks node_exporter makes on the number of values before it builds any metric."""
    if count == 0:
        raise CollectorError(f"sysctl {spec.name} has no values")
    if spec.keys and count == 1:
        raise CollectorError(f"sysctl {spec.name} has only one value, but expected {list(spec.keys)}")
    if spec.keys and count != len(spec.keys):
        raise CollectorError(f"sysctl {spec.name} has {count} keys but only {len(spec.keys)} defined in flag")
