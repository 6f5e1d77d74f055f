"""interrupts: /proc/interrupts per CPU, as node_exporter's interrupts collector
(collector/interrupts_linux.go)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.filters import DeviceFilter
from pyexporter.toolkit.numbers import NumberError, parse_float, parse_int


class Interrupt(NamedTuple):
    name: str
    info: str
    devices: str
    values: tuple[str, ...]


def _is_number(name: str) -> bool:
    """Whether node_exporter takes NAME for a numbered interrupt: strconv.Atoi accepts it."""
    try:
        parse_int(name)
    except NumberError:
        return False
    return True


def parse_interrupts(text: str) -> dict[str, Interrupt]:
    """Rows of /proc/interrupts keyed by name; values stay text until they are used.

    Rows with fewer columns than CPUs plus one (ERR, MIS) are skipped, as node_exporter does.
    """
    lines = text.splitlines()
    if not lines:
        raise CollectorError("/proc/interrupts is empty")
    cpus = len(lines[0].split())
    found: dict[str, Interrupt] = {}
    for line in lines[1:]:
        # Split on the first colon before splitting fields: aarch64 may print no space after it.
        name, sep, rest = line.partition(":")
        if not sep:
            continue
        parts = rest.split()
        if len(parts) < cpus + 1:
            continue
        name = name.lstrip(" ")
        values = tuple(parts[:cpus])
        if _is_number(name):
            found[name] = Interrupt(name, parts[cpus], " ".join(parts[cpus + 1:]), values)
        else:
            found[name] = Interrupt(name, " ".join(parts[cpus:]), "", values)
    return found


@dataclass(frozen=True, slots=True)
class InterruptsOptions:
    name_include: re.Pattern[str] | None = flag(
        "name-include",
        "Regexp of interrupts name to include (mutually exclusive to --collector.interrupts.name-exclude).",
        "")
    name_exclude: re.Pattern[str] | None = flag(
        "name-exclude",
        "Regexp of interrupts name to exclude (mutually exclusive to --collector.interrupts.name-include).",
        "")
    include_zeros: bool = flag("include-zeros", "Include interrupts that have a zero value", True)


@collector("interrupts", default=False, options=InterruptsOptions)
class InterruptsCollector(Collector[InterruptsOptions]):
    def __init__(self, ctx: CollectorContext[InterruptsOptions]) -> None:
        super().__init__(ctx)
        self.filter = DeviceFilter(self.options.name_exclude, self.options.name_include)
        self.include_zeros: bool = self.options.include_zeros

    def collect(self) -> Iterable[Metric]:
        interrupts = parse_interrupts(read_text(self.paths.proc("interrupts")))
        family = CounterMetricFamily(
            "node_interrupts_total", "Interrupt details.", labels=["cpu", "type", "info", "devices"]
        )
        for intr in interrupts.values():
            # The filter sees name, info and devices together, so any of them can be matched.
            if self.filter.ignored(f"{intr.name};{intr.info};{intr.devices}"):
                continue
            for cpu, text in enumerate(intr.values):
                try:
                    value = parse_float(text)
                except NumberError as err:
                    raise CollectorError(f"invalid value {text!r} in /proc/interrupts: {err}") from None
                if value == 0.0 and not self.include_zeros:
                    continue
                family.add_metric([str(cpu), intr.name, intr.info, intr.devices], value)
        if family.samples:
            yield family
