"""The scrape isolates failures: construction or collection errors fail one collector only."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from prometheus_client.core import GaugeMetricFamily, Metric

from pyexporter.collectors import REGISTRY, CollectorSpec, load_all
from pyexporter.flags import NoOptions
from pyexporter.scrape import FilterError, Scraper
from pyexporter.toolkit.collector import Collector
from tests.helpers import fixture_paths, sample, samples


class _ExplodesAtStart(Collector[NoOptions]):
    def __init__(self, ctx) -> None:
        raise ValueError("garbage in a static file")


class _Fine(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("node_test_fine", "A test family.", value=7)


@pytest.fixture
def test_collectors(monkeypatch) -> None:
    load_all()
    monkeypatch.setitem(REGISTRY, "test_explodes", CollectorSpec("test_explodes", False, _ExplodesAtStart, NoOptions))
    monkeypatch.setitem(REGISTRY, "test_fine", CollectorSpec("test_fine", False, _Fine, NoOptions))


def test_construction_failure_fails_only_that_collector(test_collectors) -> None:
    scraper = Scraper(fixture_paths("basic"), ["test_explodes", "test_fine", "loadavg"])
    families = scraper.gather()
    assert sample(families, "node_scrape_collector_success", collector="test_explodes") == 0
    assert sample(families, "node_scrape_collector_success", collector="test_fine") == 1
    assert sample(families, "node_scrape_collector_success", collector="loadavg") == 1
    assert sample(families, "node_test_fine") == 7
    assert sample(families, "node_load1") == 0.21


def test_durations_are_reported_for_each_collector(test_collectors) -> None:
    families = Scraper(fixture_paths("basic"), ["test_fine", "loadavg"]).gather()
    durations = {dict(labels)["collector"]: value for (name, labels), value in samples(families).items()
                 if name == "node_scrape_collector_duration_seconds"}
    assert set(durations) == {"test_fine", "loadavg"}
    assert all(0 <= value < 5 for value in durations.values())


def test_select(test_collectors) -> None:
    scraper = Scraper(fixture_paths("basic"), ["test_fine", "loadavg"])
    assert scraper.select() == ["loadavg", "test_fine"]
    assert scraper.select(collect=["loadavg", "loadavg"]) == ["loadavg"]
    assert scraper.select(exclude=["loadavg"]) == ["test_fine"]
    with pytest.raises(FilterError, match="disabled collector: test_explodes"):
        scraper.select(collect=["test_explodes"])
    with pytest.raises(FilterError, match="missing collector: nope"):
        scraper.select(exclude=["nope"])


class _Overflows(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        # A garbage counter that int() accepted but no float64 can hold.
        family = GaugeMetricFamily("node_test_overflow", "A test family.", labels=["n"])
        family.add_metric(["small"], 3)
        family.add_metric(["huge"], 10**400)
        yield family


def test_a_value_beyond_float64_fails_only_its_collector(monkeypatch, test_collectors) -> None:
    monkeypatch.setitem(REGISTRY, "test_overflows", CollectorSpec("test_overflows", False, _Overflows, NoOptions))
    families = Scraper(fixture_paths("basic"), ["test_overflows", "test_fine"]).gather()
    assert sample(families, "node_scrape_collector_success", collector="test_overflows") == 0
    assert sample(families, "node_scrape_collector_success", collector="test_fine") == 1
    assert not [family for family in families if family.name == "node_test_overflow"]
