"""vmstat: selected /proc/vmstat counters, untyped, as node_exporter's vmstat collector
(collector/vmstat_linux.go)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import UnknownMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_floats


def parse_vmstat(text: str) -> list[tuple[str, float]]:
    """(field, value) for every `name value` line, in file order; every value, selected or not,
    through strconv.ParseFloat, as node_exporter parses each line before it filters."""
    names: list[str] = []
    texts: list[str] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2:
            raise CollectorError(f"invalid line in vmstat: {line[:80]!r}")
        names.append(parts[0])
        texts.append(parts[1])
    try:
        return list(zip(names, parse_floats(texts), strict=True))
    except NumberError as err:
        raise CollectorError(f"invalid value in vmstat: {err}") from None


@dataclass(frozen=True, slots=True)
class VmstatOptions:
    fields: re.Pattern[str] | None = flag(
        "fields",
        "Regexp of fields to return for vmstat collector.",
        "^(oom_kill|pgpg|pswp|pg.*fault).*")


@collector("vmstat", options=VmstatOptions)
class VmstatCollector(Collector[VmstatOptions]):
    def __init__(self, ctx: CollectorContext[VmstatOptions]) -> None:
        super().__init__(ctx)
        # An empty flag selects every field, as an empty Go regexp matches anything.
        self.fields = self.options.fields

    def collect(self) -> Iterable[Metric]:
        seen: set[str] = set()
        for name, value in parse_vmstat(read_text(self.paths.proc("vmstat"))):
            # node_exporter searches (unanchored), like Go's MatchString.
            if name in seen or (self.fields is not None and not self.fields.search(name)):
                continue
            seen.add(name)
            yield UnknownMetricFamily(
                f"node_vmstat_{name}", f"/proc/vmstat information field {name}.", value=value
            )
