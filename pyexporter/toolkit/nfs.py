"""Parsing shared by the nfs and nfsd collectors, as procfs's nfs package shares nfs/parse.go
between the client file (/proc/net/rpc/nfs) and the server file (/proc/net/rpc/nfsd): each line
is a key and unsigned counters, and the `procN` lines list one count per procedure after the
number of procedures."""

from __future__ import annotations

from collections.abc import Sequence

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError, parse_uints

# Procedure names in the kernel's order, as procfs names them (they become `method` labels).
V2_PROCEDURES = (
    "Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read", "WrCache", "Write",
    "Create", "Remove", "Rename", "Link", "SymLink", "MkDir", "RmDir", "ReadDir", "FsStat",
)
V3_PROCEDURES = (
    "Null", "GetAttr", "SetAttr", "Lookup", "Access", "ReadLink", "Read", "Write", "Create",
    "MkDir", "SymLink", "MkNod", "Remove", "RmDir", "Rename", "Link", "ReadDir", "ReadDirPlus",
    "FsStat", "FsInfo", "PathConf", "Commit",
)


def line_values(key: str, fields: Sequence[str]) -> list[int]:
    """The values of line KEY, each as strconv.ParseUint(x, 10, 64) (procfs's util.ParseUint64s)."""
    try:
        return parse_uints(fields)
    except NumberError as err:
        raise CollectorError(f"invalid value in NFS line {key!r}: {err}") from None


def expect_len(key: str, values: list[int], count: int) -> list[int]:
    """VALUES, which must be COUNT of them."""
    if len(values) != count:
        raise CollectorError(f"NFS line {key!r}: expected {count} values, got {len(values)}")
    return values


def procedure_counts(
    key: str, values: list[int], names: tuple[str, ...], minimum: int, pad: bool = False
) -> dict[str, int]:
    """A `procN COUNT v1 v2 ...` line as {procedure: count}: the leading count must agree with
    the values that follow, and there must be at least MINIMUM of them; with PAD, procedures a
    shorter line (an older kernel) lacks count as zero. Counts past NAMES are left out."""
    if not values or len(values) - 1 != values[0]:
        raise CollectorError(f"NFS line {key!r}: value count does not match its header")
    counts = values[1:]
    if len(counts) < minimum:
        raise CollectorError(f"NFS line {key!r}: expected at least {minimum} values")
    if pad:
        counts = counts + [0] * (len(names) - len(counts))
    return dict(zip(names, counts, strict=False))
