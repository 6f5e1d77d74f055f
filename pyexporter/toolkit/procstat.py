"""/proc/stat as procfs's Stat reads it (stat.go): the cpu lines, which the cpu collector reports,
and the kernel's counters, which the stat collector reports. procfs parses the whole file for
either, so a line that fails it fails both collectors in node_exporter; each collector here parses
its own lines and checks the other's (check_stat_cpus, parse_kernel_stat)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import (
    USER_HZ,
    NumberError,
    check_uints,
    parse_floats,
    parse_int,
    parse_uint,
    scan_float,
    short_decimal_fields,
)


class CPUStat(NamedTuple):
    """One cpuN line of /proc/stat, in seconds."""

    user: float = 0.0
    nice: float = 0.0
    system: float = 0.0
    idle: float = 0.0
    iowait: float = 0.0
    irq: float = 0.0
    softirq: float = 0.0
    steal: float = 0.0
    guest: float = 0.0
    guest_nice: float = 0.0


_STAT_WIDTH = len(CPUStat._fields)


# /proc/stat as show_stat() prints it: the `cpu` total line first, then one `cpuN` line a CPU, every
# field ASCII digits after a single space (the total's first after two), none long enough for
# int() or float() to read otherwise than strconv does. Group 1 is the cpuN lines.
_KERNEL_CPU_LINES = re.compile(r"cpu (?: [0-9]+)+\n((?:cpu[0-9]{1,9}(?: [0-9]{1,20})+\n)*)", re.ASCII)


def _kernel_cpu_lines(text: str) -> str | None:
    """The cpuN lines of TEXT when it is in the kernel's form (_KERNEL_CPU_LINES, and no `cpu` in
    the lines after them, so none of those is a cpu line); None for any other text."""
    kernel = _KERNEL_CPU_LINES.match(text)
    if kernel is None or "cpu" in text[kernel.end():]:
        return None
    return kernel[1]


def parse_stat_cpus(text: str) -> dict[int, CPUStat]:
    """Per-CPU times from /proc/stat, keyed by the CPU id in the line name (`cpu3` -> 3).

    Offline CPUs have no line, so ids may have gaps; the `cpu` total line is read as the others
    (a bad one fails the collector, as procfs's Stat fails) but not returned.
    Older kernels print fewer columns: the missing trailing ones are zero. procfs scans the
    times with fmt.Sscanf's %f, read here as strconv.ParseFloat (fmt would also take a binary
    exponent, which no kernel prints), and the id with strconv.ParseInt.

    The file as the kernel prints it takes a shorter path: its cpu lines are checked as one block,
    and the lines after them hold no `cpu` at all (so none of them is a cpu line), which leaves
    nothing that parse_int and parse_floats would read otherwise than int() and float() do. Any
    other text goes line by line (_parse_stat_cpu_lines).
    """
    lines = _kernel_cpu_lines(text)
    if lines is None:
        return _parse_stat_cpu_lines(text)
    cpus: dict[int, CPUStat] = {}
    for line in lines.splitlines():
        name, _, times = line.partition(" ")
        columns = times.split(" ", _STAT_WIDTH)[:_STAT_WIDTH]
        cpus[int(name[3:])] = CPUStat(*[float(value) / USER_HZ for value in columns])
    return cpus


def _parse_stat_cpu_lines(text: str) -> dict[int, CPUStat]:
    """parse_stat_cpus of any text, line by line."""
    cpus: dict[int, CPUStat] = {}
    for line in text.splitlines():
        # Only the first field decides; the intr line holds thousands more.
        head = line.split(None, 1)
        if len(head) < 2 or not head[0].startswith("cpu"):
            continue
        values = head[1].split()[:_STAT_WIDTH]
        if len(values) < _STAT_WIDTH:
            times = parse_floats(values)
        else:
            # Sscanf's last %f takes a number from the start of its field and reads no further.
            times = [*parse_floats(values[:-1]), scan_float(values[-1])]
        if head[0] == "cpu":
            continue
        cpus[parse_int(head[0][3:])] = CPUStat(*[value / USER_HZ for value in times])
    return cpus


def check_stat_cpus(text: str) -> None:
    """CollectorError where parse_stat_cpus would raise one, for a collector that reports none of
    the cpu lines: the kernel's form, checked as one block, needs no closer look."""
    if _kernel_cpu_lines(text) is None:
        _parse_stat_cpu_lines(text)


# The kernel's order of the per-vector counts after the total on the `softirq` line.
SOFTIRQ_VECTORS = (
    "hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "tasklet", "sched", "hrtimer", "rcu",
)


@dataclass(slots=True)
class KernelStat:
    # Lines missing from the file read as 0, as procfs leaves them.
    boot_time: int = 0
    context_switches: int = 0
    forks: int = 0
    interrupts: int = 0
    procs_running: int = 0
    procs_blocked: int = 0
    softirqs: dict[str, int] = field(default_factory=dict)


_SCALARS = {
    "btime": "boot_time",
    "ctxt": "context_switches",
    "processes": "forks",
    "intr": "interrupts",
    "procs_running": "procs_running",
    "procs_blocked": "procs_blocked",
}


def parse_kernel_stat(text: str) -> KernelStat:
    """The /proc/stat lines the stat collector exports (the cpu lines are parse_stat_cpus's).

    Each value is strconv.ParseUint(text, 10, 64), as procfs parses the scalar lines and every
    per-IRQ count of the intr line; the softirq line, which procfs reads with fmt.Sscanf `%d`s, must
    hold the total and every vector likewise.
    """
    stat = KernelStat()
    for line in text.splitlines():
        # The key alone first: the cpu lines, one a CPU, are the cpu collector's.
        head = line.split(None, 1)
        if len(head) < 2:
            continue
        key = head[0]
        try:
            if key == "intr" and short_decimal_fields(head[1]):
                # Hundreds of per-IRQ counts, checked as one text rather than one by one.
                stat.interrupts = parse_uint(head[1].partition(" ")[0])
            elif key in _SCALARS:
                values = head[1].split()
                setattr(stat, _SCALARS[key], parse_uint(values[0]))
                if key == "intr":
                    # Only the total is reported, but procfs parses every per-IRQ count too.
                    check_uints(values[1:])
            elif key == "softirq":
                # The total, then one count per vector; more fields are ignored, as Sscanf does.
                counts = [parse_uint(value) for value in head[1].split()[:1 + len(SOFTIRQ_VECTORS)]]
                if len(counts) <= len(SOFTIRQ_VECTORS):
                    raise CollectorError(f"couldn't parse {line[:80]!r} (softirq) in /proc/stat: unexpected EOF")
                stat.softirqs = dict(zip(SOFTIRQ_VECTORS, counts[1:], strict=True))
        except NumberError as err:
            raise CollectorError(f"couldn't parse {line[:80]!r} ({key}) in /proc/stat: {err}") from None
    return stat
