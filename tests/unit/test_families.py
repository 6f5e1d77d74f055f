"""pyexporter.toolkit.families builds what prometheus-client's family classes build, only faster."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import core

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
    assert isinstance(ours, type(theirs))
    assert ours._labelnames == theirs._labelnames  # type: ignore[attr-defined]
    # families._start builds these without Metric.__init__: a prometheus-client release that sets
    # another attribute there fails here, by name, before it fails an encoder.
    assert vars(ours) == vars(theirs), "prometheus_client's Metric.__init__ changed: update families._start"


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
