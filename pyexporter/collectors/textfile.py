"""textfile: metrics from *.prom files in --collector.textfile.directory, as node_exporter's.

Files are parsed with prometheus_client's text parser. A file that cannot be read or parsed, or
that carries client-side timestamps, is skipped whole and sets node_textfile_scrape_error to 1;
the other files are still served. Families of one name from several files are merged; a file
whose HELP for a family disagrees with an earlier file's loses that family (and sets the error).
"""

from __future__ import annotations

import glob
import math
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import Collector, CollectorContext, CollectorError, Flag, collector
from pyexporter.families import METRIC_NAME, GaugeMetricFamily

# node_exporter parses with the legacy (pre-UTF-8) name rules; prometheus_client also takes
# quoted UTF-8 names, so those are refused here to match (metric names by families.METRIC_NAME).
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_META_LINE = re.compile(r"^\s*#\s*(HELP|TYPE)\s+(\S+)")

_SCALAR_TYPES = ("counter", "gauge", "unknown")
# (family type, sample name suffix) -> the label that must hold a number (a quantile or bucket bound).
_BOUND_LABEL = {("summary", ""): "quantile", ("histogram", "_bucket"): "le"}


class TextfileError(CollectorError):
    """One .prom file is unusable; the collector skips it and reports the scrape error."""


@dataclass(slots=True)
class ParsedFamily:
    """One metric family of one file. `name` is prometheus_client's (counters without _total);
    `help` is None when the file gave none or an empty one (node_exporter treats both alike)."""

    name: str
    type: str
    help: str | None
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)
    has_timestamp: bool = False


def format_go_float(value: float) -> str:
    """A float as Go's strconv 'g' shortest format writes it (for le/quantile label values)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    from decimal import Decimal  # here: hosts without textfiles never load decimal

    sign, digits, exp = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exp, int)
    text = "".join(map(str, digits))
    exponent = len(text) + exp - 1
    prefix = "-" if sign else ""
    # Go's shortest 'g' switches to exponent form below 1e-4 and from 1e6 on.
    if exponent < -4 or exponent >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent < 0:
        return f"{prefix}0.{'0' * (-exponent - 1)}{text}"
    if len(text) <= exponent + 1:
        return prefix + text + "0" * (exponent + 1 - len(text))
    return f"{prefix}{text[: exponent + 1]}.{text[exponent + 1 :]}"


def _check_meta_lines(text: str) -> None:
    """Refuse repeated HELP or TYPE lines for one name, as node_exporter's parser does."""
    seen: set[tuple[str, str]] = set()
    for line in text.splitlines():
        match = _META_LINE.match(line)
        if match:
            key = (match.group(1), match.group(2))
            if key in seen:
                raise TextfileError(f"second {key[0]} line for metric name {key[1]!r}")
            seen.add(key)


def parse_textfile(text: str) -> list[ParsedFamily]:
    """The families of one .prom file, same-named chunks merged; TextfileError when malformed."""
    from prometheus_client.parser import text_string_to_metric_families  # only hosts with textfiles need it

    _check_meta_lines(text)
    families: dict[str, ParsedFamily] = {}
    try:
        for parsed in text_string_to_metric_families(text):
            if not METRIC_NAME.match(parsed.name):
                raise TextfileError(f"invalid metric name {parsed.name!r}")
            family = families.get(parsed.name)
            if family is None:
                family = ParsedFamily(parsed.name, parsed.type, parsed.documentation or None)
                families[parsed.name] = family
            elif family.type != parsed.type:
                raise TextfileError(f"TYPE line for {parsed.name!r} after its samples")
            for s in parsed.samples:
                for label in s.labels:
                    if not _LABEL_NAME.match(label):
                        raise TextfileError(f"invalid label name {label!r} in {s.name!r}")
                bound = _BOUND_LABEL.get((parsed.type, s.name.removeprefix(parsed.name)))
                if bound is not None and bound in s.labels:
                    # convert_family sorts by it; node_exporter's parser refuses a non-number too.
                    try:
                        float(s.labels[bound])
                    except ValueError:
                        raise TextfileError(
                            f"expected a number as {bound} label value of {s.name!r}, got {s.labels[bound][:40]!r}"
                        ) from None
                if s.timestamp is not None:
                    family.has_timestamp = True
                family.samples.append((s.name, dict(s.labels), float(s.value)))
    except TextfileError:
        raise
    # OverflowError: an integer sample value beyond float range, which Go's ParseFloat refuses too.
    except (ValueError, IndexError, KeyError, TypeError, OverflowError) as err:
        raise TextfileError(f"text format parsing error: {err}") from None
    return list(families.values())


def _label_key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _filled(labels: dict[str, str], names: Sequence[str]) -> dict[str, str]:
    """Labels sorted by name, with every name of the family present (missing ones empty)."""
    return {name: labels.get(name, "") for name in names}


def _scalar_samples(family: ParsedFamily, names: Sequence[str]) -> list[tuple[str, dict[str, str], float]]:
    return [(name, _filled(labels, names), value) for name, labels, value in family.samples]


@dataclass(slots=True)
class _Group:
    """One label set of a summary or histogram: its quantiles or buckets, sum and count."""

    labels: dict[str, str]
    points: dict[float, float] = field(default_factory=dict)
    sum: float = 0.0
    count: float = 0.0


def _regrouped(
    family: ParsedFamily, names: Sequence[str], point_name: str, point_label: str, close_with_inf: bool
) -> list[tuple[str, dict[str, str], float]]:
    """A summary's or histogram's samples regrouped per label set, in client_golang's order."""
    groups: dict[tuple[tuple[str, str], ...], _Group] = {}

    def group(labels: dict[str, str]) -> _Group:
        base = _filled(labels, names)
        return groups.setdefault(_label_key(base), _Group(base))

    for name, labels, value in family.samples:
        if name == point_name and point_label in labels:
            rest = {k: v for k, v in labels.items() if k != point_label}
            group(rest).points[float(labels[point_label])] = value
        elif name == family.name + "_sum":
            group(labels).sum = value
        elif name == family.name + "_count":
            group(labels).count = value
    out: list[tuple[str, dict[str, str], float]] = []
    for g in groups.values():
        # client_golang's encoder always ends a histogram with an +Inf bucket holding the count.
        if close_with_inf and math.inf not in g.points:
            g.points[math.inf] = float(g.count)
        for point in sorted(g.points):
            out.append((point_name, {**g.labels, point_label: format_go_float(point)}, g.points[point]))
        out.append((family.name + "_sum", dict(g.labels), float(g.sum)))
        out.append((family.name + "_count", dict(g.labels), float(g.count)))
    return out


def _summary_samples(family: ParsedFamily, names: Sequence[str]) -> list[tuple[str, dict[str, str], float]]:
    return _regrouped(family, names, family.name, "quantile", close_with_inf=False)


def _histogram_samples(family: ParsedFamily, names: Sequence[str]) -> list[tuple[str, dict[str, str], float]]:
    return _regrouped(family, names, family.name + "_bucket", "le", close_with_inf=True)


def convert_family(family: ParsedFamily) -> list[tuple[str, dict[str, str], float]]:
    """node_exporter's samples for one family: every sample carries every label name the family
    uses (empty when it had none), summaries and histograms regrouped per label set."""
    reserved = {"quantile"} if family.type == "summary" else {"le"} if family.type == "histogram" else set()
    names = sorted({k for _, labels, _ in family.samples for k in labels} - reserved)
    if family.type == "summary":
        return _summary_samples(family, names)
    if family.type == "histogram":
        return _histogram_samples(family, names)
    return _scalar_samples(family, names)


def expand_directories(patterns: Iterable[str]) -> list[str]:
    """Each pattern's glob matches, or the pattern itself when it matches nothing."""
    paths: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, include_hidden=True)) if pattern else []
        paths.extend(matches or [pattern])
    return paths


def _clean_join(directory: str, name: str) -> str:
    # Go's filepath.Join cleans the result; the file label must match node_exporter's.
    return os.path.normpath(os.path.join(directory, name))


@collector(
    "textfile",
    flags=[
        Flag(
            "directory",
            "Directory to read text files with metrics from, supports glob matching. (repeatable)",
            (),
            "list",
        )
    ],
)
class TextfileCollector(Collector):
    def __init__(self, ctx: CollectorContext) -> None:
        super().__init__(ctx)
        self.patterns: tuple[str, ...] = tuple(self.options["directory"])

    def _read_file(self, path: str) -> tuple[list[ParsedFamily], float]:
        # Non-blocking open and a regular-file check: a FIFO or device named *.prom would otherwise
        # hold the scrape, and every scrape after it, forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, encoding="utf-8", errors="replace") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise TextfileError("not a regular file")
            families = parse_textfile(fh.read())
            if any(f.has_timestamp for f in families):
                raise TextfileError("contains unsupported client-side timestamps, skipping entire file")
            # Stat only once parsed, so a broken file never looks fresh.
            mtime = float(os.fstat(fd).st_mtime_ns // 1_000_000_000)
        return families, mtime

    def collect(self) -> Iterable[Metric]:
        errored = False
        accepted: list[ParsedFamily] = []
        files_of: dict[str, list[str]] = {}
        helps: dict[str, tuple[str, str | None]] = {}  # name -> (first help, conflicting help)
        mtimes: dict[str, float] = {}

        for directory in expand_directories(self.patterns):
            try:
                names = sorted(os.listdir(directory))
            except OSError as err:
                if directory != "":
                    errored = True
                    self.log.error(
                        "failed to read textfile collector directory",
                        extra={"kv": {"path": directory, "err": str(err)}},
                    )
                continue
            for name in names:
                if not name.endswith(".prom"):
                    continue
                path = _clean_join(directory, name)
                try:
                    families, mtime = self._read_file(path)
                except (OSError, TextfileError) as err:
                    errored = True
                    self.log.error(
                        "failed to collect textfile data", extra={"kv": {"file": path, "err": str(err)}}
                    )
                    continue
                for family in families:
                    seen = helps.get(family.name)
                    if seen is not None and (
                        (family.help is not None and seen[0] != family.help) or seen[1] is not None
                    ):
                        helps[family.name] = (seen[0], family.help or "")
                        errored = True
                        self.log.error(
                            "inconsistent metric help text",
                            extra={"kv": {
                                "metric": family.name,
                                "original_help_text": seen[0],
                                "new_help_text": family.help or "",
                                "file": files_of[family.name][0],
                            }},
                        )
                        continue
                    if family.help is not None:
                        helps[family.name] = (family.help, None)
                    files_of.setdefault(family.name, []).append(path)
                    accepted.append(family)
                mtimes[path] = mtime

        yield from self._families(accepted, files_of)

        if mtimes:
            mtime_family = GaugeMetricFamily(
                "node_textfile_mtime_seconds", "Unixtime mtime of textfiles successfully read.", labels=["file"]
            )
            for path in sorted(mtimes):
                mtime_family.add_metric([path], mtimes[path])
            yield mtime_family
        yield GaugeMetricFamily(
            "node_textfile_scrape_error",
            "1 if there was an error opening or reading a file, 0 otherwise",
            value=1.0 if errored else 0.0,
        )

    def _families(self, accepted: list[ParsedFamily], files_of: dict[str, list[str]]) -> Iterable[Metric]:
        """One family per name; as client_golang's registry does, a later family of a known name
        whose type or HELP differs, or a sample repeating a label set, is dropped and logged."""
        merged: dict[str, tuple[Metric, set[tuple[str, tuple[tuple[str, str], ...]]]]] = {}
        for family in accepted:
            help_text = family.help
            if help_text is None:
                help_text = "Metric read from " + ", ".join(files_of[family.name])
            entry = merged.get(family.name)
            if entry is None:
                entry = (Metric(family.name, help_text, family.type), set())
                merged[family.name] = entry
            metric, seen = entry
            if metric.type != family.type or metric.documentation != help_text:
                self.log.error(
                    "textfile metric family conflicts with an earlier one; dropping it",
                    extra={"kv": {"metric": family.name, "type": family.type, "help": help_text}},
                )
                continue
            for name, labels, value in convert_family(family):
                key = (name, _label_key(labels))
                if key in seen:
                    self.log.error(
                        "textfile metric collected before with the same name and label values",
                        extra={"kv": {"metric": name, "labels": labels}},
                    )
                    continue
                seen.add(key)
                metric.add_sample(name, labels, value)
        for metric, _ in merged.values():
            yield metric
