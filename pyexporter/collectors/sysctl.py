"""sysctl: chosen /proc/sys values as metrics, as node_exporter's sysctl collector.

`--collector.sysctl.include=NAME` exposes a numeric sysctl as node_sysctl_NAME (one sample, or
one per value with an `index` label); `NAME:key1,key2,...` names each value instead, one
metric per key. `--collector.sysctl.include-info=NAME` exposes string values as node_sysctl_info.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily, UnknownMetricFamily
from pyexporter.toolkit.files import read_text

_INVALID_METRIC_CHARS = re.compile(r"[^a-zA-Z0-9_]")
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)")


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


def parse_go_int(text: str) -> int:
    """An integer as Go's ParseInt with base 0 reads it (0x.., 0o.., 0b.., leading-0 octal)."""
    match = _GO_INT.fullmatch(text)
    if not match or text.endswith("_"):
        raise ValueError(text)
    sign, digits = match.groups()
    digits = digits.replace("_", "")
    if len(digits) > 1 and digits[0] == "0" and digits[1] not in "xXoObB":
        value = int(digits[1:], 8)
    else:
        value = int(digits, 0)
    return -value if sign == "-" else value


def parse_sysctl_ints(name: str, text: str) -> list[int]:
    values: list[int] = []
    for i, field in enumerate(text.split()):
        try:
            values.append(parse_go_int(field))
        except ValueError:
            raise CollectorError(f"field {i} in sysctl {name} is not a valid int: {field!r}") from None
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
            fields = read_text(self.paths.proc(*sysctl_path(spec.name))).split()
            if not fields:
                raise CollectorError(f"sysctl {spec.name} has no values")
            if len(fields) == 1 and spec.keys:
                raise CollectorError(f"sysctl {spec.name} has only one value, but expected {list(spec.keys)}")
            if not spec.numeric:
                if spec.keys:
                    raise CollectorError("mapped sysctl string values not supported")
                for index, value in enumerate(fields):
                    info.add_metric([spec.name, value, str(index)], 1.0)
                continue
            values = parse_sysctl_ints(spec.name, " ".join(fields))
            if len(values) == 1:
                yield UnknownMetricFamily(spec.metric_name, f"sysctl {spec.name}", value=values[0])
            elif not spec.keys:
                family = UnknownMetricFamily(spec.metric_name, f"sysctl {spec.name}", labels=["index"])
                for index, value in enumerate(values):
                    family.add_metric([str(index)], value)
                yield family
            elif len(values) != len(spec.keys):
                raise CollectorError(
                    f"sysctl {spec.name} has {len(values)} keys but only {len(spec.keys)} defined in flag"
                )
            else:
                for index, (key, value) in enumerate(zip(spec.keys, values, strict=True)):
                    yield UnknownMetricFamily(
                        f"{spec.metric_name}_{key}", f"sysctl {spec.name}, field {index}", value=value
                    )
        if info.samples:
            yield info
