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

from collections.abc import Iterable
from operator import itemgetter
from typing import NoReturn

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily, underscore_parenthesized
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, parse_floats

# The first fields of the file's non-blank lines, and how many fields each line has: what decides
# which metric each line's value becomes (meminfo_layout).
MeminfoShape = tuple[tuple[str, ...], tuple[int, ...]]
# (line, metric suffix, scale) of each metric, in the order of the keys' first lines.
MeminfoLayout = list[tuple[int, str, int]]

_first = itemgetter(0)
_second = itemgetter(1)


def meminfo_rows(text: str) -> list[list[str]]:
    """The fields of each line of TEXT; blank lines, which some old kernels emit, dropped."""
    return list(filter(None, map(str.split, text.splitlines())))


def meminfo_shape(rows: list[list[str]]) -> MeminfoShape:
    return tuple(map(_first, rows)), tuple(map(len, rows))


def meminfo_layout(shape: MeminfoShape) -> MeminfoLayout | None:
    """Where each metric's value is, for lines of these first fields and field counts; None when
    a line is not `Key: value` or `Key: value unit` (raise_invalid_line then names it).

    Lines with a unit (always kB) are scaled to bytes and get `_bytes`; unitless ones
    (HugePages_Total, ...) keep their bare name. A repeated key keeps its last value, at the place
    of its first (as a Go map, then sorted, or a Python dict assigned in turn)."""
    keys, widths = shape
    if not set(widths) <= {2, 3}:
        return None
    fields: dict[str, tuple[int, int]] = {}
    for index, (key, width) in enumerate(zip(keys, widths, strict=True)):
        if not key.endswith(":"):
            return None
        key = key[:-1]
        if "(" in key:  # a few keys have one
            key = underscore_parenthesized(key)
        if width == 3:
            fields[key + "_bytes"] = (index, 1024)
        else:
            fields[key] = (index, 1)
    return [(index, key, scale) for key, (index, scale) in fields.items()]


def raise_invalid_line(text: str) -> NoReturn:
    """CollectorError naming the first line of TEXT that meminfo_layout refuses."""
    for line in text.splitlines():
        parts = line.split()
        if parts and (len(parts) not in (2, 3) or not parts[0].endswith(":")):
            raise CollectorError(f"invalid line in meminfo: {line[:80]!r}")
    raise AssertionError("meminfo_layout refused lines that are all valid")


def meminfo_values(rows: list[list[str]]) -> list[float]:
    """Each line's value, through strconv.ParseFloat (rows of a layout that meminfo_layout gave)."""
    try:
        return parse_floats(list(map(_second, rows)))
    except NumberError as err:
        raise CollectorError(f"invalid value in meminfo: {err}") from None


def parse_meminfo(text: str) -> dict[str, float]:
    """{metric suffix: value}: `Active(anon):  12 kB` -> `Active_anon_bytes` = 12288.0 (see
    meminfo_layout)."""
    rows = meminfo_rows(text)
    layout = meminfo_layout(meminfo_shape(rows))
    if layout is None:
        raise_invalid_line(text)
    values = meminfo_values(rows)
    return {key: values[index] * scale for index, key, scale in layout}


# (line, family name, HELP, family type, scale) of each metric.
_Plan = list[tuple[int, str, str, type[GaugeMetricFamily] | type[CounterMetricFamily], int]]


@collector("meminfo")
class MeminfoCollector(Collector[NoOptions]):
    # psutil drops most meminfo lines and cannot follow a per-collector procfs root, so parse it.
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        # The families the file's lines make depend on the lines' keys and field counts alone,
        # which recur every scrape (the kernel prints the same lines in the same order).
        self._plans: RecurringMemo[MeminfoShape, _Plan | None] = RecurringMemo(self._plan)

    def collect(self) -> Iterable[Metric]:
        text = read_text(self.paths.proc("meminfo"))
        rows = meminfo_rows(text)
        self._plans.rotate()
        plan = self._plans(meminfo_shape(rows))
        if plan is None:
            raise_invalid_line(text)
        values = meminfo_values(rows)
        # One by one: the families before one whose name is refused are still served.
        for index, name, help_text, family, scale in plan:
            yield family(name, help_text, value=values[index] * scale)

    @staticmethod
    def _plan(shape: MeminfoShape) -> _Plan | None:
        layout = meminfo_layout(shape)
        if layout is None:
            return None
        return [
            (index, f"node_memory_{key}", f"Memory information field {key}.",
             CounterMetricFamily if key.endswith("_total") else GaugeMetricFamily, scale)
            for index, key, scale in layout
        ]
