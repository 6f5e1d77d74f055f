"""textfile: metrics from *.prom files in --collector.textfile.directory, as node_exporter's.

Follows node_exporter 1.5's collector/textfile.go; classic files are parsed by pyexporter.toolkit.textformat,
which follows the TextParser of prometheus/common's expfmt/text_parse.go. OpenMetrics files, which
node_exporter does not read, are described at the end.

- A file that cannot be read or parsed, or that carries client-side timestamps, is skipped whole
  and sets node_textfile_scrape_error to 1; the other files are still served.
- Every sample is served under exactly its own name (`# TYPE reqs counter` / `reqs 5` stays `reqs`),
  in families named as the file's TYPE lines name them, built as VerbatimFamily.
- Each family of each file is converted as convertMetricFamily converts it: every sample carries
  every label name the family uses in that file (missing ones empty), summaries and histograms are
  regrouped per label set in client_golang's order, a histogram ends with a `+Inf` bucket, and
  `le`/`quantile` values are written as Go formats floats.
- Families of one name from several files are merged. A file whose HELP for a family disagrees with
  an earlier file's loses that family (and sets the error); a family without HELP gets "Metric read
  from <files>". As client_golang's registry does, a later family of a known name whose type or
  HELP differs, and a series collected twice, are dropped and logged.
- Where node_exporter 1.5 would crash (a label name starting with `__`, a `gauge_histogram`
  family), the file is refused instead.

Beyond node_exporter:

- pyexporter's own families always win. A textfile family that would share a name with a family of
  another collector (`give_way`), with the collector's own two families, or with an earlier textfile
  family (a histogram `h` and an untyped `h_count`, which client_golang refuses as a collision), is
  dropped, logged, and reported through node_textfile_scrape_error: two HELP/TYPE blocks for one
  name make an exposition that Prometheus drops whole.
- A file larger than --collector.textfile.max-file-size is refused unread (or as soon as it grows
  past the limit while read), so that one runaway file costs neither the scrape nor the memory.
- Cost is linear in the number of files and bytes, and only one file's text is held at a time.

OpenMetrics files (node_exporter's open issue #1988; pyexporter's issue 17):

- The format is told per file, without a flag: a file whose last line is `# EOF` (a final newline
  or not) is OpenMetrics, parsed with prometheus-client's parser
  (prometheus_client.openmetrics.parser.text_fd_to_metric_families); any other file is classic
  text, as above. So an OpenMetrics file that lost its `# EOF` is classic text and fails or not as
  such; a classic file ending in a `# EOF` comment (a comment to node_exporter) is now OpenMetrics.
- Its families are served as prometheus-client families (OpenMetricsFileFamily): OpenMetrics
  scrapes get them natively, units included; text-format scrapes get what prometheus-client's text
  encoder (pyexporter.exposition.encode_text) makes of them, which keeps every sample's name and
  value: a counter `c` is the counter `c_total`, an info `b` the gauge `b_info`, a stateset a gauge
  (a sample per state), a gaugehistogram `q` the histogram `q` of its buckets, an unknown family
  untyped, and `_created`, `_gsum` and `_gcount` move into gauges of those names; units are
  dropped. Prometheus 2.42 stores the same series, values included, from either
  (tests/e2e/test_textfile_openmetrics.py); only the metadata (types, units) differs.
- Refused, per file as classic files are, besides what the parser refuses (with the line it was at):
  timestamps (as node_exporter refuses them in classic files, its #769), exemplars (a trace of one
  moment, which a file cannot keep fresh either; text scrapes could not carry them), samples
  written twice (which the parser would drop silently), a `_created` that is no time in seconds
  (NaN, infinite, negative) or belongs to no series of its family, names that are not classic
  metric or label names (the parser takes quoted UTF-8 names), and prometheus-client's native
  histogram lines (not OpenMetrics 1.0). A family named twice in one file is the parser's "Clashing
  name". An empty HELP is no HELP ("Metric read from <files>"): the parser does not tell them apart.
- Families of one name from several OpenMetrics files are merged like classic ones, a series being
  a label set (without `le`, `quantile`, or a stateset's state label) with all its samples. One
  name from a classic and an OpenMetrics file, or with two units, keeps the first family and sets
  node_textfile_scrape_error; the names checked for collisions are every name the family's type
  may serve in either format (`c`, `c_total`, `c_created` for a counter `c`).
- prometheus-client's parser is pure Python and about five times slower than textformat (some
  2.5 s per MB here, linear): OpenMetrics textfiles are for the few metrics of batch jobs, and
  --collector.textfile.max-file-size bounds the time one file can take.
"""

from __future__ import annotations

import errno
import glob
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from operator import itemgetter

from prometheus_client.core import Metric
from prometheus_client.samples import Sample

from pyexporter.collectors import collector
from pyexporter.flags import FlagValueError, flag
from pyexporter.toolkit import textformat
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily, VerbatimFamily, exposition_names
from pyexporter.toolkit.files import RefusedFile, decode, open_regular, printable, read_fd

# Far above what textfiles hold in practice (they are for a few metrics of batch jobs and cron
# scripts), so that no file node_exporter serves in earnest is refused; and a bound on the time and
# memory one runaway file can take, which grow with its size (benchmarks/stress_textfile.py
# measures both at this limit).
DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024

MTIME_NAME = "node_textfile_mtime_seconds"
ERROR_NAME = "node_textfile_scrape_error"
ERROR_HELP = "1 if there was an error opening or reading a file, 0 otherwise"
# Every name the collector's own families put into an exposition: no textfile family may use them.
_OWN_NAMES = frozenset({MTIME_NAME, ERROR_NAME})

# The text format's type names as prometheus-client names them.
_CLIENT_TYPES = {
    textformat.COUNTER: "counter", textformat.GAUGE: "gauge", textformat.UNTYPED: "unknown",
    textformat.SUMMARY: "summary", textformat.HISTOGRAM: "histogram",
}


class TextfileError(CollectorError):
    """One .prom file is unusable; the collector skips it and reports the scrape error."""


# Bucket bounds and quantiles recur in every file and every scrape: their texts and values are
# remembered (a bounded number of them; zero, whose sign matters, and NaN never).
_REMEMBERED = 4096
_GO_FLOAT_TEXTS: dict[float, str] = {}
_BOUND_VALUES: dict[str, float] = {}


def format_go_float(value: float) -> str:
    """A float as Go's strconv 'g' shortest format writes it (for le/quantile label values)."""
    text = _GO_FLOAT_TEXTS.get(value) if value else None
    if text is None:
        text = _format_go_float(value)
        if value and value == value:
            if len(_GO_FLOAT_TEXTS) >= _REMEMBERED:
                _GO_FLOAT_TEXTS.clear()
            _GO_FLOAT_TEXTS[value] = text
    return text


def _bound_value(text: str) -> float:
    """A quantile or le label value (the parser checked it) as a float."""
    value = _BOUND_VALUES.get(text)
    if value is None:
        value = textformat.parse_go_float(text)
        if len(_BOUND_VALUES) >= _REMEMBERED:
            _BOUND_VALUES.clear()
        _BOUND_VALUES[text] = value
    return value


def _format_go_float(value: float) -> str:
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


@dataclass(slots=True, eq=False)
class FileFamily:
    """One family of one file, converted as node_exporter's convertMetricFamily converts it.

    `type` is prometheus-client's name. `label_names` are the labels every series carries (a
    summary's quantile and a histogram's le aside). `series_sizes` is None when each sample is a
    series of its own (counter, gauge, untyped), else the number of samples of each series (one
    summary or histogram per label set), which follow one another in `samples`."""

    name: str
    type: str
    help: str | None
    label_names: tuple[str, ...]
    samples: list[Sample]
    series_sizes: list[int] | None = None
    path: str = ""
    # Read from an OpenMetrics file: served as a prometheus-client family (OpenMetricsFileFamily),
    # its unit kept, and its series identified by `series_keys` (sorted label items) in
    # `series_sizes` runs, not by `label_names`.
    openmetrics: bool = False
    unit: str = ""
    series_keys: list[tuple[tuple[str, str], ...]] | None = None


def parse_textfile(text: str) -> list[textformat.Family]:
    """The families of one .prom file; TextfileError when node_exporter refuses (or would crash on) it."""
    try:
        return textformat.parse(text)
    except textformat.TextFormatError as err:
        raise TextfileError(str(err)) from None


def _label_names(family: textformat.Family) -> tuple[str, ...]:
    names: set[str] = set().union(*(sample.labels for sample in family.samples))
    bound = textformat.BOUND_LABEL.get(family.type or "")
    if bound is not None:
        names.discard(bound)
    for name in names:
        if name.startswith("__"):
            # client_golang reserves these; node_exporter 1.5 panics on them (MustNewConstMetric).
            raise TextfileError(f"label name {textformat.quote(name)} of metric {textformat.quote(family.name)} "
                                "is reserved: names starting with __ are for Prometheus's own use")
    return tuple(sorted(names))


def _scalar_samples(family: textformat.Family, names: tuple[str, ...]) -> list[Sample]:
    name = family.name
    if not names:
        return [Sample(name, labels, value) for _, labels, value, _ in family.samples]
    width = len(names)
    if all(len(labels) == width for _, labels, _, _ in family.samples):
        # Every sample has every label already: the parsed labels are used as they are.
        return [Sample(name, labels, value) for _, labels, value, _ in family.samples]
    template = dict.fromkeys(names, "")
    out = []
    for _, labels, value, _ in family.samples:
        filled = template.copy()
        filled.update(labels)
        out.append(Sample(name, filled, value))
    return out


@dataclass(slots=True)
class _Series:
    """One label set of a summary or histogram: its quantiles or buckets, sum and count."""

    labels: dict[str, str]
    points: dict[float, float] = field(default_factory=dict)
    sum: float = 0.0
    count: float = 0.0


def _regrouped(
    family: textformat.Family, names: tuple[str, ...], point_name: str, bound: str, close_with_inf: bool
) -> tuple[list[Sample], list[int]]:
    """A summary's or histogram's samples regrouped per label set, in client_golang's order: the
    quantiles or buckets by bound, then _sum and _count. Go's parser attaches to one series every
    sample of its label set, whatever its name: `NAME_sum`/`NAME_count` set the sum or count, any
    other (NAME, or NAME_bucket of a histogram) adds the point its bound label names, or nothing
    when it has none or it is NaN; the series exists either way."""
    sum_name, count_name = family.name + "_sum", family.name + "_count"
    template = dict.fromkeys(names, "")
    # By the labels as written, as Go's parser groups them (LabelsToSignature): two label sets that
    # differ only by a label one of them lacks are two series, the same once filled, and the later
    # one is dropped as collected twice.
    series: dict[frozenset[tuple[str, str]], _Series] = {}
    for sample_name, labels, value, _ in family.samples:
        point = labels.get(bound)
        key = frozenset(labels.items())
        if point is not None:
            key = key - {(bound, point)}
        one = series.get(key)
        if one is None:
            filled = template.copy()
            filled.update(labels)
            filled.pop(bound, None)
            one = series[key] = _Series(filled)
        if sample_name == sum_name:
            one.sum = value
        elif sample_name == count_name:
            one.count = value
        elif point is not None:
            where = _bound_value(point)
            if not math.isnan(where):
                one.points[where] = value
    out: list[Sample] = []
    sizes: list[int] = []
    for one in series.values():
        # client_golang's encoder always ends a histogram with an +Inf bucket holding the count.
        if close_with_inf and math.inf not in one.points:
            one.points[math.inf] = one.count
        for where in sorted(one.points):
            out.append(Sample(point_name, {**one.labels, bound: format_go_float(where)}, one.points[where]))
        out.append(Sample(sum_name, one.labels, one.sum))
        out.append(Sample(count_name, one.labels, one.count))
        sizes.append(len(one.points) + 2)
    return out, sizes


def convert_family(family: textformat.Family) -> FileFamily:
    """node_exporter's samples for one family of one file (convertMetricFamily); TextfileError for
    what client_golang refuses."""
    names = _label_names(family)
    kind = family.type
    if kind == textformat.SUMMARY:
        samples, sizes = _regrouped(family, names, family.name, "quantile", close_with_inf=False)
        return FileFamily(family.name, "summary", family.help, names, samples, sizes)
    if kind == textformat.HISTOGRAM:
        samples, sizes = _regrouped(family, names, family.name + "_bucket", "le", close_with_inf=True)
        return FileFamily(family.name, "histogram", family.help, names, samples, sizes)
    client_type = _CLIENT_TYPES.get(kind or "")
    if client_type is None:
        raise TextfileError(f"unexpected type {kind!r} for metric name {textformat.quote(family.name)}")
    return FileFamily(family.name, client_type, family.help, names, _scalar_samples(family, names))


# --- OpenMetrics files ---------------------------------------------------------------------------

_EOF_LINE = "# EOF"
# What each OpenMetrics type may append to its family's name, as prometheus-client's parser has it;
# a family serves its name and these in either format (the text format moves `_created`, `_gsum`
# and `_gcount` into gauges of those names, and names an info family `NAME_info`).
_OPENMETRICS_SUFFIXES = {
    "counter": ("_total", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "info": ("_info",),
}
# The types whose series may carry a `_created` sample.
_WITH_CREATED = frozenset({"counter", "summary", "histogram"})
_LEGACY_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").fullmatch
_LEGACY_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").fullmatch


class OpenMetricsFileFamily(Metric):
    """A family read from an OpenMetrics textfile: a prometheus-client family, which the text
    format serves as prometheus-client's text encoder does and OpenMetrics serves natively."""

    # The files it was read from, for the log line of a family that is dropped.
    sources: tuple[str, ...] = ()


def is_openmetrics(text: str) -> bool:
    """Whether TEXT is an OpenMetrics exposition: its last line is `# EOF` (a final newline or not)."""
    end = len(text) - 1 if text.endswith("\n") else len(text)
    start = end - len(_EOF_LINE)
    return text.startswith(_EOF_LINE, start, end) and (start == 0 or (start > 0 and text[start - 1] == "\n"))


class _Lines:
    """The lines of a text for prometheus-client's parser, each with its `\\n` (only `\\n` ends a
    line, as the format has it), counted: `number` is the line the parser is at when it fails."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.number = 0
        self.samples = 0  # lines that are neither comments nor metadata

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        start = self.position
        text = self.text
        if start >= len(text):
            raise StopIteration
        cut = text.find("\n", start)
        end = len(text) if cut < 0 else cut + 1
        self.position = end
        self.number += 1
        if text[start] != "#":
            self.samples += 1
        return text[start:end]


def _openmetrics_key(sample: Sample, name: str, kind: str) -> tuple[tuple[str, str], ...]:
    """The series SAMPLE belongs to: its labels without the one that tells the samples of one
    series apart (a bucket's `le`, a quantile's `quantile`, a stateset's state), empty values left
    out (Prometheus stores `{a=""}` as `{}`)."""
    drop = None
    if sample.name == name + "_bucket":
        drop = "le"
    elif kind == "summary" and sample.name == name:
        drop = "quantile"
    elif kind == "stateset":
        drop = name
    return tuple(sorted((k, v) for k, v in sample.labels.items() if v and k != drop))


def _check_openmetrics_family(family: Metric) -> None:
    """TextfileError for what the textfile collector refuses in a family the parser accepted."""
    quoted = textformat.quote(family.name)
    if _LEGACY_NAME(family.name) is None:
        raise TextfileError(f"metric name {quoted} is not a classic metric name")
    created_keys: list[tuple[tuple[str, str], ...]] = []
    other_keys: set[tuple[tuple[str, str], ...]] = set()
    for sample in family.samples:
        if sample.native_histogram is not None:
            raise TextfileError(f"metric {quoted} has a native histogram sample, which OpenMetrics 1.0 does not have")
        if sample.timestamp is not None:
            raise TextfileError(f"metric {textformat.quote(sample.name)} has a timestamp: "
                                "textfiles may not carry client-side timestamps")
        if sample.exemplar is not None:
            raise TextfileError(f"metric {textformat.quote(sample.name)} has an exemplar: "
                                "textfiles may not carry exemplars")
        if _LEGACY_NAME(sample.name) is None:
            raise TextfileError(f"metric name {textformat.quote(sample.name)} is not a classic metric name")
        for label in sample.labels:
            if _LEGACY_LABEL(label) is None:
                raise TextfileError(f"label name {textformat.quote(label)} of metric {quoted} "
                                    "is not a classic label name")
            if label.startswith("__"):
                raise TextfileError(f"label name {textformat.quote(label)} of metric {quoted} is reserved: "
                                    "names starting with __ are for Prometheus's own use")
        if family.type in _WITH_CREATED and sample.name == family.name + "_created":
            value = sample.value
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise TextfileError(f"{textformat.quote(sample.name)} is {value}: "
                                    "a _created sample must be a time in seconds since the epoch, 0 or more")
            created_keys.append(_openmetrics_key(sample, family.name, family.type))
        else:
            other_keys.add(_openmetrics_key(sample, family.name, family.type))
    for key in created_keys:
        if key not in other_keys:
            raise TextfileError(f"{textformat.quote(family.name + '_created')} with labels {dict(key)} "
                                f"belongs to no series of metric {quoted}")


def parse_openmetrics(text: str) -> list[Metric]:
    """The families of an OpenMetrics text, as prometheus-client's parser reads them; TextfileError
    for what it refuses, naming the line it was at (for a check of a whole family, such as two
    families of one name, the line after the family), and for what the textfile collector
    refuses besides: timestamps, exemplars, native histograms, a sample written twice (which the
    parser drops silently), names that are not classic, and a `_created` sample that is not a time
    or that belongs to no series."""
    # Here: hosts without OpenMetrics textfiles never load prometheus-client's parsers.
    from prometheus_client.openmetrics.parser import text_fd_to_metric_families

    read: Callable[[Iterable[str]], Iterator[Metric]] = text_fd_to_metric_families  # unannotated upstream
    lines = _Lines(text)
    try:
        families = list(read(lines))
    except Exception as err:  # noqa: BLE001 - the parser raises bare ValueErrors, and others on some lines
        reason = str(err) or "invalid line"
        raise TextfileError(f"OpenMetrics parsing error at line {lines.number}: {reason}") from None
    if sum(len(family.samples) for family in families) != lines.samples:
        raise TextfileError("a sample is written twice (same name and labels) in one metric family")
    for family in families:
        _check_openmetrics_family(family)
    return families


def convert_openmetrics_family(family: Metric) -> FileFamily:
    """One family of an OpenMetrics file, its values as floats and its series found; TextfileError
    for a value beyond float64."""
    name, kind = family.name, family.type
    samples: list[Sample] = []
    keys: list[tuple[tuple[str, str], ...]] = []
    sizes: list[int] = []
    for sample in family.samples:
        value = sample.value
        if type(value) is not float:
            try:
                value = float(value)
            except (OverflowError, TypeError, ValueError):
                raise TextfileError(f"value of {textformat.quote(sample.name)} is not a float64") from None
        samples.append(Sample(sample.name, sample.labels, value))
        # The parser keeps the samples of one series together; an info's samples are series each.
        key = _openmetrics_key(sample, name, kind)
        if keys and keys[-1] == key and kind != "info":
            sizes[-1] += 1
        else:
            keys.append(key)
            sizes.append(1)
    return FileFamily(name, kind, family.documentation or None, (), samples, sizes,
                      openmetrics=True, unit=family.unit, series_keys=keys)


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


def _series_keys(entry: FileFamily) -> list[object]:
    """The identity of each series of ENTRY (its label values, in `label_names` order), in order."""
    if entry.series_keys is not None:
        return list(entry.series_keys)
    names = entry.label_names
    if entry.series_sizes is None:
        if not names:
            return [()] * len(entry.samples)
        return list(map(itemgetter(*names), (sample.labels for sample in entry.samples)))
    keys: list[object] = []
    position = 0
    for size in entry.series_sizes:
        # A series' _sum sample carries exactly its label set.
        labels = entry.samples[position + size - 2].labels
        keys.append(tuple(labels[name] for name in names))
        position += size
    return keys


def _served_names(name: str, client_type: str, openmetrics: bool = False) -> tuple[str, ...]:
    """Every name a textfile family of NAME and CLIENT_TYPE puts into an exposition, in either format."""
    if openmetrics:
        return (name, *(name + suffix for suffix in _OPENMETRICS_SUFFIXES.get(client_type, ())))
    if client_type == "counter" and name.endswith("_total"):
        # Served to OpenMetrics as the counter of the stem (VerbatimFamily.conventional).
        return (name, name[:-6])
    if client_type == "summary":
        return (name, name + "_sum", name + "_count")
    if client_type == "histogram":
        return (name, name + "_bucket", name + "_sum", name + "_count")
    return (name,)


def _whole_seconds(mtime_ns: int) -> float:
    """Whole seconds, as Go's UnixNano() / 1e9 (integer division, towards zero)."""
    seconds = abs(mtime_ns) // 1_000_000_000
    return float(seconds if mtime_ns >= 0 else -seconds)


@dataclass(frozen=True, slots=True)
class TextfileOptions:
    directory: tuple[str, ...] = flag(
        "directory",
        "Directory to read text files with metrics from, supports glob matching. (repeatable)",
        ())
    max_file_size: int = flag(
        "max-file-size",
        "Largest .prom file to read, in bytes; a larger file is skipped with an error (0: no limit).",
        DEFAULT_MAX_FILE_SIZE)


@collector("textfile", options=TextfileOptions)
class TextfileCollector(Collector[TextfileOptions]):
    gives_way = True

    def __init__(self, ctx: CollectorContext[TextfileOptions]) -> None:
        super().__init__(ctx)
        self.patterns: tuple[str, ...] = tuple(self.options.directory)
        max_file_size = int(self.options.max_file_size)
        if max_file_size < 0:
            raise FlagValueError(
                f"--collector.textfile.max-file-size must be 0 (no limit) or a number of bytes, not {max_file_size}"
            )
        self.max_file_size = max_file_size

    # -- one file --------------------------------------------------------------------------------

    def _refusal(self, path: str, err: OSError) -> TextfileError:
        if isinstance(err, RefusedFile):
            if os.path.isdir(path):
                # As Go's read(2) of a directory reports it.
                return TextfileError(f"failed to read textfile data from {textformat.quote(path)}: "
                                     f"{os.strerror(errno.EISDIR)}")
            return TextfileError(f"failed to open textfile data file {textformat.quote(path)}: not a regular file")
        return TextfileError(f"failed to open textfile data file {textformat.quote(path)}: {err.strerror or err}")

    def _too_large(self, path: str, size: str) -> TextfileError:
        return TextfileError(
            f"textfile {textformat.quote(path)} is {size} bytes, more than the {self.max_file_size} bytes "
            "that --collector.textfile.max-file-size allows; skipping entire file"
        )

    def _read_file(self, path: str) -> tuple[list[FileFamily], float]:
        """The converted families of one file and its mtime; TextfileError when it is skipped."""
        try:
            fd = open_regular(path)
        except OSError as err:
            raise self._refusal(path, err) from None
        try:
            limit = self.max_file_size or sys.maxsize
            size = os.fstat(fd).st_size
            if size > limit:
                raise self._too_large(path, str(size))
            try:
                raw = read_fd(fd, path, limit)
            except RefusedFile:
                # It grew while being read.
                raise self._too_large(path, f"more than {limit}") from None
            except OSError as err:
                raise TextfileError(f"failed to read textfile data from {textformat.quote(path)}: "
                                    f"{err.strerror or err}") from None
            text = decode(raw)
            del raw
            if is_openmetrics(text):
                converted = self._read_openmetrics(path, text)
                del text
                mtime_ns = os.fstat(fd).st_mtime_ns
                return converted, _whole_seconds(mtime_ns)
            try:
                parsed = textformat.parse(text)
            except textformat.TextFormatError as err:
                raise TextfileError(f"failed to parse textfile data from {textformat.quote(path)}: {err}") from None
            del text
            if any(family.has_timestamp for family in parsed):
                raise TextfileError(
                    f"textfile {textformat.quote(path)} contains unsupported client-side timestamps, "
                    "skipping entire file"
                )
            converted = []
            for family in parsed:
                try:
                    converted.append(convert_family(family))
                except TextfileError as err:
                    raise TextfileError(
                        f"failed to convert textfile data from {textformat.quote(path)}: {err}"
                    ) from None
                family.samples = []  # the parsed records go as soon as they are converted
            # Stat only once parsed, so a broken file never looks fresh.
            mtime_ns = os.fstat(fd).st_mtime_ns
        finally:
            os.close(fd)
        for entry in converted:
            entry.path = path
        return converted, _whole_seconds(mtime_ns)

    def _read_openmetrics(self, path: str, text: str) -> list[FileFamily]:
        """The converted families of the OpenMetrics text of PATH; TextfileError when it is skipped."""
        try:
            parsed = parse_openmetrics(text)
        except TextfileError as err:
            raise TextfileError(
                f"failed to parse OpenMetrics textfile data from {textformat.quote(path)}: {err}"
            ) from None
        converted = []
        for family in parsed:
            try:
                entry = convert_openmetrics_family(family)
            except TextfileError as err:
                raise TextfileError(
                    f"failed to convert OpenMetrics textfile data from {textformat.quote(path)}: {err}"
                ) from None
            entry.path = path
            converted.append(entry)
        return converted

    # -- one scrape ------------------------------------------------------------------------------

    def collect(self) -> Iterable[Metric]:
        errored = False
        entries: dict[str, list[FileFamily]] = {}
        files_of: dict[str, list[str]] = {}
        helps: dict[str, tuple[str, str | None]] = {}  # name -> (first help, conflicting help)
        mtimes: dict[str, float] = {}

        for directory in expand_directories(self.patterns):
            try:
                names = os.listdir(directory)
            except OSError as err:
                if directory != "":
                    errored = True
                    self.log.error(
                        "failed to read textfile collector directory",
                        extra={"kv": {"path": printable(directory), "err": printable(str(err))}},
                    )
                continue
            # Go's os.ReadDir order: by the bytes of the name.
            for name in sorted((n for n in names if n.endswith(".prom")), key=os.fsencode):
                path = _clean_join(directory, name)
                try:
                    converted, mtime = self._read_file(path)
                except (OSError, CollectorError) as err:
                    errored = True
                    self.log.error(
                        "failed to collect textfile data",
                        extra={"kv": {"file": printable(path), "err": printable(str(err))}},
                    )
                    continue
                for family in converted:
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
                                "file": printable(files_of[family.name][0]),
                            }},
                        )
                        continue
                    if family.help is not None:
                        helps[family.name] = (family.help, None)
                    files_of.setdefault(family.name, []).append(path)
                    entries.setdefault(family.name, []).append(family)
                mtimes[path] = mtime

        served, collided = self._families(entries, files_of)
        yield from served

        if mtimes:
            mtime_family = GaugeMetricFamily(
                MTIME_NAME, "Unixtime mtime of textfiles successfully read.", labels=["file"]
            )
            for path in sorted(mtimes, key=os.fsencode):
                mtime_family.add_metric([path], mtimes[path])
            yield mtime_family
        yield GaugeMetricFamily(ERROR_NAME, ERROR_HELP, value=1.0 if errored or collided else 0.0)

    def _families(
        self, entries: dict[str, list[FileFamily]], files_of: dict[str, list[str]]
    ) -> tuple[list[Metric], bool]:
        """One family per name, and whether any was dropped for a name another family serves.

        As client_golang's registry does, a later family of a known name whose type or HELP differs
        is dropped and logged, and so is a series (a sample, or a summary or histogram of one label
        set) already collected with the same name and label values."""
        out: list[Metric] = []
        served: dict[str, str] = dict.fromkeys(_OWN_NAMES, "")  # exposition name -> family name
        collided = False
        for name, group in entries.items():
            files = files_of[name]
            first = group[0]
            generated = None
            if any(entry.help is None for entry in group):
                generated = "Metric read from " + ", ".join(files)
            help_text = first.help if first.help is not None else generated
            assert help_text is not None
            clash = [n for n in _served_names(name, first.type, first.openmetrics) if n in served]
            if clash:
                collided = True
                other = served[clash[0]]
                self.log.error(
                    "textfile metric family dropped: its name is served by another family",
                    extra={"kv": {"metric": name, "name": clash[0],
                                  "other": other or "the textfile collector's own metrics",
                                  "files": printable(", ".join(files))}},
                )
                continue
            family: VerbatimFamily | OpenMetricsFileFamily
            if first.openmetrics:
                family = OpenMetricsFileFamily(name, help_text, first.type, first.unit)
            else:
                family = VerbatimFamily(name, help_text, first.type)
            samples: list[Sample] = []
            seen: dict[tuple[str, ...], set[object]] = {}
            for entry in group:
                entry_help = entry.help if entry.help is not None else generated
                if (entry.openmetrics, entry.unit) != (first.openmetrics, first.unit):
                    # Our rule: a classic and an OpenMetrics family of one name are served differently.
                    collided = True
                    self.log.error(
                        "textfile metric family read from an OpenMetrics and a classic file, or with "
                        "another unit, as an earlier one; dropping it",
                        extra={"kv": {"metric": name, "openmetrics": entry.openmetrics, "unit": entry.unit,
                                      "file": printable(entry.path)}},
                    )
                    continue
                if entry.type != first.type or entry_help != help_text:
                    self.log.error(
                        "textfile metric family conflicts with an earlier one; dropping it",
                        extra={"kv": {"metric": name, "type": entry.type, "help": entry_help,
                                      "file": printable(entry.path)}},
                    )
                    continue
                keys = seen.setdefault(entry.label_names, set())
                entry_keys = _series_keys(entry)
                fresh = set(entry_keys)
                if len(fresh) == len(entry_keys) and keys.isdisjoint(fresh):
                    keys |= fresh
                    samples.extend(entry.samples)
                    continue
                sizes = entry.series_sizes or [1] * len(entry_keys)
                position = 0
                repeated: list[dict[str, str]] = []
                for size, key in zip(sizes, entry_keys, strict=True):
                    if key in keys:
                        if entry.openmetrics:
                            assert isinstance(key, tuple)
                            repeated.append(dict(key))
                        else:
                            # The last but one sample of a series, a plain sample or a _sum, has its labels.
                            repeated.append(entry.samples[position + size - 2 if size > 1 else position].labels)
                    else:
                        keys.add(key)
                        samples.extend(entry.samples[position:position + size])
                    position += size
                # One line for all of them: a file may repeat a series thousands of times.
                self.log.error(
                    "textfile metric collected before with the same name and label values",
                    extra={"kv": {"metric": name, "labels": repeated[0], "series": len(repeated),
                                  "file": printable(entry.path)}},
                )
            family.samples = samples
            family.sources = tuple(files)
            for served_name in _served_names(name, first.type, first.openmetrics):
                served[served_name] = name
            out.append(family)
        return out, collided

    # -- after the gather ------------------------------------------------------------------------

    def give_way(self, families: list[Metric], taken: AbstractSet[str]) -> list[Metric]:
        """FAMILIES without the textfile families that would share a name with a family another
        collector serves (TAKEN), each dropped one logged and reported as a scrape error."""
        kept: list[Metric] = []
        dropped = False
        for family in families:
            if type(family) is VerbatimFamily or type(family) is OpenMetricsFileFamily:
                clash = sorted(name for name in exposition_names(family) if name in taken)
                if clash:
                    dropped = True
                    self.log.error(
                        "textfile metric family dropped: pyexporter collects that name itself",
                        extra={"kv": {"metric": family.name, "name": clash[0],
                                      "files": printable(", ".join(family.sources))}},
                    )
                    continue
            kept.append(family)
        if not dropped:
            return families
        # The error gauge is replaced, never changed: the families may be shared between scrapes.
        return [GaugeMetricFamily(ERROR_NAME, ERROR_HELP, value=1.0) if f.name == ERROR_NAME else f for f in kept]
