"""pressure: pressure stall information from /proc/pressure/*, as node_exporter's pressure collector
(collector/pressure_linux.go, Update) over procfs's proc_psi.go (parsePSIStats).

Variants followed (current upstream, 1.9+): a missing resource file is skipped alone (cpu, io,
memory from 4.20, irq from 6.1); EOPNOTSUPP (CONFIG_PSI without psi=1) ends the collection; a file
lacking its `some` line (irq has none) or its `full` line (cpu needs none) ends it too; lines other
than some/full are ignored; cpu's `full` line (5.13+) is parsed but not reported.
Where upstream returns ErrNoData (no resource file at all, psi disabled, a line missing), so does
this collector (NoDataError), keeping what it sent before.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.numbers import NumberError, parse_float, parse_uint, read_value_text

# fmt.Sscanf's `total=%d` takes the digits after `total=` and leaves the rest of the line unread.
_PSI_LINE = re.compile(
    r"(some|full) avg10=(\S+) avg60=(\S+) avg300=(\S+) total=([0-9]+)"
)

# The line as every kernel writes it (LOAD_INT.LOAD_FRAC averages, a decimal total): numbers that
# float() and int() read exactly as strconv does, none too long for a float64 or a uint64.
_USUAL_PSI_LINE = re.compile(
    r"(some|full) avg10=([0-9]{1,9}\.[0-9]{1,9}) avg60=([0-9]{1,9}\.[0-9]{1,9})"
    r" avg300=([0-9]{1,9}\.[0-9]{1,9}) total=([0-9]{1,19})"
).fullmatch


class PSILine(NamedTuple):
    avg10: float
    avg60: float
    avg300: float
    total: int  # microseconds


class PSIStats(NamedTuple):
    some: PSILine | None
    full: PSILine | None


def parse_psi(text: str) -> PSIStats:
    """One /proc/pressure/<resource> file; lines other than some/full are ignored (future kinds)."""
    found: dict[str, PSILine] = {}
    for line in text.splitlines():
        usual = _USUAL_PSI_LINE(line)
        if usual is not None:
            avg10, avg60, avg300, total = usual.group(2, 3, 4, 5)
            found[usual.group(1)] = PSILine(float(avg10), float(avg60), float(avg300), int(total))
            continue
        kind = line.split(" ", 1)[0]
        if kind not in ("some", "full"):
            continue
        match = _PSI_LINE.match(line)
        if not match:
            raise CollectorError(f"unexpected pressure line: {line[:80]!r}")
        try:
            # procfs reads the line with fmt.Sscanf: `%f` (read as strconv.ParseFloat; no kernel prints
            # the binary exponents fmt would also take) for the averages,
            # `%d` into a uint64 (strconv.ParseUint of the digits, base 10) for the total.
            found[kind] = PSILine(
                parse_float(match.group(2)), parse_float(match.group(3)), parse_float(match.group(4)),
                parse_uint(match.group(5)),
            )
        except NumberError as err:
            raise CollectorError(f"unexpected pressure line: {line[:80]!r}: {err}") from None
    return PSIStats(found.get("some"), found.get("full"))


# (resource, which line, metric suffix, HELP), in node_exporter's order.
_SERIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "cpu": (("some", "cpu_waiting_seconds_total", "Total time in seconds that processes have waited for CPU time"),),
    "io": (
        ("some", "io_waiting_seconds_total", "Total time in seconds that processes have waited due to IO congestion"),
        ("full", "io_stalled_seconds_total",
         "Total time in seconds no process could make progress due to IO congestion"),
    ),
    "memory": (
        ("some", "memory_waiting_seconds_total", "Total time in seconds that processes have waited for memory"),
        ("full", "memory_stalled_seconds_total",
         "Total time in seconds no process could make progress due to memory congestion"),
    ),
    # The kernel keeps no "some" line for IRQ pressure (it exists from Linux 6.1).
    "irq": (
        ("full", "irq_stalled_seconds_total",
         "Total time in seconds no process could make progress due to IRQ congestion"),
    ),
}


@collector("pressure")
class PressureCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.files = [(resource, series, self.paths.proc("pressure", resource)) for resource, series in _SERIES.items()]

    def collect(self) -> Iterable[Metric]:
        found = 0
        for resource, series, path in self.files:
            try:
                # The kernel prints each file in one piece (single_open).
                text = read_value_text(path)
            except FileNotFoundError:
                # No PSI in this kernel (or no IRQ PSI before 6.1): skip the resource.
                continue
            except OSError as err:
                if err.errno in (errno.EOPNOTSUPP, errno.ENOTSUP):
                    raise NoDataError(
                        "pressure information is disabled, add psi=1 kernel command line to enable it"
                    ) from err
                raise
            found += 1
            stats = parse_psi(text)
            # As node_exporter: a file missing a line it should have ends the collection there.
            if stats.some is None and resource != "irq":
                raise NoDataError(f"pressure information returned no 'some' data for {resource}")
            if stats.full is None and resource != "cpu":
                raise NoDataError(f"pressure information returned no 'full' data for {resource}")
            for kind, suffix, help_text in series:
                line = stats.some if kind == "some" else stats.full
                if line is not None:
                    yield CounterMetricFamily(
                        f"node_pressure_{suffix}", help_text, value=line.total / 1000.0 / 1000.0
                    )
        if not found:
            raise NoDataError(
                "pressure information is unavailable, you need a Linux kernel >= 4.20 and/or CONFIG_PSI enabled"
            )
