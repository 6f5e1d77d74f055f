"""pyexporter.toolkit.families builds what prometheus-client's family classes build, only faster."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import core
from prometheus_client.samples import Exemplar, Sample

from pyexporter.toolkit import families

CASES: list[tuple[str, dict[str, Any]]] = [
    ("node_load1", {"value": 0.21}),
    ("node_memory_MemTotal", {"value": 1024, "unit": "bytes"}),
    ("node_memory_MemTotal_bytes", {"value": 1024, "unit": "bytes"}),
    ("node_network_up", {"labels": ["device"]}),
    ("node_x", {"labels": []}),
    ("node_x", {}),
    ("node_x", {"value": float("nan")}),
]
COUNTER_ONLY: list[tuple[str, dict[str, Any]]] = [
    ("node_intr_total", {"value": 7}),
    ("node_intr", {"value": 7, "created": 1.5}),
    ("node_cpu_seconds_total", {"labels": ["cpu", "mode"]}),
]
PAIRS = [
    (core.GaugeMetricFamily, families.GaugeMetricFamily),
    (core.UnknownMetricFamily, families.UnknownMetricFamily),
    (core.CounterMetricFamily, families.CounterMetricFamily),
]


def _same(theirs: core.Metric, ours: core.Metric) -> None:
    assert ours == theirs  # name, HELP, type, unit and samples
    # Built as tuples by families: still of prometheus-client's Sample type, field for field.
    assert [type(s) for s in ours.samples] == [Sample] * len(theirs.samples)
    assert [s._asdict() for s in ours.samples] == [s._asdict() for s in theirs.samples]
    assert isinstance(ours, type(theirs))
    assert ours._labelnames == theirs._labelnames  # type: ignore[attr-defined]
    # families._start builds these without Metric.__init__, leaving the defaults to the class: a
    # prometheus-client release that sets another attribute there fails here, by name, before it
    # fails an encoder. Ours add the name of their samples (add_row's), once per family.
    for attribute, value in vars(theirs).items():
        changed = f"prometheus_client's Metric.__init__ changed: update families._start ({attribute})"
        assert getattr(ours, attribute) == value, changed
    assert set(vars(ours)) - {"_sample_name"} <= set(vars(theirs))


@pytest.mark.parametrize(("theirs", "ours"), PAIRS)
@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_families_equal_prometheus_clients(theirs, ours, name, kwargs) -> None:
    for _ in range(2):  # the second time with the name already accepted
        built_theirs, built_ours = theirs(name, "Some help.", **kwargs), ours(name, "Some help.", **kwargs)
        _same(built_theirs, built_ours)
        if kwargs.get("labels"):
            values = [f"v{i}" for i in range(len(kwargs["labels"]))]
            built_theirs.add_metric(values, 3.0)
            built_ours.add_metric(values, 3.0)
            _same(built_theirs, built_ours)


@pytest.mark.parametrize(("name", "kwargs"), COUNTER_ONLY)
def test_counters_equal_prometheus_clients(name, kwargs) -> None:
    _same(core.CounterMetricFamily(name, "h", **kwargs), families.CounterMetricFamily(name, "h", **kwargs))


@pytest.mark.parametrize(("theirs", "ours"), PAIRS)
@pytest.mark.parametrize("name", ["node bad name", "node_memory_Mem{Total", "", "0node", "node_é"])
def test_names_outside_the_classic_pattern_are_refused(theirs, ours, name) -> None:
    # As client_golang refuses them; prometheus-client now takes any UTF-8 name.
    for _ in range(2):
        with pytest.raises(ValueError, match="metric name"):
            ours(name, "h", value=1)


@pytest.mark.parametrize(("theirs", "ours"), PAIRS)
def test_value_and_labels_together_are_refused(theirs, ours) -> None:
    for make in (theirs, ours):
        with pytest.raises(ValueError, match="at most one"):
            make("node_x", "h", value=1, labels=["a"])


def test_family_index_creates_each_name_once_in_first_use_order() -> None:
    from pyexporter.toolkit.collector import CollectorError
    from pyexporter.toolkit.families import FamilyIndex

    index = FamilyIndex()
    index.gauge("node_b", "B.", ["chip"]).add_metric(["x"], 1.0)
    index.counter("node_a", "A.").add_metric([], 2.0)
    index.gauge("node_b", "B.", ["chip"]).add_metric(["y"], 3.0)
    families = index.families()
    assert [(f.name, f.type) for f in families] == [("node_b", "gauge"), ("node_a", "counter")]
    assert [s.value for s in families[0].samples] == [1.0, 3.0]
    with pytest.raises(CollectorError, match="both a gauge"):
        index.counter("node_b", "B.")


ADD_METRIC: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((["a", "b"], 3.0), {}),
    ((["a", "b"], 3.0), {"timestamp": 1700000000.5}),
    ((["a"], 3.0), {}),  # fewer values than labels: prometheus-client zips, so does families
    ((["a", "b", "c"], 3.0), {}),
    ((("a", "b"), float("nan")), {}),
]
COUNTER_ADD_METRIC: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((["a", "b"], 3.0), {"created": 1.5}),
    ((["a", "b"], 3.0, 1.5, 2.5), {}),
    ((["a", "b"], 3.0), {"exemplar": Exemplar({"trace_id": "x"}, 1.0)}),
    ((["a", "b"], 3.0), {"created": 1.5, "timestamp": 9.0, "exemplar": Exemplar({"t": "y"}, 2.0, 3.0)}),
]


@pytest.mark.parametrize(("theirs", "ours"), PAIRS)
@pytest.mark.parametrize(("args", "kwargs"), ADD_METRIC)
def test_add_metric_equals_prometheus_clients(theirs, ours, args, kwargs) -> None:
    built_theirs, built_ours = theirs("node_x", "h", labels=["l1", "l2"]), ours("node_x", "h", labels=["l1", "l2"])
    for _ in range(2):
        built_theirs.add_metric(*args, **kwargs)
        built_ours.add_metric(*args, **kwargs)
    _same(built_theirs, built_ours)


@pytest.mark.parametrize(("args", "kwargs"), COUNTER_ADD_METRIC)
def test_counter_add_metric_equals_prometheus_clients(args, kwargs) -> None:
    theirs, ours = core.CounterMetricFamily("node_c", "h", labels=["l1", "l2"]), families.CounterMetricFamily(
        "node_c", "h", labels=["l1", "l2"])
    theirs.add_metric(*args, **kwargs)
    ours.add_metric(*args, **kwargs)
    _same(theirs, ours)
    if len(ours.samples) == 2:  # _total and _created: label sets that do not share one dict
        assert ours.samples[0].labels is not ours.samples[1].labels


def test_add_row_equals_add_metric_with_one_shared_labels_dict() -> None:
    ours: list[families.LabelledFamily] = [
        families.GaugeMetricFamily("node_g", "g", labels=["device", "kind"]),
        families.CounterMetricFamily("node_c_total", "c", labels=["device", "kind"]),
        families.UnknownMetricFamily("node_u", "u", labels=["device", "kind"]),
    ]
    theirs = [
        core.GaugeMetricFamily("node_g", "g", labels=["device", "kind"]),
        core.CounterMetricFamily("node_c_total", "c", labels=["device", "kind"]),
        core.UnknownMetricFamily("node_u", "u", labels=["device", "kind"]),
    ]
    for device in ("sda", "sdb"):
        families.add_row(ours, (device, "disk"), [1.0, 2.0, 3.0])
        for family, value in zip(theirs, (1.0, 2.0, 3.0), strict=True):
            family.add_metric([device, "disk"], value)
    for family_ours, family_theirs in zip(ours, theirs, strict=True):
        _same(family_theirs, family_ours)
    first, second = (ours[0].samples[0].labels, ours[0].samples[1].labels)
    assert all(f.samples[0].labels is first and f.samples[1].labels is second for f in ours)


def test_add_row_takes_values_for_as_many_families_as_it_has() -> None:
    row = [families.GaugeMetricFamily(f"node_{n}", "h", labels=["device"]) for n in "abc"]
    families.add_row(row, ["sda"], [1.0, 2.0])  # an old kernel's shorter line
    assert [len(f.samples) for f in row] == [1, 1, 0]


def test_add_row_refuses_families_with_other_label_names() -> None:
    row = [families.GaugeMetricFamily("node_a", "h", labels=["device"]),
           families.GaugeMetricFamily("node_b", "h", labels=["cpu"])]
    with pytest.raises(ValueError, match="node_b has labels"):
        families.add_row(row, ["sda"], [1.0, 2.0])


def test_add_labelled_equals_add_metric_and_keeps_the_callers_dicts() -> None:
    ours = families.CounterMetricFamily("node_cpu_seconds", "c", labels=["cpu", "mode"])
    theirs = core.CounterMetricFamily("node_cpu_seconds", "c", labels=["cpu", "mode"])
    label_sets = [{"cpu": "0", "mode": "idle"}, {"cpu": "0", "mode": "user"}]
    families.add_labelled(ours, label_sets, [5.0, 6.0])
    theirs.add_metric(["0", "idle"], 5.0)
    theirs.add_metric(["0", "user"], 6.0)
    _same(theirs, ours)
    assert [s.labels for s in ours.samples] == label_sets
    assert all(s.labels is d for s, d in zip(ours.samples, label_sets, strict=True))


@given(st.text(alphabet="ab()_ ", max_size=30))
def test_underscore_parenthesized_as_re2_replaces(name: str) -> None:
    """node_exporter's `\\((.*)\\)` -> `_${1}` (Python's re gives RE2's answer on names this short)."""
    assert families.underscore_parenthesized(name) == re.sub(r"\((.*)\)", r"_\1", name)


def test_underscore_parenthesized_of_a_hostile_name() -> None:
    """A meminfo key of 100 000 `(`, which a backtracking search takes quadratic time over."""
    assert families.underscore_parenthesized("(" * 100_000) == "(" * 100_000
    assert families.underscore_parenthesized("Active(anon)") == "Active_anon"
