"""The metric families collectors build: prometheus-client's, constructed faster and stricter.

Stricter: names must follow the classic pattern, as client_golang requires. prometheus-client now
accepts any UTF-8 name, and a name made from a garbage /proc field (`node_memory_Mem{Total`) would
break the whole exposition; refused here, it fails its collector alone.

Faster: a default scrape builds some 300 families. prometheus-client's constructors check the name
every time and add a single value through `add_metric`; these subclasses check each name once
(names recur every scrape) and build the one sample directly, which halves the cost of a family
(benchmarks/results/measurements.md). Their `add_metric` builds its samples as plain tuples of
prometheus-client's Sample type: the same objects, without the Python-level constructor of a
namedtuple. Everything else is inherited, so the objects are the same to prometheus-client's
encoders and to ours; tests/unit/test_families.py holds them equal to prometheus-client's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

from prometheus_client import core
from prometheus_client.samples import Exemplar, Sample, Timestamp

from pyexporter.toolkit.collector import CollectorError


class InvalidMetricName(CollectorError, ValueError):
    """A family name outside the classic pattern, mostly made from a garbage field of a file."""


# Sample is a namedtuple; tuple.__new__(Sample, fields) is what its constructor returns, for a third
# of the cost, once every field is given. A prometheus-client release that changes the fields must
# change the tuples below: fail at import rather than build samples that encode wrongly.
_new_sample = tuple.__new__
if Sample._fields != ("name", "labels", "value", "timestamp", "exemplar", "native_histogram"):
    raise ImportError(f"prometheus_client's Sample has fields {Sample._fields}: update toolkit.families")

# The classic metric name, as client_golang and node_exporter require it.
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
# Names checked already. Bounded: names read from files (textfiles) may churn.
_ACCEPTED_NAMES: set[str] = set()
_ACCEPTED_NAMES_MAX = 10_000


def _family_name(name: str, unit: str) -> str:
    """NAME with UNIT appended as prometheus-client does; InvalidMetricName outside the pattern."""
    if unit and not name.endswith("_" + unit):
        name += "_" + unit
    if name not in _ACCEPTED_NAMES:
        if not METRIC_NAME.match(name):
            raise InvalidMetricName(f"invalid metric name {name!r}")
        if len(_ACCEPTED_NAMES) >= _ACCEPTED_NAMES_MAX:
            _ACCEPTED_NAMES.clear()
        _ACCEPTED_NAMES.add(name)
    return name


def _start(family: core.Metric, name: str, documentation: str, kind: str, unit: str, value: float | None,
           labels: Sequence[str] | None, sample_name: str) -> None:
    # What the encoders read is set on the instance, where Python finds it fastest; _labelnames,
    # read only to add samples, is left to the class's empty default when there are no labels: a
    # family is built some 300 times a scrape.
    family.name = name
    family.documentation = documentation
    family.type = kind
    family.unit = unit
    family._sample_name = sample_name  # type: ignore[attr-defined]
    if labels is not None:
        if value is not None:
            raise ValueError("Can only specify at most one of value and labels.")
        if labels:
            family._labelnames = tuple(labels)  # type: ignore[attr-defined]
    family.samples = [] if value is None else [_new_sample(Sample, (sample_name, {}, value, None, None, None))]


class GaugeMetricFamily(core.GaugeMetricFamily):
    _labelnames: tuple[str, ...] = ()  # see _start
    _sample_name: str  # its samples' name: add_row's

    def __init__(self, name: str, documentation: str, value: float | None = None,
                 labels: Sequence[str] | None = None, unit: str = "") -> None:
        name = _family_name(name, unit)
        _start(self, name, documentation, "gauge", unit, value, labels, name)

    def add_metric(self, labels: Sequence[str], value: float, timestamp: Timestamp | float | None = None) -> None:
        label_values = dict(zip(self._labelnames, labels))  # noqa: B905 - not strict, as prometheus-client zips
        self.samples.append(_new_sample(Sample, (self.name, label_values, value, timestamp, None, None)))


class UnknownMetricFamily(core.UnknownMetricFamily):
    _labelnames: tuple[str, ...] = ()  # see _start
    _sample_name: str  # its samples' name: add_row's

    def __init__(self, name: str, documentation: str, value: float | None = None,
                 labels: Sequence[str] | None = None, unit: str = "") -> None:
        name = _family_name(name, unit)
        _start(self, name, documentation, "unknown", unit, value, labels, name)

    def add_metric(self, labels: Sequence[str], value: float, timestamp: Timestamp | float | None = None) -> None:
        label_values = dict(zip(self._labelnames, labels))  # noqa: B905 - not strict, as prometheus-client zips
        self.samples.append(_new_sample(Sample, (self.name, label_values, value, timestamp, None, None)))


class CounterMetricFamily(core.CounterMetricFamily):
    _labelnames: tuple[str, ...] = ()  # see _start
    _sample_name: str  # its samples' name: add_row's

    def __init__(self, name: str, documentation: str, value: float | None = None,
                 labels: Sequence[str] | None = None, created: float | None = None, unit: str = "",
                 exemplar: Exemplar | None = None) -> None:
        if name.endswith("_total"):
            name = name[:-6]
        name = _family_name(name, unit)
        if created is None and exemplar is None:
            _start(self, name, documentation, "counter", unit, value, labels, name + "_total")
            return
        _start(self, name, documentation, "counter", unit, None, labels, name + "_total")
        if value is not None:
            if labels is not None:
                raise ValueError("Can only specify at most one of value and labels.")
            self.add_metric((), value, created, exemplar=exemplar)

    def add_metric(self, labels: Sequence[str], value: float, created: float | None = None,
                   timestamp: Timestamp | float | None = None, exemplar: Exemplar | None = None) -> None:
        label_values = dict(zip(self._labelnames, labels))  # noqa: B905 - not strict, as prometheus-client zips
        self.samples.append(_new_sample(Sample, (self._sample_name, label_values, value, timestamp, exemplar, None)))
        if created is not None:
            created_sample = (self.name + "_created", dict(label_values), created, timestamp, None, None)
            self.samples.append(_new_sample(Sample, created_sample))


_Family = TypeVar("_Family", GaugeMetricFamily, CounterMetricFamily, UnknownMetricFamily)
LabelledFamily = GaugeMetricFamily | CounterMetricFamily | UnknownMetricFamily


def add_row(families: Sequence[LabelledFamily], label_values: Sequence[str], values: Iterable[float]) -> None:
    """One sample in each of FAMILIES, taking VALUES in turn, all with the labels LABEL_VALUES.

    For a device, mount or CPU that several families describe alike. The samples share one labels
    dict, built once, where add_metric builds one a sample: nothing changes a sample's labels once
    it is built (an encoder that must change a text builds a new sample), so a shared dict encodes
    as separate equal ones would. The families must have the same label names, in the same order.
    The samples are those add_metric would build (no timestamp, no created sample).
    """
    names = families[0]._labelnames
    labels = dict(zip(names, label_values))  # noqa: B905 - not strict, as prometheus-client zips
    for family, value in zip(families, values):  # noqa: B905 - VALUES may be longer, as for add_metric's zip
        if family._labelnames != names:
            raise ValueError(f"{family.name} has labels {family._labelnames}, not {names}")
        family.samples.append(_new_sample(Sample, (family._sample_name, labels, value, None, None, None)))


class VerbatimFamily(core.Metric):
    """A family written by someone else (a textfile), served under exactly the names it was given.

    prometheus-client's text encoders append `_total` to a counter's name, and OpenMetrics requires
    counter samples to end in `_total`; node_exporter serves a textfile's `# TYPE reqs counter` /
    `reqs 5` as it is. So in text format this family is written with its own name and samples, and
    `conventional()` gives the view that follows prometheus-client's conventions (and so is valid
    OpenMetrics) without renaming any sample: a counter whose name ends in `_total` becomes a counter
    of the stem, any other counter becomes `unknown`. `name` is the name of its text HELP and TYPE
    lines. Only counters differ: the other types are encoded alike either way.
    """

    # The files it was read from, for the log line of a family that is dropped.
    sources: tuple[str, ...] = ()

    def conventional(self) -> core.Metric:
        kind = self.type
        name = self.name
        if kind == "counter":
            if name.endswith("_total") and all(s.name == name for s in self.samples):
                name = name[:-6]
            else:
                kind = "unknown"
        if kind == self.type and name == self.name:
            return self
        view = core.Metric(name, self.documentation, kind)
        view.samples = self.samples
        return view


class FamilyIndex:
    """Families created on first use and kept by name, for collectors whose family names come
    from what they read (hwmon's sensor types, zfs's kstat names): the first call with a name
    creates its family, later calls with that name add to it."""

    def __init__(self) -> None:
        self._by_name: dict[str, core.Metric] = {}

    def _get(self, kind: type[_Family], name: str, documentation: str, labels: Sequence[str]) -> _Family:
        family = self._by_name.get(name)
        if family is None:
            family = self._by_name[name] = kind(name, documentation, labels=labels)
        elif type(family) is not kind:
            raise CollectorError(f"family {name!r} is both a {family.type} and a {kind.__name__}")
        return family

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> GaugeMetricFamily:
        return self._get(GaugeMetricFamily, name, documentation, labels)

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> CounterMetricFamily:
        return self._get(CounterMetricFamily, name, documentation, labels)

    def untyped(self, name: str, documentation: str, labels: Sequence[str] = ()) -> UnknownMetricFamily:
        return self._get(UnknownMetricFamily, name, documentation, labels)

    def families(self) -> list[core.Metric]:
        """Every family, in the order of first use."""
        return list(self._by_name.values())


def exposition_names(family: core.Metric) -> set[str]:
    """Every name FAMILY puts in an exposition in either format: its HELP/TYPE names and the names
    of its samples. Two families sharing one of these would make an exposition invalid."""
    names = {family.name}
    if type(family) is VerbatimFamily:
        names.add(family.conventional().name)  # a counter x_total is an OpenMetrics counter x
    elif family.type == "counter":
        names.add(family.name + "_total")
    elif family.type == "info":
        names.add(family.name + "_info")
    names.update(sample.name for sample in family.samples)
    return names


def add_labelled(family: LabelledFamily, label_sets: Iterable[dict[str, str]], values: Iterable[float]) -> None:
    """One sample in FAMILY for each of LABEL_SETS, with its value of VALUES: label dicts the
    caller built once, with FAMILY's label names in order, and keeps from scrape to scrape (they
    are shared as add_row shares one, on the same ground). The samples are those add_metric
    would build."""
    name = family._sample_name
    family.samples.extend([
        _new_sample(Sample, (name, labels, value, None, None, None))
        for labels, value in zip(label_sets, values, strict=True)
    ])


def underscore_parenthesized(name: str) -> str:
    r"""NAME with node_exporter's meminfo renaming: regexp `\((.*)\)` replaced by `_${1}`
    (`Active(anon)` -> `Active_anon`). RE2 matches the first `(` to the last `)` after it; found by
    the two characters here, as Python's backtracking search would take time quadratic in a name
    of many `(`."""
    opening = name.find("(")
    closing = name.rfind(")")
    if opening < 0 or closing <= opening:
        return name
    return f"{name[:opening]}_{name[opening + 1:closing]}{name[closing + 1:]}"
