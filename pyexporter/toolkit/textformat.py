"""The classic Prometheus text format (0.0.4), parsed as node_exporter 1.5 parses its textfiles.

Follows github.com/prometheus/common expfmt/text_parse.go, `TextParser.TextToMetricFamilies`, in
the version node_exporter 1.5 vendors: classic (legacy) metric and label names only, no quoted
UTF-8 names. Hand-written rather than prometheus-client's parser, which differs from Go's where
node_exporter users notice: it renames counter samples (`# TYPE reqs counter` + `reqs 5` comes back
as `reqs_total`), it splits one name into families unlike Go (`# TYPE x counter` then `x_total 3`
and `x 4`), and it is slow and memory-hungry on large files.

Written for CPython, line by line with str methods and compiled patterns rather than a state
machine per character: a sample line, nearly every line of a large file, is one match of one
regular expression; its label set is split at its quotes, and what lies between the values (names,
`=`, `,`) is checked once per distinct layout, not per line. HELP and TYPE lines are one match too.
The rare line that does not match is read again character by character, as Go's state machine
reads it, to find out what is wrong with it (or, should the fast way ever be narrower than Go's
grammar, to accept it all the same; tests hold the two ways equal). Cost is linear in the size of
the text: each line is looked at a bounded number of times, and each name is routed to its family
once. The text is split into lines a bounded chunk at a time, so the list of lines stays small.

What Go does and this follows:

- A sample joins the family of its exact name when there is one; otherwise `NAME_sum`/`NAME_count`
  join the summary `NAME`, and `NAME_sum`/`NAME_count`/`NAME_bucket` the histogram `NAME`, when that
  family exists with that type; otherwise the sample starts a family of its own name (untyped
  unless a TYPE line came first). Families are looked up by name across the whole text, not only
  the current one. HELP and TYPE lines name their family the same way (`# HELP s_sum ...` sets the
  help of the summary `s`) and create it when it does not exist yet.
- A second HELP or TYPE line for a family is an error, and so is a TYPE line once the family has
  samples (its type is fixed as untyped by the first sample). Families left without samples are
  dropped.
- HELP text is the rest of the line, with `\\\\` and `\\n` the only escapes; label values take `\\"`
  too. Any other escape, a label value that is not valid UTF-8 (here: holds lone surrogates, how
  `bytes.decode(..., "surrogateescape")` keeps invalid bytes), the label name `__name__`, a label
  name given twice, a `quantile` label of a summary or an `le` label of a histogram that is not a
  float: errors.
- Values are floats as Go's strconv.ParseFloat reads them without hexadecimal floats and digit
  separators (common's parseFloat refuses `p`, `P` and `_`): optional sign, decimal digits with an
  optional point and exponent, `Inf`/`Infinity` with optional sign and `NaN` without, in any case.
  A value out of float64 range is an error; one that underflows is zero.
- A timestamp is a base-10 int64 after the value; nothing may follow it, not even a blank, and a
  blank after the value must be followed by a timestamp.
- Only ` ` and `\\t` are blanks; `\\r` is not, so CRLF text fails as it does in Go. A last line
  that does not end in `\\n` is an error unless it is blank.
- A family of TYPE `gauge_histogram` fails at its first sample (node_exporter 1.5 itself crashes on
  one: its parser loses the error it raises there).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from pyexporter.toolkit.numbers import NumberError, parse_float

COUNTER = "counter"
GAUGE = "gauge"
UNTYPED = "untyped"
SUMMARY = "summary"
HISTOGRAM = "histogram"
GAUGE_HISTOGRAM = "gaugehistogram"

# client_model's MetricType names, as TYPE lines are matched against them (upper-cased).
_TYPES = {
    "COUNTER": COUNTER, "GAUGE": GAUGE, "SUMMARY": SUMMARY, "UNTYPED": UNTYPED, "HISTOGRAM": HISTOGRAM,
    "GAUGE_HISTOGRAM": GAUGE_HISTOGRAM,
}
# The label that holds a number in a summary's or a histogram's samples, left out of its label set.
BOUND_LABEL = {SUMMARY: "quantile", HISTOGRAM: "le"}


class TextFormatError(ValueError):
    """The text is not valid; Go's TextParser rejects the whole text for it, as this does."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"text format parsing error in line {line}: {message}")
        self.line = line
        self.message = message


class Sample(NamedTuple):
    """One sample line: its exact name, its labels as written (a summary's `quantile` and a
    histogram's `le` included), its value, and its timestamp in milliseconds when it had one."""

    name: str
    labels: dict[str, str]
    value: float
    timestamp: int | None = None


@dataclass(slots=True, eq=False)
class Family:
    """One metric family: `type` is one of the module's type names (None only while parsing),
    `help` None when no HELP line gave one. `samples` in the order of the text."""

    name: str
    type: str | None = None
    help: str | None = None
    samples: list[Sample] = field(default_factory=list)
    has_timestamp: bool = False


# --- the grammar -----------------------------------------------------------------------------
# Possessive quantifiers throughout: a name or a number is read as far as it goes, as Go reads it,
# and a line that does not match fails without backtracking.

_METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*+"
_LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*+"
# Label value escapes are \" \\ and \n; anything else after a backslash fails the match.
_LABEL_VALUE = r'"[^"\\]*+(?:\\["\\n][^"\\]*+)*+"'
_PAIR = rf"{_LABEL_NAME}[ \t]*+=[ \t]*+{_LABEL_VALUE}[ \t]*+"
_LABELS = rf"\{{[ \t]*+(?:{_PAIR}(?:,[ \t]*+{_PAIR})*+(?:,[ \t]*+)?)?\}}"
# A sample value as expfmt reads it: the grammar of toolkit.numbers.parse_float less `_` and hex
# floats (parse_go_float below), written out to sit inside the line regex.
_FLOAT = r"[+-]?(?:[0-9]++(?:\.[0-9]*+)?|\.[0-9]++)(?:[eE][+-]?[0-9]++)?|[+-]?(?i:inf(?:inity)?)|(?i:nan)"
_INT = r"[+-]?[0-9]++"

# A sample line whose label set, if any, is braces around quoted values and anything but quotes and
# braces between them. What lies between the values (the layout: label names, `=`, `,`, blanks) is
# checked once per distinct layout (_LAYOUT), not on every line: most files repeat a few layouts.
_SAMPLE_LINE = re.compile(
    rf'[ \t]*+({_METRIC_NAME})[ \t]*+(?:(\{{[^"{{}}]*+(?:{_LABEL_VALUE}[^"{{}}]*+)*+\}})[ \t]*+)?'
    rf"({_FLOAT})(?:[ \t]++({_INT}))?"
).fullmatch
# The parts of a label set between its values, joined by NUL (which no valid layout holds).
_LAYOUT = re.compile(
    rf"\{{[ \t]*+(?:{_LABEL_NAME}[ \t]*+=[ \t]*+\x00(?:[ \t]*+,[ \t]*+{_LABEL_NAME}[ \t]*+=[ \t]*+\x00)*+"
    rf"[ \t]*+(?:,[ \t]*+)?)?\}}"
).fullmatch
_LAYOUT_NAMES = re.compile(_LABEL_NAME).findall
# The common HELP or TYPE line: keyword, name, and a text that starts with no blank.
_HELP_OR_TYPE = re.compile(rf"#[ \t]*+(HELP|TYPE)[ \t]++({_METRIC_NAME})[ \t]++([^ \t].*+)", re.DOTALL).fullmatch
_LABELS_MATCH = re.compile(_LABELS).fullmatch
# Over a label set that _LABELS accepted: (name, value with its escapes).
_PAIRS = re.compile(rf'({_LABEL_NAME})[ \t]*+=[ \t]*+"([^"\\]*+(?:\\.[^"\\]*+)*+)"').findall
_ESCAPE = re.compile(r"\\(.?)", re.DOTALL)
_METRIC_NAME_AT = re.compile(_METRIC_NAME).match
_LABEL_NAME_AT = re.compile(_LABEL_NAME).match
_IS_FLOAT = re.compile(_FLOAT).fullmatch
_IS_INT = re.compile(_INT).fullmatch
# How invalid UTF-8 shows in decoded text (surrogateescape): lone surrogates.
_NOT_UTF8 = re.compile("[\ud800-\udfff]").search

# Lines are split a chunk of about this many characters at a time, so that the list of lines
# never holds much more than the chunk.
_CHUNK = 1 << 20

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

_new_sample = partial(tuple.__new__, Sample)


def parse_go_float(text: str) -> float:
    """TEXT as common's parseFloat reads a value or a quantile/le label: strconv.ParseFloat, but
    refusing `_` and the `p` of hexadecimal floats; ValueError (a NumberError) if it does not."""
    if "_" in text or "p" in text or "P" in text:
        raise NumberError(f"unsupported character in float {text[:64]!r}")
    return parse_float(text)


# Longest text an error message quotes in full: a broken line may be a whole file long.
_QUOTE_MAX = 256
_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               '"': '\\"', "\\": "\\\\"}


def quote(text: str) -> str:
    """TEXT in double quotes for an error message as Go's %q writes it (bytes that were not UTF-8
    as \\xNN), cut short after a few hundred characters."""
    cut = text[:_QUOTE_MAX]
    out = []
    for char in cut:
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif "\udc80" <= char <= "\udcff":
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"' + ("..." if len(text) > _QUOTE_MAX else "")


def _quote_char(char: str) -> str:
    """One character as Go's %q writes a byte: in single quotes."""
    shown = {"\n": "\\n", "\t": "\\t", "'": "\\'", "\\": "\\\\"}.get(char, char)
    return f"'{shown}'"


def _unescape_label_value(raw: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m[1] == "n" else m[1], raw)


def _unescape_help(raw: str, line: int) -> str:
    def one(match: re.Match[str]) -> str:
        char = match[1]
        if char == "\\":
            return "\\"
        if char == "n":
            return "\n"
        # Go meets the line's end as the escaped character when a backslash ends the line.
        raise TextFormatError(line, f"invalid escape sequence '\\{char or chr(10)}'")

    return _ESCAPE.sub(one, raw)


class _Fields(NamedTuple):
    """The pieces of one sample line, before any of them is checked for meaning: label values
    still hold their escapes."""

    name: str
    pairs: list[tuple[str, str]]
    value: str
    timestamp: str | None


def _slow_fields(line: str, number: int, family_name: Callable[[str], str]) -> _Fields:
    """A sample line read character by character as Go's TextParser reads it (readingMetricName
    through startTimestamp); TextFormatError at the first thing Go would stop at. FAMILY_NAME gives
    the name of the family a sample name joins, for Go's messages."""
    end = len(line)

    def at(pos: int) -> str:
        return line[pos] if pos < end else "\n"

    def skip_blanks(pos: int) -> int:
        while pos < end and line[pos] in " \t":
            pos += 1
        return pos

    def token_end(pos: int) -> int:
        while pos < end and line[pos] not in " \t":
            pos += 1
        return pos

    def fail(message: str) -> TextFormatError:
        return TextFormatError(number, message)

    pos = skip_blanks(0)
    match = _METRIC_NAME_AT(line, pos)
    if match is None:
        raise fail("invalid metric name")
    name = match.group()
    pos = skip_blanks(match.end())
    pairs: list[tuple[str, str]] = []
    if at(pos) == "{":
        pos += 1
        while True:
            pos = skip_blanks(pos)
            if at(pos) == "}":
                pos += 1
                break
            match = _LABEL_NAME_AT(line, pos)
            if match is None:
                raise fail(f"invalid label name for metric {quote(family_name(name))}")
            label = match.group()
            if label == "__name__":
                raise fail('label name "__name__" is reserved')
            pos = skip_blanks(match.end())
            if at(pos) != "=":
                raise fail(f"expected '=' after label name, found {_quote_char(at(pos))}")
            pos = skip_blanks(pos + 1)
            if at(pos) != '"':
                raise fail(f"expected '\"' at start of label value, found {_quote_char(at(pos))}")
            pos += 1
            value_start = pos
            while True:
                char = at(pos)
                if char == '"':
                    break
                if char == "\n":
                    shown = _unescape_label_value(line[value_start:pos])
                    raise fail(f"label value {quote(shown)} contains unescaped new-line")
                if char == "\\":
                    if at(pos + 1) not in '"\\n':
                        raise fail(f"invalid escape sequence '\\{at(pos + 1)}'")
                    pos += 1
                pos += 1
            pairs.append((label, line[value_start:pos]))
            pos = skip_blanks(pos + 1)
            if at(pos) == ",":
                pos += 1
                continue
            if at(pos) == "}":
                pos += 1
                break
            raise fail(f"unexpected end of label value {quote(_unescape_label_value(pairs[-1][1]))}")
        pos = skip_blanks(pos)
    value_end = token_end(pos)
    value = line[pos:value_end]
    if _IS_FLOAT(value) is None:
        raise fail(f"expected float as value, got {quote(value)}")
    if value_end == end:
        return _Fields(name, pairs, value, None)
    pos = skip_blanks(value_end)
    stamp_end = token_end(pos)
    timestamp = line[pos:stamp_end]
    if _IS_INT(timestamp) is None:
        raise fail(f"expected integer as timestamp, got {quote(timestamp)}")
    if stamp_end < end:
        raise fail(f"spurious string after timestamp: {quote(line[stamp_end:])}")
    return _Fields(name, pairs, value, timestamp)


def parse(text: str) -> list[Family]:
    """The families of TEXT with samples, in the order they were first named; TextFormatError
    (with Go's line number and, mostly, its message) when Go's TextParser rejects the text."""
    return _parse(text, fast=True)


def _parse(text: str, fast: bool) -> list[Family]:
    """parse; with FAST false, every line is read the careful way, character by character (tests
    hold the two ways equal)."""
    families: dict[str, Family] = {}
    # Every name seen on a line -> (its family, the name as stored in samples). A name resolves the
    # same way for the rest of the text: families are never removed, and a summary's or
    # histogram's type, which routes `_sum`/`_count`/`_bucket` names to it, never changes once set.
    route: dict[str, tuple[Family, str]] = {}
    check_utf8 = not text.isascii() and _NOT_UTF8(text) is not None

    def resolve(name: str) -> tuple[Family, str]:
        """Go's setOrCreateCurrentMF."""
        family = families.get(name)
        if family is None:
            stem = ""
            if name.endswith("_count") and len(name) > 6:
                stem = name[:-6]
            elif name.endswith("_sum") and len(name) > 4:
                stem = name[:-4]
            if stem:
                parent = families.get(stem)
                if parent is not None and parent.type == SUMMARY:
                    family = parent
            if family is None:
                if name.endswith("_bucket") and len(name) > 7:
                    stem = name[:-7]
                if stem:
                    parent = families.get(stem)
                    if parent is not None and parent.type == HISTOGRAM:
                        family = parent
            if family is None:
                family = Family(name)
                families[name] = family
        entry = (family, name)
        route[name] = entry
        return entry

    def family_name(name: str) -> str:
        entry = route.get(name)
        return (entry or resolve(name))[0].name

    def check_labels(family: Family, pairs: list[tuple[str, str]], number: int) -> None:
        """The label checks of Go's startLabelName/startLabelValue, for a label set that holds a
        reserved or repeated name or invalid UTF-8 (the common label set skips them)."""
        bound = BOUND_LABEL.get(family.type or "")
        seen: set[str] = set()
        for label, value in pairs:
            if label == "__name__":
                raise TextFormatError(number, 'label name "__name__" is reserved')
            if label != bound:
                if label in seen:
                    raise TextFormatError(number, f"duplicate label names for metric {quote(family.name)}")
                seen.add(label)
            if check_utf8 and _NOT_UTF8(value) is not None:
                raise TextFormatError(number, f"invalid label value {quote(value)}")
            if label == bound:
                check_bound(family, value, number)

    def check_bound(family: Family, value: str, number: int) -> None:
        try:
            parse_go_float(value)
        except ValueError:
            # Go's words are "for 'quantile' label"; without the quotes, the label's role reads
            # the same in both (and tests/collectors/test_robustness.py looks for it).
            label = BOUND_LABEL[family.type or ""]
            raise TextFormatError(
                number, f"expected float as value for {label} label, got {quote(value)}"
            ) from None

    def comment(line: str, number: int) -> None:
        """Go's startComment, readingHelp and readingType."""
        match = _HELP_OR_TYPE(line) if fast else None
        if match is not None:
            keyword, name, rest = match.groups()
            family = route[name][0] if name in route else resolve(name)[0]
        else:
            rest = line.lstrip(" \t")[1:].lstrip(" \t")
            blank = _first_blank(rest)
            if blank < 0:
                return  # a keyword, or any word, that ends the line: Go reads it as a plain comment
            keyword = rest[:blank]
            if keyword not in ("HELP", "TYPE"):
                return
            rest = rest[blank:].lstrip(" \t")
            if not rest:
                return
            found = _METRIC_NAME_AT(rest)
            name = found.group() if found else ""
            rest = rest[len(name):]
            if not rest:
                return
            if rest[0] not in " \t":
                raise TextFormatError(number, "invalid metric name in comment")
            family = route[name][0] if name in route else resolve(name)[0]
            rest = rest.lstrip(" \t")
            if not rest:
                return
        if keyword == "HELP":
            if family.help is not None:
                raise TextFormatError(number, f"second HELP line for metric name {quote(family.name)}")
            family.help = _unescape_help(rest, number) if "\\" in rest else rest
            return
        if family.type is not None:
            raise TextFormatError(
                number, f"second TYPE line for metric name {quote(family.name)}, or TYPE reported after samples"
            )
        # Go reads the type as the rest of the line with escapes off, which drops every backslash.
        rest = rest.replace("\\", "")
        # ASCII only: str.upper() folds some letters Go's strings.ToUpper does not ("ﬆ" -> "ST").
        kind = _TYPES.get(rest.upper()) if rest.isascii() else None
        if kind is None:
            raise TextFormatError(number, f"unknown metric type {quote(rest)}")
        family.type = kind

    layouts = _LAYOUTS
    # One string per label name, shared by every sample that has it.
    label_names: dict[str, str] = {}

    def careful(line: str, number: int) -> tuple[str, list[tuple[str, str]], str, str | None]:
        """A sample line the fast way does not take: one with escapes in its label values, or one
        with something wrong (TextFormatError)."""
        match = _SAMPLE_LINE(line) if fast else None
        if match is not None and match[2] is not None and _LABELS_MATCH(match[2]) is not None:
            name, raw_pairs, value, timestamp = match[1], _PAIRS(match[2]), match[3], match[4]
        else:
            name, raw_pairs, value, timestamp = _slow_fields(line, number, family_name)
        pairs = [(label_names.setdefault(label, label), _unescape_label_value(raw) if "\\" in raw else raw)
                 for label, raw in raw_pairs]
        return name, pairs, value, timestamp

    sample_line = _SAMPLE_LINE if fast else lambda line: None
    new_sample = _new_sample
    infinities = (math.inf, -math.inf)
    number = 0
    start, size = 0, len(text)
    while start < size:
        cut = text.find("\n", start + _CHUNK)
        if cut < 0:
            cut = size
        for line in text[start:cut].split("\n"):
            number += 1
            if line[:1] == "#":
                comment(line, number)
                continue
            match = sample_line(line)
            layout = None
            if match is not None:
                name, labels_text, value_text, timestamp_text = match.groups()
                if labels_text is None:
                    labels: dict[str, str] = {}
                elif "\\" not in labels_text:
                    parts = labels_text.split('"')
                    key = "\x00".join(parts[::2])
                    layout = layouts.get(key, _UNSEEN)
                    if layout is _UNSEEN:
                        layout = _layout_of(key)
                    if layout is None:
                        match = None
                    else:
                        labels = dict(zip(layout[0], parts[1::2], strict=True))
                else:
                    match = None
            pairs = None
            if match is None:
                first = line.lstrip(" \t")[:1]
                if not first:
                    continue
                if first == "#":
                    comment(line, number)
                    continue
                name, pairs, value_text, timestamp_text = careful(line, number)
                labels = dict(pairs)
            entry = route.get(name)
            family, name = entry if entry is not None else resolve(name)
            kind = family.type
            if kind is None:
                family.type = kind = UNTYPED
            if pairs is not None:
                check_labels(family, pairs, number)
            elif layout is not None and (layout[1] or check_utf8):
                check_labels(family, list(zip(layout[0], parts[1::2], strict=True)), number)
            if kind == SUMMARY or kind == HISTOGRAM:
                bound = labels.get("quantile" if kind == SUMMARY else "le")
                if bound is not None:
                    check_bound(family, bound, number)
            elif kind == GAUGE_HISTOGRAM:
                raise TextFormatError(number, f"unexpected type for metric name {quote(family.name)}")
            value = float(value_text)
            if value in infinities and value_text[-1] not in "fFyY":
                raise TextFormatError(number, f"expected float as value, got {quote(value_text)}")
            timestamp = None
            if timestamp_text is not None:
                timestamp = int(timestamp_text)
                if not _INT64_MIN <= timestamp <= _INT64_MAX:
                    raise TextFormatError(number, f"expected integer as timestamp, got {quote(timestamp_text)}")
                family.has_timestamp = True
            family.samples.append(new_sample((name, labels, value, timestamp)))
        start = cut + 1
    if text[text.rfind("\n") + 1:].strip(" \t"):
        # A last line without its newline: Go meets the end of input inside it.
        raise TextFormatError(number, "unexpected end of input stream")
    return [family for family in families.values() if family.samples]


# Distinct label layouts (what lies between the values of a label set, see _SAMPLE_LINE) -> (the
# label names, whether label sets of that layout need check_labels), or None when it is not valid.
# Shared by every parse (files of one directory mostly share their layouts), and bounded.
_LAYOUTS: dict[str, tuple[tuple[str, ...], bool] | None] = {}
_LAYOUTS_MAX = 4096
# What _LAYOUTS.get gives for a layout not seen yet (one lookup: another thread may clear it).
_UNSEEN: tuple[tuple[str, ...], bool] = ((), False)


def _layout_of(key: str) -> tuple[tuple[str, ...], bool] | None:
    found = None
    if _LAYOUT(key) is not None:
        names = tuple(_LAYOUT_NAMES(key))
        found = (names, len(set(names)) != len(names) or "__name__" in names)
    if len(_LAYOUTS) >= _LAYOUTS_MAX:
        _LAYOUTS.clear()
    _LAYOUTS[key] = found
    return found


def _first_blank(text: str) -> int:
    space, tab = text.find(" "), text.find("\t")
    if space < 0:
        return tab
    return space if tab < 0 else min(space, tab)
