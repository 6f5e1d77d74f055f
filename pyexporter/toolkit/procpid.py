"""/proc/[pid] files and /proc/stat's boot time, as procfs reads them: for the namedprocess
collector, and for the exporter's own process metrics (pyexporter.selfmetrics)."""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.files import decode
from pyexporter.toolkit.numbers import NumberError, parse_int, parse_uint

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# Fields after the ")" that closes the command name (proc(5) numbering minus 3).
_STATE, _MINFLT, _MAJFLT, _UTIME, _STIME, _NUM_THREADS, _STARTTIME, _VSIZE, _RSS = 0, 7, 9, 11, 12, 17, 19, 20, 21


class ProcStat(NamedTuple):
    comm: str
    state: str
    minflt: int
    majflt: int
    utime: int  # ticks
    stime: int  # ticks
    num_threads: int
    starttime: int  # ticks after boot
    vsize: int  # bytes
    rss: int  # pages


def uint_field(field: bytes, base: int = 10) -> int:
    """FIELD as strconv.ParseUint(field, BASE, 64). The kernel writes plain decimals, which int()
    reads alone at a fraction of the toolkit parser's cost, and this runs for several fields of
    every process on every scrape (namedprocess); anything else (a sign, `_`, a base prefix, a leading-zero octal,
    a number that may not fit) goes to the toolkit's parser."""
    if field.isdigit() and len(field) < 20 and (base == 10 or field[0] != 0x30 or len(field) == 1):
        return int(field)
    return parse_uint(decode(field), base)


def int_field(field: bytes) -> int:
    """FIELD as strconv.ParseInt(field, 0, 64), with the same shortcut as uint_field."""
    if field.isdigit() and len(field) < 19 and (field[0] != 0x30 or len(field) == 1):
        return int(field)
    return parse_int(decode(field), 0)


def parse_stat(data: bytes) -> ProcStat:
    """/proc/[pid]/stat. The comm may hold spaces and parentheses, so fields are split after the last ")".

    Numbers are read as procfs's fmt.Fscan reads them into its unsigned and signed fields:
    strconv.ParseUint(field, 0, 64) and ParseInt(field, 0, 64)."""
    open_at = data.find(b"(")
    close_at = data.rfind(b")")
    if open_at < 0 or close_at < open_at:
        raise CollectorError(f"unexpected stat content: {data[:80]!r}")
    fields = data[close_at + 1:].split()
    if len(fields) <= _RSS:
        raise CollectorError(f"truncated stat content: {data[:80]!r}")
    try:
        return ProcStat(
            comm=decode(data[open_at + 1:close_at]),
            state=fields[_STATE].decode("ascii", "replace"),
            minflt=uint_field(fields[_MINFLT], 0),
            majflt=uint_field(fields[_MAJFLT], 0),
            utime=uint_field(fields[_UTIME], 0),
            stime=uint_field(fields[_STIME], 0),
            num_threads=int_field(fields[_NUM_THREADS]),
            starttime=uint_field(fields[_STARTTIME], 0),
            vsize=uint_field(fields[_VSIZE], 0),
            rss=int_field(fields[_RSS]),
        )
    except NumberError as err:
        raise CollectorError(f"unexpected stat content {data[:80]!r}: {err}") from None


def parse_boot_time(text: str) -> int:
    """The `btime` line of /proc/stat: boot time in seconds since the epoch, as procfs reads it
    (strconv.ParseUint(second field, 10, 64))."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "btime":
            try:
                return parse_uint(parts[1])
            except NumberError as err:
                raise CollectorError(f"no valid btime line in /proc/stat: {err}") from None
    raise CollectorError("no valid btime line in /proc/stat")




# procfs's limitsMatch: a limit's name, then its soft and hard limits.
_LIMIT = re.compile(r"(Max \w+\s??\w*\s?\w*)\s{2,}(\w+)\s+(\w+)")
# What procfs reads "unlimited" as: the largest uint64.
UNLIMITED = 2**64 - 1


def parse_limits(text: str) -> dict[str, int]:
    """/proc/[pid]/limits as procfs's Limits reads it: each limit's soft value by name (`Max open
    files`), "unlimited" as the largest uint64. The header line is skipped; CollectorError for a
    line that does not match or a value that is no uint64, as procfs fails the whole file."""
    limits: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        match = _LIMIT.search(line)
        if match is None:
            raise CollectorError(f"couldn't parse limits line {line[:80]!r}")
        name, soft = match.group(1), match.group(2)
        try:
            limits[name] = UNLIMITED if soft == "unlimited" else parse_uint(soft)
        except NumberError as err:
            raise CollectorError(f"limits line {line[:80]!r}: {err}") from None
    return limits
