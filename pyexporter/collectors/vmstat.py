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
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, parse_floats

# The ASCII characters str.split() separates on besides space and newline.
_OTHER_SEPARATORS = re.compile(r"[\t\r\x0b\x0c\x1c-\x1f]")


def _one_pair_per_line(text: str) -> tuple[list[str], list[str]] | None:
    """Names and value texts when TEXT is lines of exactly `name value`, as the kernel writes
    /proc/vmstat; otherwise None. Split in one call instead of line by line: every line ends in a
    newline and holds one space and no other separator, so no line has more than two fields, and
    twice as many fields as lines means every line has two."""
    lines = text.count("\n")
    if not text.endswith("\n") or not text.isascii() or _OTHER_SEPARATORS.search(text) or text.count(" ") != lines:
        return None
    fields = text.split()
    if len(fields) != 2 * lines:
        return None
    return fields[0::2], fields[1::2]


def parse_vmstat(text: str) -> list[tuple[str, float]]:
    """(field, value) for every `name value` line, in file order; every value, selected or not,
    through strconv.ParseFloat, as node_exporter parses each line before it filters."""
    pairs = _one_pair_per_line(text)
    if pairs is not None:
        names, texts = pairs
    else:
        names, texts = [], []
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
        # field -> (family name, HELP), or None when the fields regex leaves it out: the flag is
        # fixed for the collector's life, so the answer for a name is too.
        self._selected: RecurringMemo[str, tuple[str, str] | None] = RecurringMemo(self._select)

    def collect(self) -> Iterable[Metric]:
        selected = self._selected
        selected.rotate()
        seen: set[str] = set()
        for name, value in parse_vmstat(read_text(self.paths.proc("vmstat"))):
            family = selected(name)
            if family is None or name in seen:
                continue
            seen.add(name)
            yield UnknownMetricFamily(family[0], family[1], value=value)

    def _select(self, name: str) -> tuple[str, str] | None:
        # node_exporter searches (unanchored), like Go's MatchString.
        if self.fields is not None and not self.fields.search(name):
            return None
        return f"node_vmstat_{name}", f"/proc/vmstat information field {name}."

