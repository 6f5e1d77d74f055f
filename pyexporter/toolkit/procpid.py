"""/proc/[pid] files and /proc/stat's boot time, as procfs reads them: for the namedprocess
collector, and for the exporter's own process metrics (pyexporter.selfmetrics)."""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.files import decode, scan_lines
from pyexporter.toolkit.numbers import GO_SPACE, NumberError, parse_chosen_floats, parse_int, parse_uint

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# What procfs's Stat scans with fmt.Fscan after the ")" that closes the command name (procfs
# v0.19.0, current node_exporter's): the state (a word), then 41 numbers, each signed ("i": Go's
# int or int64) or unsigned ("u": uint or uint64). Anything after them is not read; a file that
# ends before them fails. node_exporter 1.5.0's procfs (v0.8.0) stops two numbers earlier, before
# guest_time, and reads processor as signed.
_OPERANDS = "s" + "i" * 5 + "u" * 7 + "i" * 6 + "u" * 2 + "i" + "u" * 13 + "i" + "u" * 4 + "i" * 2
# The operands ProcStat keeps, by position.
_STATE, _MINFLT, _MAJFLT, _UTIME, _STIME, _NUM_THREADS, _STARTTIME, _VSIZE, _RSS = 0, 7, 9, 11, 12, 17, 19, 20, 21
_KEPT = (_STATE, _MINFLT, _MAJFLT, _UTIME, _STIME, _NUM_THREADS, _STARTTIME, _VSIZE, _RSS)


def _kernel_operand(position: int, kind: str) -> bytes:
    """The form the kernel prints operand POSITION in: plain decimals with no leading zero, short
    enough to be in range (RLIM_INFINITY, the one long unsigned value it commonly prints, aside)."""
    if kind == "s":
        pattern = rb"[!-~]+"
    elif kind == "i":
        pattern = rb"-?(?:[1-9][0-9]{0,17}|0)"
    else:
        pattern = rb"(?:[1-9][0-9]{0,18}|0|18446744073709551615)"
    return b"(" + pattern + b")" if position in _KEPT else b"(?:" + pattern + b")"


# The operands as the kernel writes them, one blank apart: read by int() alone. Any other text (a
# sign, a base prefix, other blanks, a number Go may refuse) is scanned as Fscan scans it.
_KERNEL_STAT = re.compile(b" ".join(_kernel_operand(n, kind) for n, kind in enumerate(_OPERANDS)) + rb"(?=[ \n]|\Z)")

# What Go's fmt scanning skips as space (fmt's isSpace: Unicode White_Space), newlines included (Fscan).
_GO_SPACE = frozenset(GO_SPACE)
# The digits fmt's integer scanning takes after a base prefix (or none): scanBasePrefix.
_DECIMAL, _OCTAL = frozenset("0123456789_"), frozenset("01234567_")
_PREFIXED = {"b": frozenset("01_"), "o": _OCTAL, "x": frozenset("0123456789abcdefABCDEF_")}


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
    reads alone at a fraction of the toolkit parser's cost; anything else (a sign, `_`, a base
    prefix, a leading-zero octal, a number that may not fit) goes to the toolkit's parser."""
    if field.isdigit() and len(field) < 20 and (base == 10 or field[0] != 0x30 or len(field) == 1):
        return int(field)
    return parse_uint(decode(field), base)


def parse_stat(data: bytes) -> ProcStat:
    """/proc/[pid]/stat as procfs's Stat reads it: the command name between the first "(" and the
    last ")", then, from the second byte after that ")", the operands of _OPERANDS, each as fmt.Fscan
    scans it; CollectorError where procfs returns an error (or where Go would panic: no ")" after
    the "(", nothing after the ")")."""
    operands_at = _operands_start(data)
    comm = decode(data[data.find(b"(") + 1:operands_at - 2])
    match = _KERNEL_STAT.match(data, operands_at)
    if match is not None:
        state, minflt, majflt, utime, stime, num_threads, starttime, vsize, rss = match.groups()
        return ProcStat(comm, state.decode("ascii"), int(minflt), int(majflt), int(utime), int(stime),
                        int(num_threads), int(starttime), int(vsize), int(rss))
    operands = scan_operands(decode(data[operands_at:]), _OPERANDS)
    return ProcStat._make((comm, *(operands[n] for n in _KEPT)))


def parse_state_and_threads(data: bytes) -> tuple[str, int]:
    """parse_stat's state and num_threads alone, every operand checked all the same: the processes
    collector reads these two from thousands of files a scrape, where converting the other seven
    shows in its cost (benchmarks/results/measurements.md)."""
    operands_at = _operands_start(data)
    match = _KERNEL_STAT.match(data, operands_at)
    if match is not None:
        return match.group(1).decode("ascii"), int(match.group(6))
    operands = scan_operands(decode(data[operands_at:]), _OPERANDS)
    return str(operands[_STATE]), int(operands[_NUM_THREADS])


def _operands_start(data: bytes) -> int:
    open_at = data.find(b"(")
    close_at = data.rfind(b")")
    if open_at < 0 or close_at <= open_at or close_at + 2 > len(data):
        raise CollectorError(f"unexpected format, couldn't extract comm: {data[:80]!r}")
    return close_at + 2


def scan_operands(text: str, kinds: str) -> list[str | int]:
    """fmt.Fscan(text, ...) into one operand of each of KINDS ("s": a string, "i": a signed and
    "u": an unsigned 64-bit integer, scanned with the %v verb): each operand after any space, a
    string up to the next space, an integer as the longest run fmt takes (a sign for "i", a base
    prefix, digits and `_`) read by strconv.Parse(U)Int(run, 0, 64). What follows the last operand is
    not read, and nothing needs to separate two operands. CollectorError where Fscan fails."""
    values: list[str | int] = []
    at, end = 0, len(text)
    for kind in kinds:
        while at < end and text[at] in _GO_SPACE:
            at += 1
        if at == end:
            raise CollectorError(f"unexpected EOF after {len(values)} of {len(kinds)} fields")
        start = at
        if kind == "s":
            while at < end and text[at] not in _GO_SPACE:
                at += 1
            values.append(text[start:at])
            continue
        if kind == "i" and text[at] in "+-":
            at += 1
        digits, have_digits = _DECIMAL, False
        if text.startswith("0", at):
            at += 1
            digits, have_digits = _OCTAL, True
            prefix = text[at:at + 1].lower()
            if prefix in _PREFIXED:
                digits = _PREFIXED[prefix]
                at += 1
        run_start = at
        while at < end and text[at] in digits:
            at += 1
        if at == run_start and not have_digits:
            raise CollectorError(f"field {len(values) + 1}: expected integer at {text[start:start + 20]!r}")
        try:
            if kind == "i":
                values.append(parse_int(text[start:at], 0))
            else:
                values.append(parse_uint(text[start:at], 0))
        except NumberError as err:
            raise CollectorError(f"field {len(values) + 1}: {err}") from None
    return values


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




def parse_netstat_octets(text: str) -> tuple[float, float]:
    """IpExt's InOctets and OutOctets of a /proc/[pid]/net/netstat, as procfs's Netstat reads the
    file for client_golang's process_network_*_bytes_total: lines in pairs, names then values, each
    split at single blanks; a pair of unequal counts, or any value of the file that is no float64,
    fails the whole file; a name that is missing reads 0, one that recurs its last value."""
    lines = scan_lines(text)
    if len(lines) % 2:
        lines.append("")  # procfs's scanner gives an empty line for the values of a last, lone line
    received = transmitted = 0.0
    for names_line, values_line in zip(lines[::2], lines[1::2], strict=True):
        names, values = names_line.split(" "), values_line.split(" ")
        if len(names) != len(values):
            raise CollectorError(f"field count mismatch in net/netstat: {names[0][:40]!r}")
        wanted = [i for i, name in enumerate(names[1:]) if name in _OCTETS] if names[0] == "IpExt:" else []
        for i, value in zip(wanted, parse_chosen_floats(values[1:], wanted), strict=True):
            if names[i + 1] == "InOctets":
                received = value
            else:
                transmitted = value
    return received, transmitted


_OCTETS = frozenset(("InOctets", "OutOctets"))


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
