"""vmstat: selected /proc/vmstat counters, untyped, as node_exporter's vmstat collector
(collector/vmstat_linux.go)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import UnknownMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, parse_chosen_floats


def _one_pair_per_line(text: str) -> tuple[list[str], list[str]] | None:
    """Names and value texts when TEXT is lines of exactly `name value`, as the kernel prints
    /proc/vmstat; otherwise None. Split in one call instead of line by line: the pairs that split
    finds, printed back one `name value` line each, are TEXT only when every line holds exactly
    those two fields."""
    fields = text.split()
    names, texts = fields[0::2], fields[1::2]
    if "\n".join(map(" ".join, zip(names, texts, strict=False))) + "\n" != text:
        return None
    return names, texts


def split_vmstat(text: str) -> tuple[list[str], list[str]]:
    """The name and the value text of every `name value` line, in file order."""
    pairs = _one_pair_per_line(text)
    if pairs is not None:
        return pairs
    names, texts = [], []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2:
            raise CollectorError(f"invalid line in vmstat: {line[:80]!r}")
        names.append(parts[0])
        texts.append(parts[1])
    return names, texts


def parse_vmstat(text: str) -> tuple[list[str], list[float]]:
    """The name and value of every `name value` line, in file order; every value, selected or
    not, through strconv.ParseFloat, as node_exporter parses each line before it filters."""
    names, texts = split_vmstat(text)
    return names, vmstat_values(texts, range(len(texts)))


def vmstat_values(texts: Sequence[str], chosen: Sequence[int]) -> list[float]:
    """The values at CHOSEN of a file's value TEXTS, once every one of them is known to parse."""
    try:
        return parse_chosen_floats(texts, chosen)
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
        # The families the file's names make, by position: they depend on the names alone (and
        # the fields flag, fixed for the collector's life), which recur every scrape.
        self._chosen: RecurringMemo[tuple[str, ...], tuple[list[int], list[tuple[str, str]]]] = RecurringMemo(
            self._choose)

    def collect(self) -> Iterable[Metric]:
        names, texts = split_vmstat(read_text(self.paths.proc("vmstat")))
        self._chosen.rotate()
        positions, families = self._chosen(tuple(names))
        for value, (name, help_text) in zip(vmstat_values(texts, positions), families, strict=True):
            yield UnknownMetricFamily(name, help_text, value=value)

    def _choose(self, names: tuple[str, ...]) -> tuple[list[int], list[tuple[str, str]]]:
        """The positions, and the family name and HELP, of the first line of each name the fields
        flag selects: of a name that recurs, the first line is reported, as node_exporter serves it."""
        positions: list[int] = []
        families: list[tuple[str, str]] = []
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                continue
            seen.add(name)
            # node_exporter searches (unanchored), like Go's MatchString.
            if self.fields is None or self.fields.search(name):
                positions.append(index)
                families.append((f"node_vmstat_{name}", f"/proc/vmstat information field {name}."))
        return positions, families
