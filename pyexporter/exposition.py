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
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import utils as client_utils
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder, gzip_accepted
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as CONTENT_TYPE_OPENMETRICS
from prometheus_client.samples import Sample

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


def merge(families: Iterable[Metric]) -> tuple[list[Metric], int]:
    """Families sorted by name, with same-named ones merged as client_golang's Gatherer does.

    Returns the families and the number of conflicts (same name, different type or HELP)
    whose later family was dropped and logged.
    """
    by_name: dict[str, Metric] = {}
    conflicts = 0
    for family in families:
        seen = by_name.get(family.name)
        if seen is None:
            by_name[family.name] = family
        elif seen.type == family.type and seen.documentation == family.documentation:
            # A new family, so that a collector's cached families are never changed.
            merged = Metric(seen.name, seen.documentation, seen.type)
            merged.samples = [*seen.samples, *family.samples]
            by_name[family.name] = merged
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
    return [by_name[name] for name in sorted(by_name)], conflicts


def _label_text(labels: dict[str, str]) -> str:
    """`{a="1",b="2"}`, names sorted as prometheus-client sorts them."""
    parts = []
    for name in sorted(labels):
        value = labels[name]
        if "\\" in value or "\n" in value or '"' in value:
            value = value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        parts.append(f'{name}="{value}"')
    return "{" + ",".join(parts) + "}"


# Far above a default scrape's few hundred label sets and the 19 000 samples of a host with 1000 disks.
_REMEMBERED_MAX = 50_000


class _SampleTexts:
    """`name{labels} value` for each sample, with the texts of label sets and values remembered:
    nearly all label sets and most values (0, 1, sizes, limits) recur from one scrape to the next.

    Remembered in two generations: `rotate`, at the start of each encode, makes the current one
    the previous one and drops the one before; what recurs is carried forward from the previous
    one. Memory holds at most two encodes' worth, and at most _REMEMBERED_MAX texts of each kind
    a generation: a scrape of huge textfiles is formatted, not remembered, past that. (A cache that
    stopped admitting entries once full filled up with counter values that never recur, and held
    them; here a generation only lasts one encode.) Concurrent encodes may
    race here; the worst outcome is a text formatted twice. One call per sample, all inline:
    this runs for every sample of every scrape.
    """

    def __init__(self) -> None:
        self.labels: dict[tuple[tuple[str, str], ...], str] = {}
        self.labels_before: dict[tuple[tuple[str, str], ...], str] = {}
        self.values: dict[float, str] = {}
        self.values_before: dict[float, str] = {}

    def rotate(self) -> None:
        self.labels_before, self.labels = self.labels, {}
        self.values_before, self.values = self.values, {}

    def line(self, sample: Sample) -> str:
        labels = sample.labels
        if labels:
            key = tuple(labels.items())
            label_text = self.labels.get(key)
            if label_text is None:
                label_text = self.labels_before.get(key)
                if label_text is None:
                    label_text = _label_text(labels)
                if len(self.labels) < _REMEMBERED_MAX:
                    self.labels[key] = label_text
        else:
            label_text = ""
        value = sample.value
        if value == 0:
            # -0.0 and 0.0 are equal as keys but print differently.
            value_text = "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
        else:
            remembered = self.values.get(value)
            if remembered is None:
                earlier = self.values_before.get(value)
                remembered = _go_float_text(value) if earlier is None else earlier
                if len(self.values) < _REMEMBERED_MAX:
                    self.values[value] = remembered
            value_text = remembered
        return f"{sample.name}{label_text} {value_text}"


_TEXTS = _SampleTexts()


# prometheus-client's text encoder renames these types and moves these samples (see its
# generate_latest); the same is done here so that the bytes match.
_TEXT_TYPES = {"info": "gauge", "stateset": "gauge", "gaugehistogram": "histogram", "unknown": "untyped"}
_OPENMETRICS_ONLY_SUFFIXES = ("_created", "_gsum", "_gcount")


def encode_text(families: Iterable[Metric]) -> bytes:
    """Text format 0.0.4, byte for byte as prometheus-client's generate_latest writes it."""
    _TEXTS.rotate()
    sample_line = _TEXTS.line
    out: list[str] = []
    append = out.append
    for family in families:
        name, kind = family.name, family.type
        if kind == "counter":
            if type(family) is not VerbatimFamily:
                name += "_total"
        elif kind == "info":
            name += "_info"
        kind = _TEXT_TYPES.get(kind, kind)
        help_text = family.documentation.replace("\\", "\\\\").replace("\n", "\\n")
        append(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")
        moved: dict[str, list[str]] = {}
        for sample in family.samples:
            line = sample_line(sample)
            if sample.timestamp is not None:
                line += f" {int(float(sample.timestamp) * 1000):d}"
            suffix = sample.name[len(family.name):]
            if suffix in _OPENMETRICS_ONLY_SUFFIXES and sample.name.startswith(family.name):
                moved.setdefault(suffix, []).append(line + "\n")
            else:
                append(line + "\n")
        for suffix, lines in sorted(moved.items()):
            append(f"# HELP {family.name}{suffix} {help_text}\n# TYPE {family.name}{suffix} gauge\n")
            out.extend(lines)
    return "".join(out).encode("utf-8")


def encode_openmetrics(families: Iterable[Metric]) -> bytes:
    """OpenMetrics 1.0.0, byte for byte as prometheus-client's openmetrics encoder writes it."""
    _TEXTS.rotate()
    sample_line = _TEXTS.line
    out: list[str] = []
    append = out.append
    for family in families:
        if family.type == "counter" and type(family) is VerbatimFamily:
            family = family.conventional()
        help_text = family.documentation
        if "\\" in help_text or "\n" in help_text or '"' in help_text:
            help_text = help_text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        append(f"# HELP {family.name} {help_text}\n# TYPE {family.name} {family.type}\n")
        if family.unit:
            append(f"# UNIT {family.name} {family.unit}\n")
        for sample in family.samples:
            line = sample_line(sample)
            if sample.timestamp is not None:
                line += f" {sample.timestamp}"
            append(line + "\n")
    append("# EOF\n")
    return "".join(out).encode("utf-8")


# What choose_encoder passes for plain OpenMetrics 1.0.0; legacy names escape to themselves.
_OPENMETRICS_1_0 = {"escaping": "underscores", "version": "1.0.0"}


def encode(families: list[Metric], accept: str = "") -> tuple[bytes, str]:
    """Body and content type: text 0.0.4 unless the Accept header asks for OpenMetrics."""
    encoder, content_type = choose_encoder(accept)
    if encoder is generate_text:
        content_type = CONTENT_TYPE_PLAIN_0_0_4
    try:
        return _encode(families, encoder, content_type), content_type
    except UnicodeEncodeError:
        # Names from the filesystem (a textfile, an interface, a mount point) are bytes that need
        # not be UTF-8; Python hands their stray bytes over as lone surrogates.
        return _encode(valid_utf8(families), encoder, content_type), content_type


def _encode(families: list[Metric], encoder: Callable[[Any], bytes], content_type: str) -> bytes:
    if encoder is generate_text:
        return encode_text(families)
    if content_type.startswith(CONTENT_TYPE_OPENMETRICS) and getattr(encoder, "keywords", None) == _OPENMETRICS_1_0:
        return encode_openmetrics(families)
    conventional = [f.conventional() if type(f) is VerbatimFamily else f for f in families]
    return encoder(_Collectable(conventional))


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
