"""swap: one sample set per swap device in /proc/swaps, as node_exporter's swap collector
(collector/swap_linux.go: Update, getSwapInfo) over procfs's swaps.go (Swaps, parseSwaps,
parseSwapString).

procfs reads the file with a bufio.Scanner: the first line (the header, whatever it holds) is
skipped, every later line, blank ones included, must have at least five strings.Fields (fields
past the fifth are ignored), and Size, Used and Priority are strconv.Atoi numbers (base 10, a
sign allowed, no blanks or underscores); any other line fails the collector. A line of 64 KiB or
more is bufio's ErrTooLong, a failure too. Size and Used are KiB; the byte values are the Go int
products `Size*1024`, wrapping at 64 bits as Go's do. A missing /proc/swaps (a kernel without
CONFIG_SWAP) is an error, not node_exporter's ErrNoData, so it fails the collector as upstream.
The device name is reported as the kernel writes it (spaces and tabs escaped as \\040, \\011).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_bytes
from pyexporter.toolkit.numbers import GO_SPACE, NumberError, parse_int

# strings.Fields: runs of Unicode white space separate fields (not \x1c-\x1f, as str.split has it).
_FIELD_SEPARATORS = re.compile(f"[{re.escape(GO_SPACE)}]+")
# bufio.MaxScanTokenSize: the longest line a default Scanner hands out (newline included).
_MAX_LINE = 64 * 1024
_LABELS = ["device", "swap_type"]


class Swap(NamedTuple):
    filename: str
    type: str
    size_kib: int
    used_kib: int
    priority: int


def _go_fields(line: str) -> list[str]:
    return [f for f in _FIELD_SEPARATORS.split(line) if f]


def parse_swap_line(line: str) -> Swap:
    """parseSwapString: one line after the header."""
    fields = _go_fields(line)
    if len(fields) < 5:
        raise CollectorError(f"too few fields in swap string: {line[:200]!r}")
    values = []
    for what, text in (("size", fields[2]), ("used", fields[3]), ("priority", fields[4])):
        try:
            values.append(parse_int(text))
        except NumberError as err:
            raise CollectorError(f"invalid swap {what}: {text[:80]!r}: {err}") from None
    return Swap(fields[0], fields[1], *values)


def parse_swaps(data: bytes) -> list[Swap]:
    """parseSwaps: every line after the first, split as bufio.ScanLines splits (on \\n, one
    trailing \\r dropped, no empty token after a final newline)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    swaps: list[Swap] = []
    for number, raw in enumerate(lines):
        if len(raw) >= _MAX_LINE:
            raise CollectorError("bufio.Scanner: token too long")
        if number == 0:
            continue  # the header
        swaps.append(parse_swap_line(decode(raw.removesuffix(b"\r"))))
    return swaps


def _go_int_times_1024(kib: int) -> int:
    """Go's `int * 1024` on a 64-bit int: wraps."""
    return ((kib * 1024 + (1 << 63)) % (1 << 64)) - (1 << 63)


@collector("swap", default=False)
class SwapCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        path = self.paths.proc("swaps")
        try:
            data = read_bytes(path)
        except OSError as err:
            raise CollectorError(f"couldn't get swap information: {err}") from None
        swaps = parse_swaps(data)
        size = GaugeMetricFamily("node_swap_size_bytes", "Swap device size in bytes.", labels=_LABELS)
        used = GaugeMetricFamily("node_swap_used_bytes", "Swap device used in bytes.", labels=_LABELS)
        priority = GaugeMetricFamily("node_swap_priority", "Swap device priority.", labels=_LABELS)
        for swap in swaps:
            labels = [swap.filename, swap.type]
            size.add_metric(labels, _go_int_times_1024(swap.size_kib))
            used.add_metric(labels, _go_int_times_1024(swap.used_kib))
            priority.add_metric(labels, swap.priority)
        if swaps:
            yield from (size, used, priority)
