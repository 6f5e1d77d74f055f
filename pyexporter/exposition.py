"""Turning gathered families into bytes, with the format negotiated in one place.

prometheus-client chooses the format. For the two formats scrapers ask for (text 0.0.4, and
OpenMetrics 1.0.0, which Prometheus prefers) a lean encoder writes the same bytes as
prometheus-client's: its encoders validate and escape every name of every sample, which made
them a large share of a whole scrape's time (benchmarks/results/measurements.md). Other negotiated
variants use prometheus-client's.
"""

from __future__ import annotations

import gzip
import logging
import math
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import utils as client_utils
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder, gzip_accepted
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as CONTENT_TYPE_OPENMETRICS

from pyexporter.toolkit.families import VerbatimFamily
from pyexporter.toolkit.files import has_invalid_utf8, printable, to_valid_utf8

log = logging.getLogger("pyexporter.exposition")

# prometheus-client leaves this one unannotated; how client_golang prints a float.
_go_float_text: Callable[[float], str] = client_utils.floatToGoString


class _Collectable:
    """The shape prometheus-client's encoders ask for: something with `collect()`."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


_reported_conflicts: set[str] = set()
_NAME = operator.attrgetter("name")


def merge(families: Iterable[Metric]) -> tuple[list[Metric], int]:
    """Families sorted by name, with same-named ones merged as client_golang's Gatherer does.

    Returns the families and the number of conflicts (same name, different type or HELP)
    whose later family was dropped and logged.
    """
    # Sorted once by name (stable: same-named families stay in the order given), then merged in
    # one pass: cheaper than indexing by name and sorting the names (a scrape has hundreds of
    # families and few share a name).
    merged: list[Metric] = []
    conflicts = 0
    seen: Metric | None = None
    for family in sorted(families, key=_NAME):
        if seen is None or family.name != seen.name:
            merged.append(family)
            seen = family
        elif seen.type == family.type and seen.documentation == family.documentation:
            # A new family, so that a collector's cached families are never changed.
            combined = Metric(seen.name, seen.documentation, seen.type)
            combined.samples = [*seen.samples, *family.samples]
            merged[-1] = seen = combined
        else:
            conflicts += 1
            # The same conflict recurs on every scrape; say it once at error level.
            level = logging.DEBUG if family.name in _reported_conflicts else logging.ERROR
            _reported_conflicts.add(family.name)
            log.log(
                level,
                "metric family collected twice with different type or help; keeping the first",
                extra={"kv": {"family": family.name}},
            )
    return merged, conflicts


def _label_text(items: tuple[tuple[str, str], ...]) -> str:
    """`{a="1",b="2"}` for a sample's `labels.items()`, names sorted as prometheus-client sorts them."""
    parts = []
    for name, value in sorted(items):
        if "\\" in value or "\n" in value or '"' in value:
            value = value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        parts.append(f'{name}="{value}"')
    return "{" + ",".join(parts) + "}"


_INF = math.inf


def _value_text(value: float) -> str:
    """floatToGoString(VALUE) (prometheus-client's: the same expressions), without its checks and
    conversion where VALUE is a finite float or an int (which it converts with float() first): a
    miss here is a counter's new value, every scrape."""
    if value.__class__ is int:
        value = float(value)
    if value.__class__ is float and -_INF < value < _INF:
        text = repr(value)
        # floatToGoString's test is `value > 0 and dot > 6`: repr puts the dot at most 6 places in
        # below 1e6.
        if value >= 1e6:
            dot = text.find(".")
            if dot > 6:
                mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1:]}".rstrip("0.")
                return f"{mantissa}e+{dot - 1:02d}"
        return text
    return _go_float_text(value)


# Far above a default scrape's few hundred label sets and the 19 000 samples of a host with 1000 disks.
_REMEMBERED_MAX = 50_000
# A generation holds at least this many texts before it is retired, however small the scrapes.
_REMEMBERED_MIN = 256


class _Remembered:
    """Texts remembered across encodes, in two generations: nearly all label sets and most values
    (0, 1, sizes, limits) recur from one scrape to the next.

    Lookups go to `now`; a text missing there is taken from `before` (or formatted) and put in
    `now`. `rotate`, at the start of an encode, retires `now` to `before` (dropping the old
    `before`) once `now` holds more texts than the last encode had samples, the most it can have
    used: so a scrape whose texts recur finds them all in `now`, at one lookup a sample and no
    copying, and texts that stop recurring (counter values, the labels of exited processes) are
    dropped within two rotations. Memory holds at most about twice what two encodes use, and at
    most _REMEMBERED_MAX texts a generation: a scrape of huge textfiles is formatted, not
    remembered, past that. Concurrent encodes may race here; the worst outcome is a text
    formatted twice, or a generation retired early.

    A remembered text is the one formatting would give: keys that are equal give the same text
    (label items equal item by item; numbers equal only when float() of them is the same float;
    headers' names, types, HELP texts and units equal). The two zeros, equal but printed
    differently, are never looked up; NaN, unequal to itself, is never stored.
    """

    def __init__(self, text: Callable[[Any], str]) -> None:
        self._text = text
        self.now: dict[Any, str] = {}
        self.before: dict[Any, str] = {}
        self._limit = _REMEMBERED_MIN

    def rotate(self) -> dict[Any, str]:
        """`now`, for the encode about to start, after retiring it if it is due."""
        if len(self.now) > self._limit:
            self.before, self.now = self.now, {}
        return self.now

    def finish(self, samples: int) -> None:
        self._limit = min(max(samples, _REMEMBERED_MIN), _REMEMBERED_MAX - 1)

    def miss(self, key: Any) -> str:
        text = self.before.get(key)
        if text is None:
            text = self._text(key)
        now = self.now
        if len(now) < _REMEMBERED_MAX and key == key:  # NaN would be stored anew every time
            now[key] = text
        return text


_LABEL_TEXTS = _Remembered(_label_text)
_VALUE_TEXTS = _Remembered(_value_text)

# The per-sample loops below unpack samples into these fields; a prometheus-client that changes
# Sample fails there, loudly (tests/unit/test_exposition.py checks the fields by name too).
_SAMPLE_FIELDS = ("name", "labels", "value", "timestamp", "exemplar", "native_histogram")

# prometheus-client's text encoder renames these types and moves these samples (see its
# generate_latest); the same is done here so that the bytes match.
_TEXT_TYPES = {"info": "gauge", "stateset": "gauge", "gaugehistogram": "histogram", "unknown": "untyped"}
_OPENMETRICS_ONLY_SUFFIXES = ("_created", "_gsum", "_gcount")


def _text_help(documentation: str) -> str:
    return documentation.replace("\\", "\\\\").replace("\n", "\\n")


def _text_header(key: tuple[str, str, str, bool]) -> str:
    """`# HELP` and `# TYPE` of a family (name, type, HELP, verbatim) in text format."""
    name, kind, documentation, verbatim = key
    if kind == "counter":
        if not verbatim:
            name += "_total"
    elif kind == "info":
        name += "_info"
    kind = _TEXT_TYPES.get(kind, kind)
    help_text = _text_help(documentation)
    return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"


def _openmetrics_header(key: tuple[str, str, str, str]) -> str:
    """`# HELP`, `# TYPE` and `# UNIT` of a family (name, type, HELP, unit) in OpenMetrics."""
    name, kind, help_text, unit = key
    if "\\" in help_text or "\n" in help_text or '"' in help_text:
        help_text = help_text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    header = f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"
    return f"{header}# UNIT {name} {unit}\n" if unit else header


# Most families of a default scrape have a single sample: their headers recur every scrape and
# cost as much as their samples (benchmarks/results/measurements.md).
_TEXT_HEADERS = _Remembered(_text_header)
_OPENMETRICS_HEADERS = _Remembered(_openmetrics_header)


def _utf8(parts: list[str]) -> bytes:
    """PARTS joined, as UTF-8. One non-ASCII label value or HELP text makes the joined text wide,
    and encoding all of it character by character costs more than encoding the parts one by one,
    which copies ASCII parts whole (benchmarks/results/measurements.md)."""
    text = "".join(parts)
    if text.isascii():
        return text.encode("utf-8")
    return b"".join([part.encode("utf-8") for part in parts])


def encode_text(families: Iterable[Metric], duplicates: list[str] | None = None) -> bytes:
    """Text format 0.0.4, byte for byte as prometheus-client's generate_latest writes it, each
    series once (see _SERIES_ONCE); the series left out are added to DUPLICATES."""
    label_texts, label_miss = _LABEL_TEXTS.rotate(), _LABEL_TEXTS.miss
    value_texts, value_miss = _VALUE_TEXTS.rotate(), _VALUE_TEXTS.miss
    # Label texts of this encode by dict: samples that share one dict (toolkit.families.add_row)
    # are looked up once. Every dict lives as long as `families`, so no id is reused meanwhile.
    by_dict: dict[int, str] = {}
    count = families_count = 0
    out: list[str] = []
    append = out.append
    headers, header_miss = _TEXT_HEADERS.rotate(), _TEXT_HEADERS.miss
    for family in families:
        family_name = family.name
        header_key = (family_name, family.type, family.documentation, type(family) is VerbatimFamily)
        append(headers.get(header_key) or header_miss(header_key))
        samples = family.samples
        count += len(samples)
        seen: set[tuple[str, str]] | None = set() if len(samples) > 1 else None
        moved: dict[str, list[str]] | None = None
        # Samples come in runs of one name (often one string object): whether a run moves after
        # the family is decided once per run.
        run: str | None = None
        run_moved = False
        # One pass, all inline: this runs for every sample of every scrape.
        for name, labels, value, timestamp, _, _ in samples:
            if labels:
                label_text = by_dict.get(id(labels))
                if label_text is None:
                    key = tuple(labels.items())
                    label_text = by_dict[id(labels)] = label_texts.get(key) or label_miss(key)
            else:
                label_text = ""
            if seen is not None:
                series = (name, label_text)
                if series in seen:
                    if duplicates is not None:
                        duplicates.append(name + label_text)
                    continue
                seen.add(series)
            if value:
                value_text = value_texts.get(value) or value_miss(value)
            else:
                value_text = "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
            if timestamp is None:
                line = f"{name}{label_text} {value_text}\n"
            else:
                line = f"{name}{label_text} {value_text} {int(float(timestamp) * 1000):d}\n"
            if name is not run and name != run:
                run = name
                run_moved = name[len(family_name):] in _OPENMETRICS_ONLY_SUFFIXES and name.startswith(family_name)
            if run_moved:
                if moved is None:
                    moved = {}
                moved.setdefault(name[len(family_name):], []).append(line)
            else:
                append(line)
        if moved:
            help_text = _text_help(family.documentation)
            for suffix, lines in sorted(moved.items()):
                append(f"# HELP {family_name}{suffix} {help_text}\n# TYPE {family_name}{suffix} gauge\n")
                out.extend(lines)
        families_count += 1
    _LABEL_TEXTS.finish(count)
    _VALUE_TEXTS.finish(count)
    _TEXT_HEADERS.finish(families_count)
    return _utf8(out)


def encode_openmetrics(families: Iterable[Metric], duplicates: list[str] | None = None) -> bytes:
    """OpenMetrics 1.0.0, byte for byte as prometheus-client's openmetrics encoder writes it, each
    series once (see _SERIES_ONCE); the series left out are added to DUPLICATES."""
    label_texts, label_miss = _LABEL_TEXTS.rotate(), _LABEL_TEXTS.miss
    value_texts, value_miss = _VALUE_TEXTS.rotate(), _VALUE_TEXTS.miss
    # Label texts of this encode by dict: samples that share one dict (toolkit.families.add_row)
    # are looked up once. Every dict lives as long as `families`, so no id is reused meanwhile.
    by_dict: dict[int, str] = {}
    count = families_count = 0
    out: list[str] = []
    append = out.append
    headers, header_miss = _OPENMETRICS_HEADERS.rotate(), _OPENMETRICS_HEADERS.miss
    for family in families:
        if family.type == "counter" and type(family) is VerbatimFamily:
            family = family.conventional()
        header_key = (family.name, family.type, family.documentation, family.unit)
        append(headers.get(header_key) or header_miss(header_key))
        families_count += 1
        samples = family.samples
        count += len(samples)
        seen: set[tuple[str, str]] | None = set() if len(samples) > 1 else None
        # One pass, all inline: this runs for every sample of every scrape.
        for name, labels, value, timestamp, _, _ in samples:
            if labels:
                label_text = by_dict.get(id(labels))
                if label_text is None:
                    key = tuple(labels.items())
                    label_text = by_dict[id(labels)] = label_texts.get(key) or label_miss(key)
            else:
                label_text = ""
            if seen is not None:
                series = (name, label_text)
                if series in seen:
                    if duplicates is not None:
                        duplicates.append(name + label_text)
                    continue
                seen.add(series)
            if value:
                value_text = value_texts.get(value) or value_miss(value)
            else:
                value_text = "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
            if timestamp is None:
                append(f"{name}{label_text} {value_text}\n")
            else:
                append(f"{name}{label_text} {value_text} {timestamp}\n")
    _LABEL_TEXTS.finish(count)
    _VALUE_TEXTS.finish(count)
    _OPENMETRICS_HEADERS.finish(families_count)
    append("# EOF\n")
    return _utf8(out)


# What choose_encoder passes for plain OpenMetrics 1.0.0; legacy names escape to themselves.
_OPENMETRICS_1_0 = {"escaping": "underscores", "version": "1.0.0"}


def encode(families: list[Metric], accept: str = "", duplicates: list[str] | None = None) -> tuple[bytes, str]:
    """Body and content type: text 0.0.4 unless the Accept header asks for OpenMetrics. Each series
    once (see _SERIES_ONCE); the series left out are added to DUPLICATES."""
    encoder, content_type = choose_encoder(accept)
    if encoder is generate_text:
        content_type = CONTENT_TYPE_PLAIN_0_0_4
    left_out: list[str] = []
    try:
        body = _encode(families, encoder, content_type, left_out)
    except UnicodeEncodeError:
        # Names from the filesystem (a textfile, an interface, a mount point) are bytes that need
        # not be UTF-8; Python hands their stray bytes over as lone surrogates.
        left_out.clear()
        body = _encode(valid_utf8(families), encoder, content_type, left_out)
    if duplicates is not None:
        duplicates.extend(left_out)
    return body, content_type


# _SERIES_ONCE: a series (a sample name and label set) is served once, as the first sample a family
# gives for it: client_golang's registry refuses a metric "collected before with the same name and
# label values", so node_exporter serves one line where a file repeats an entry. Two lines of one
# series make an exposition Prometheus does not take whole. Checked by the encoders, which have each
# label set's text at hand (remembered across scrapes, its hash with it).


def _encode(families: list[Metric], encoder: Callable[[Any], bytes], content_type: str,
            duplicates: list[str]) -> bytes:
    if encoder is generate_text:
        return encode_text(families, duplicates)
    if content_type.startswith(CONTENT_TYPE_OPENMETRICS) and getattr(encoder, "keywords", None) == _OPENMETRICS_1_0:
        return encode_openmetrics(families, duplicates)
    conventional = [f.conventional() if type(f) is VerbatimFamily else f for f in families]
    return encoder(_Collectable(_series_once(conventional, duplicates)))


_reported_duplicates: set[str] = set()


def report_duplicates(series: list[str]) -> None:
    """Log the SERIES an encode left out as repeated (_SERIES_ONCE): at error level the first time a
    sample name repeats, as node_exporter logs every scrape's, then at debug level."""
    for text in series:
        name = text.partition("{")[0]
        level = logging.DEBUG if name in _reported_duplicates else logging.ERROR
        _reported_duplicates.add(name)
        log.log(level, "metric was collected before with the same name and label values; served once",
                extra={"kv": {"series": text[:200]}})


def _series_once(families: list[Metric], duplicates: list[str]) -> list[Metric]:
    """FAMILIES with each series once (_SERIES_ONCE), for prometheus-client's own encoders."""
    kept: list[Metric] = []
    for family in families:
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        samples = []
        for sample in family.samples:
            series = (sample.name, tuple(sorted(sample.labels.items())))
            if series in seen:
                duplicates.append(sample.name + (_label_text(series[1]) if series[1] else ""))
            else:
                seen.add(series)
                samples.append(sample)
        if len(samples) < len(family.samples):
            family = copy_family(family)
            family.samples = samples
        kept.append(family)
    return kept


_reported_invalid: set[str] = set()


def valid_utf8(families: list[Metric]) -> list[Metric]:
    """FAMILIES with every text that is not valid UTF-8 made valid as current node_exporter does
    (its #3687: invalid bytes become U+FFFD, where 1.5.0 panicked), logged once per family name."""
    fixed: list[Metric] = []
    for family in families:
        invalid = [text for text in (family.documentation, *(v for s in family.samples for v in s.labels.values()))
                   if has_invalid_utf8(text)]
        if not invalid:
            fixed.append(family)
            continue
        copy = copy_family(family)
        copy.documentation = to_valid_utf8(family.documentation)
        copy.samples = [
            sample._replace(labels={name: to_valid_utf8(value) for name, value in sample.labels.items()})
            for sample in family.samples
        ]
        fixed.append(copy)
        if family.name not in _reported_invalid and len(_reported_invalid) < 1000:
            _reported_invalid.add(family.name)
            log.error("text is not valid UTF-8; each run of invalid bytes is served as U+FFFD",
                      extra={"kv": {"family": family.name, "text": printable(invalid[0])}})
    return fixed


def copy_family(family: Metric) -> Metric:
    """A shallow copy of FAMILY, of the same class, whose samples list can be replaced."""
    copy = object.__new__(type(family))
    copy.__dict__.update(family.__dict__)
    copy.samples = list(family.samples)
    return copy


def compress(body: bytes, accept_encoding: str) -> tuple[bytes, str | None]:
    if gzip_accepted(accept_encoding):
        return gzip.compress(body, compresslevel=1), "gzip"
    return body, None
