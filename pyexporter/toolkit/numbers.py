"""Numbers as node_exporter's Go code reads them: strconv.ParseInt, ParseUint and ParseFloat with
64 bits, and the sysfs/procfs helpers built on them (ReadUintFromFile, ReadIntFromFile).

Python's int() and float() accept what Go refuses: blanks around the number, non-ASCII digits,
`+nan`, a number that overflows to infinity; and refuse what Go accepts: base prefixes and
leading-zero octal with base 0, hexadecimal floats. A file that node_exporter fails on must fail
here too, and the other way round, so every collector parses through these.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import TypeVar

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.files import decode, read_attribute, read_bytes

# The kernel's USER_HZ: /proc reports CPU times in ticks of 1/100 s on every architecture
# node_exporter supports (procfs's userHZ).
USER_HZ = 100

# What Go's strings.TrimSpace removes: Unicode White_Space (str.strip would also take \x1c-\x1f).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
           "\u2028\u2029\u202f\u205f\u3000"

_DECIMAL_DIGITS = re.compile(r"[0-9]+")
_BASE0_BODY = re.compile(r"(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*|_[0-9_]*)")
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9][0-9_]*)?")
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9][0-9_]*")
_FLOAT_WORDS = {
    "inf": math.inf, "+inf": math.inf, "-inf": -math.inf,
    "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan,
}


class NumberError(CollectorError, ValueError):
    """Text that Go's strconv refuses; the message is Go's."""


def _error(function: str, text: str, reason: str) -> NumberError:
    return NumberError(f"strconv.{function}: parsing {text[:64]!r}: {reason}")


def _underscores_ok(text: str) -> bool:
    """strconv's underscoreOK: each `_` sits between digits, or between a base prefix and a digit."""
    saw = "^"
    i = 0
    if text[:1] in ("+", "-"):
        text = text[1:]
    hexadecimal = False
    if len(text) >= 2 and text[0] == "0" and text[1] in "bBoOxX":
        i, saw, hexadecimal = 2, "0", text[1] in "xX"
    for char in text[i:]:
        if "0" <= char <= "9" or (hexadecimal and char in "abcdefABCDEF"):
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
    return saw != "_"


_HEX_DIGITS = re.compile(r"[0-9a-fA-F]+")
# Any number of more than 20 significant decimal digits is out of 64 bits' range; this one stands
# for all of them.
_BEYOND_64_BITS = 1 << 64


def _int10(text: str) -> int:
    """int(TEXT) of ASCII decimal digits after at most one sign, however many: int() refuses more
    than 4300 digits (sys.get_int_max_str_digits) with a ValueError, where Go reads leading zeros
    and calls anything longer out of range."""
    try:
        return int(text)
    except ValueError:
        digits = text.lstrip("+-").lstrip("0")
        value = int(digits or "0") if len(digits) <= 20 else _BEYOND_64_BITS
        return -value if text[:1] == "-" else value


def _unsigned(function: str, text: str, body: str, base: int) -> int:
    if base == 10:
        if not _DECIMAL_DIGITS.fullmatch(body):
            raise _error(function, text, "invalid syntax")
        return _int10(body)
    if base == 16:
        if not _HEX_DIGITS.fullmatch(body):
            raise _error(function, text, "invalid syntax")
        return int(body, 16)
    if base != 0:
        raise ValueError(f"base {base} is not one node_exporter uses")
    if not _BASE0_BODY.fullmatch(body) or ("_" in body and not _underscores_ok(body)):
        raise _error(function, text, "invalid syntax")
    digits = body.replace("_", "")
    if len(digits) >= 2 and digits[0] == "0" and digits[1] not in "xXoObB":
        return int(digits, 8)
    return int(digits, 0) if digits[:2].lower() in ("0x", "0o", "0b") else _int10(digits)


# Collectors parse thousands of numbers a scrape, nearly all plain ASCII digits: those take a fast
# path through int() and float() (str.isdigit alone would take other scripts' digits too).


def parse_uint(text: str, base: int = 10, bits: int = 64) -> int:
    """strconv.ParseUint(TEXT, BASE, BITS) for base 10, 16 (bare hex digits) or 0 (0x, 0o, 0b and
    leading-0 octal prefixes, `_` between digits); NumberError for what Go refuses, with Go's
    message."""
    if text.isascii() and text.isdigit() and (base == 10 or (base == 0 and (text[0] != "0" or len(text) == 1))):
        value = _int10(text)
    else:
        value = _unsigned("ParseUint", text, text, base)
    if value >> bits:
        raise _error("ParseUint", text, "value out of range")
    return value


_BASE0_PLAIN = re.compile(r"[+-]?(?:0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)").fullmatch


def parse_int(text: str, base: int = 10, bits: int = 64) -> int:
    """strconv.ParseInt(TEXT, BASE, BITS): one optional sign, then as parse_uint; NumberError
    beyond the BITS-bit signed range."""
    if text.isascii() and (
        (base == 10 and (text.isdigit() or (text[1:].isdigit() and text[0] in "+-")))
        or (base == 0 and text.isdigit() and (text[0] != "0" or len(text) == 1))
    ):
        value = _int10(text)
    elif base == 0 and _BASE0_PLAIN(text) is not None:
        # Signed decimals and hexadecimal without `_` (sysfs's flags and ids, a down link's speed
        # of -1): what int() reads exactly as strconv does.
        value = int(text, 0) if text.lstrip("+-")[:2] in ("0x", "0X") else _int10(text)
    else:
        body = text[1:] if text[:1] in ("+", "-") else text
        value = _unsigned("ParseInt", text, body, base)
        if text[:1] == "-":
            value = -value
    if value >> (bits - 1) not in (0, -1):
        raise _error("ParseInt", text, "value out of range")
    return value


_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?").fullmatch
_INFINITIES = (math.inf, -math.inf)


def parse_float(text: str) -> float:
    """strconv.ParseFloat(TEXT, 64): decimal and hexadecimal (with a p exponent) forms, `_`
    between digits, and inf, infinity or nan in any case (only inf and infinity signed);
    NumberError for what Go refuses, and for a finite number beyond float64."""
    if len(text) < 300 and text.isascii() and text.replace(".", "", 1).isdigit():
        return float(text)  # digits with at most one point: nothing Go refuses, and finite
    if _PLAIN_DECIMAL(text) is not None:
        value = float(text)
        if value in _INFINITIES:
            raise _error("ParseFloat", text, "value out of range")
        return value
    word = _FLOAT_WORDS.get(text.lower())
    if word is not None:
        return word
    convert: Callable[[str], float]
    if _DECIMAL_FLOAT.fullmatch(text):
        convert = float
    elif _HEX_FLOAT.fullmatch(text):
        convert = float.fromhex
    else:
        raise _error("ParseFloat", text, "invalid syntax")
    if "_" in text and not _underscores_ok(text):
        raise _error("ParseFloat", text, "invalid syntax")
    try:
        value = convert(text.replace("_", ""))
    except OverflowError:
        raise _error("ParseFloat", text, "value out of range") from None
    except ValueError:
        raise _error("ParseFloat", text, "invalid syntax") from None
    if math.isinf(value):
        raise _error("ParseFloat", text, "value out of range")
    return value


_Number = TypeVar("_Number", int, float)


def _plain_digits(texts: Sequence[str], convert: Callable[[str], _Number]) -> list[_Number] | None:
    """CONVERT of each of TEXTS when all of them are plain ASCII digits, checked as one; None when
    some text is anything else (and so needs the careful parser)."""
    joined = "".join(texts)
    if not (joined.isascii() and joined.isdigit()):
        return None
    try:
        return list(map(convert, texts))
    except ValueError:
        return None  # an empty text, or more digits than int() reads: the careful parser answers


# fmt's floatToken: what a %f verb takes from its input before strconv.ParseFloat reads it (a
# decimal's binary exponent, which fmt evaluates itself, is left to ParseFloat, which refuses it).
_FMT_FLOAT_TOKEN = re.compile(
    r"[nN][aA][nN]|[+-]?(?:[iI][nN][fF]|0[xX][0-9A-Fa-f_]*(?:\.[0-9A-Fa-f_]*)?(?:[pP][+-]?[0-9_]*)?"
    r"|[0-9_]*(?:\.[0-9_]*)?(?:[eEpP][+-]?[0-9_]*)?)"
)


def scan_float(text: str) -> float:
    """fmt's %f of TEXT as a Sscanf's last operand: the float fmt takes from the start of TEXT,
    read by strconv.ParseFloat; what follows it is never read. NumberError as ParseFloat's."""
    match = _FMT_FLOAT_TOKEN.match(text)
    return parse_float(match.group() if match is not None else "")


def parse_floats(texts: Sequence[str]) -> list[float]:
    """parse_float of each of TEXTS (procfs counter files hold hundreds of plain numbers)."""
    values = _plain_digits(texts, float)
    if values is not None and math.inf not in values:
        return values
    return [parse_float(text) for text in texts]


def parse_chosen_floats(texts: Sequence[str], chosen: Sequence[int]) -> list[float]:
    """parse_float of TEXTS[i] for each i of CHOSEN, once every one of TEXTS is known to parse:
    node_exporter's netstat and vmstat parse every value of their files before their field filters
    drop most of them, so a bad value fails them even where it is not reported. Fields of 1 to 19
    plain digits, checked as one (short_decimal_fields), need no closer look (float() of a text
    costs about ten times a character of that check); anything else is parsed whole."""
    joined = " ".join(texts)
    if joined.count(" ") == len(texts) - 1 and short_decimal_fields(joined):
        return [float(texts[i]) for i in chosen]
    values = parse_floats(texts)
    return [values[i] for i in chosen]


def _plain_hex(texts: Sequence[str]) -> list[int] | None:
    """int(TEXT, 16) of each of TEXTS when all of them are bare ASCII hex digits, checked as one
    (no sign, 0x prefix, `_` or blank, which int() would take and Go refuses); None when some
    text is anything else."""
    if _HEX_DIGITS.fullmatch("".join(texts)) is None:
        return None
    try:
        return [int(text, 16) for text in texts]
    except ValueError:
        return None  # an empty text: the careful parser answers


def parse_uints(texts: Sequence[str], bits: int = 64, *, base: int = 10) -> list[int]:
    """parse_uint of each of TEXTS in BASE, 10 or 16 (procfs's ParseHexUint64s: per-CPU rows of
    hex counters)."""
    if base == 10:
        values = _plain_digits(texts, int)
    elif base == 16:
        values = _plain_hex(texts)
    else:
        raise ValueError(f"base {base} is not one parse_uints reads")
    if values is not None and not (values and max(values) >> bits):
        return values
    return [parse_uint(text, base, bits) for text in texts]


# A text of two digits or more that starts with 0, among texts joined with blanks: octal for base 0.
_LEADING_ZERO = re.compile(r"(?<![0-9])0[0-9]").search


def parse_ints(texts: Sequence[str], base: int = 10, bits: int = 64) -> list[int]:
    """parse_int(text, BASE, BITS) of each of TEXTS, BASE 10 or 0 (procfs's ValueParser.Int:
    `key value` lines of small counts)."""
    values = _plain_digits(texts, int)
    if (values is not None and not (values and max(values) >> (bits - 1))
            and (base == 10 or (base == 0 and _LEADING_ZERO(" ".join(texts)) is None))):
        return values
    return [parse_int(text, base, bits) for text in texts]


def check_uints(texts: Sequence[str]) -> None:
    """NumberError unless parse_uint (base 10) accepts each of TEXTS, for numbers Go parses and
    pyexporter does not report (/proc/stat's per-IRQ counts, thousands of them)."""
    # Joined by blanks when no text holds a blank of its own: one regex over all of them.
    joined = " ".join(texts)
    if joined.count(" ") == len(texts) - 1 and short_decimal_fields(joined):
        return
    parse_uints(texts)


_SHORT_DECIMALS = re.compile(r"(?:[0-9]{1,19} )*[0-9]{1,19}").fullmatch


def short_decimal_fields(text: str) -> bool:
    """Whether TEXT is fields of 1 to 19 ASCII digits separated by single blanks: numbers below
    10**19 < 2**64, each one that parse_uint accepts, so they need no closer look."""
    return _SHORT_DECIMALS(text) is not None


def go_trim_space(text: str) -> str:
    """strings.TrimSpace."""
    return text.strip(GO_SPACE)


def sys_read_file(path: str, size: int = 4096) -> str:
    """sysfs's util.SysReadFile: the attribute in one read, decoded and trimmed as
    strings.TrimSpace trims. procfs reads at most 128 bytes; SIZE is larger by default, so that an
    attribute longer than that is read whole rather than cut."""
    return go_trim_space(decode(read_attribute(path, size=size)))


def sys_read_files(directory: str, names: Iterable[str], skipped_errnos: AbstractSet[int]
                   ) -> Iterator[tuple[str, str, str]]:
    """(name, path, text) of each of NAMES in DIRECTORY through sys_read_file, as sysfs's class
    parsers read a directory of counters: a read error in SKIPPED_ERRNOS skips the file, any other
    is a CollectorError naming it."""
    for name in names:
        path = os.path.join(directory, name)
        try:
            text = sys_read_file(path)
        except OSError as err:
            if err.errno in skipped_errnos:
                continue
            raise CollectorError(f"failed to read file {path!r}: {err}") from None
        yield name, path, text


# /proc/sys answers each read with a kernel buffer of the size the read asks for, zeroed: asking
# for a page rather than 64 KiB halves what reading a setting costs.
_VALUE_READ = 4096


def read_value_text(path: str, dir_fd: int | None = None) -> str:
    """A file that holds one value (a /proc/sys setting, a sysfs attribute, a /proc file the
    kernel prints in one piece such as /proc/loadavg; PATH relative to DIR_FD when given) whole,
    as os.ReadFile reads it, as text (files.decode). Such a file is handed out by its first read
    when it fits: one read of a page, and only when that fills it, the whole file read anew. (Not
    for a /proc file of many records, which the kernel hands out a page's worth of whole records
    at a time.)"""
    raw = read_attribute(path, dir_fd, size=_VALUE_READ)
    if len(raw) >= _VALUE_READ:
        raw = read_bytes(path, dir_fd=dir_fd)
    return decode(raw)


# A uint attribute as sysfs prints it (`%u\n`): text that parse_uint_attribute reads as int() does.
_PLAIN_UINT_ATTRIBUTE = re.compile(rb"([0-9]{1,19})\n?").fullmatch


def parse_uint_attribute(raw: bytes) -> int:
    """strconv.ParseUint (base 10) of an attribute's bytes trimmed, as sysfs's readUintFromFile
    reads them; NumberError unless a uint64. Up to 19 digits are below 2**64; anything else,
    longer numbers included, goes through the careful parser."""
    plain = _PLAIN_UINT_ATTRIBUTE(raw)
    if plain is not None:
        return int(plain[1])
    return parse_uint(go_trim_space(decode(raw)))


def read_uint_file(path: str) -> int:
    """sysfs's util.ReadUintFromFile: the file's text, trimmed, as a base-10 uint64; OSError when
    unreadable, NumberError when not a number."""
    return parse_uint(go_trim_space(read_value_text(path)))


def read_int_file(path: str) -> int:
    """sysfs's util.ReadIntFromFile: the file's text, trimmed, as a base-10 int64; OSError when
    unreadable, NumberError when not a number."""
    return parse_int(go_trim_space(read_value_text(path)))


_TWO_TO_63 = float(1 << 63)
_INT64_INDEFINITE = 1 << 63
_UINT64_MASK = (1 << 64) - 1


def _truncate_to_int64_bits(value: float) -> int:
    """CVTTSD2SQ: VALUE truncated towards zero, as the bits of an int64; the "integer indefinite"
    0x8000000000000000 for NaN and for anything outside int64's range."""
    if -_TWO_TO_63 <= value < _TWO_TO_63:  # false for NaN
        return int(value) & _UINT64_MASK
    return _INT64_INDEFINITE


def go_uint64(value: float) -> int:
    """uint64(VALUE) of a float64 as Go compiles it for amd64 (procfs converts parsed floats so:
    bcache's dehumanize, sysfs's InfiniBand parseRate).

    The Go specification leaves a conversion whose value does not fit to the implementation; on
    amd64 the compiler emits CVTTSD2SQ, a float-to-int64 truncation, for values below 2**63 and
    reads the result's bits as unsigned, so a negative value wraps around (-1.0 gives 2**64 - 1);
    from 2**63 on it subtracts 2**63 first and sets the top bit after. CVTTSD2SQ answers NaN and
    anything beyond int64 with 0x8000000000000000, so NaN, infinities, values of 2**64 and more
    and values below -2**63 all give 2**63. node_exporter then reports float64 of the result.
    Other architectures answer these differently; node_exporter's amd64 build is the reference."""
    if value < _TWO_TO_63:
        return _truncate_to_int64_bits(value)
    # NaN fails the comparison above and lands here too, as it does in Go's generated code.
    return _truncate_to_int64_bits(value - _TWO_TO_63) | _INT64_INDEFINITE
