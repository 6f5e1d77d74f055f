"""The scrape isolates failures: construction or collection errors fail one collector only."""

from __future__ import annotations

import gc
import logging
import time
import weakref
from collections.abc import Iterable
from typing import ClassVar

import pytest
from prometheus_client.core import GaugeMetricFamily, Metric

from pyexporter.collectors import REGISTRY, CollectorSpec, load_all
from pyexporter.flags import NoOptions
from pyexporter.scrape import FilterError, Scraper
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from tests.helpers import captured_logs, fixture_paths, sample, samples


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


class _FailsHalfway(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("node_test_before", "Sent before the failure.", value=1)
        raise CollectorError("the second file is garbage")


class _NothingHere(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        raise NoDataError("no ZFS module loaded")


def test_what_a_collector_gave_before_it_failed_is_served(monkeypatch) -> None:
    # collector.go's execute: metrics sent on the channel before Update returns an error stay.
    load_all()
    monkeypatch.setitem(REGISTRY, "test_halfway", CollectorSpec("test_halfway", False, _FailsHalfway, NoOptions))
    families = Scraper(fixture_paths("basic"), ["test_halfway"]).gather()
    assert sample(families, "node_test_before") == 1
    assert sample(families, "node_scrape_collector_success", collector="test_halfway") == 0


def test_no_data_is_a_failure_logged_at_debug_only(monkeypatch) -> None:
    # collector.go's execute: IsNoDataError -> success 0 with a debug line, not an error line.
    load_all()
    monkeypatch.setitem(REGISTRY, "test_nothing", CollectorSpec("test_nothing", False, _NothingHere, NoOptions))
    # setLevel, not a plain assignment: it also clears the loggers' cached answers to
    # isEnabledFor, which an earlier test may have left saying DEBUG is off.
    logger = logging.getLogger("pyexporter")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with captured_logs() as logs:
            families = Scraper(fixture_paths("basic"), ["test_nothing"]).gather()
    finally:
        logger.setLevel(level)
    assert sample(families, "node_scrape_collector_success", collector="test_nothing") == 0
    levels = {r.getMessage(): r.levelname for r in logs.records}
    assert levels.get("collector returned no data") == "DEBUG"
    assert "collector failed" not in levels


class _EmptyFamily(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("node_test_empty", "No samples.", labels=["device"])
        yield GaugeMetricFamily("node_test_full", "One sample.", value=1)


def test_families_without_samples_are_not_served(monkeypatch) -> None:
    load_all()
    monkeypatch.setitem(REGISTRY, "test_empty", CollectorSpec("test_empty", False, _EmptyFamily, NoOptions))
    names = {family.name for family in Scraper(fixture_paths("basic"), ["test_empty"]).gather()}
    assert "node_test_full" in names and "node_test_empty" not in names


def test_cpu_frequency_from_cpuinfo_follows_the_cpufreq_collector(tmp_path) -> None:
    """cpuCollector.updateInfo sends node_cpu_frequency_hertz only while collectorState says the
    cpufreq collector is enabled."""
    from pyexporter.paths import Paths

    (tmp_path / "cpuinfo").write_text("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu MHz\t\t: 2000.000\n"
                                      "physical id\t: 0\ncore id\t\t: 0\nflags\t\t: fpu\n\n")
    (tmp_path / "stat").write_text("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
    paths = Paths(procfs=str(tmp_path), sysfs=str(tmp_path / "sys"))
    options = {"cpu": {"info": True}}

    def names(enabled: list[str]) -> set[str]:
        return {f.name for f in Scraper(paths, enabled, options).gather()}

    assert "node_cpu_frequency_hertz" in names(["cpu", "cpufreq"])
    assert "node_cpu_frequency_hertz" not in names(["cpu"])
    assert "node_cpu_info" in names(["cpu"])


class _FailsEveryOtherRun(Collector[NoOptions]):
    runs = 0

    def collect(self) -> Iterable[Metric]:
        type(self).runs += 1
        if type(self).runs % 2:
            raise CollectorError("odd run")
        yield GaugeMetricFamily("node_test_even", "Even runs only.", value=type(self).runs)


def test_success_and_timeout_gauges_follow_each_scrapes_outcome(monkeypatch, test_collectors) -> None:
    # Their samples are built once per collector and chosen by the outcome: never a stale one.
    monkeypatch.setitem(REGISTRY, "test_alternating",
                        CollectorSpec("test_alternating", False, _FailsEveryOtherRun, NoOptions))
    _FailsEveryOtherRun.runs = 0
    scraper = Scraper(fixture_paths("basic"), ["test_alternating", "test_fine"])
    for run in range(1, 7):
        families = scraper.gather()
        assert sample(families, "node_scrape_collector_success", collector="test_alternating") == (run + 1) % 2
        assert sample(families, "node_scrape_collector_success", collector="test_fine") == 1
        assert sample(families, "node_scrape_collector_timeout", collector="test_alternating") == 0
        durations = [s for f in families if f.name == "node_scrape_collector_duration_seconds" for s in f.samples]
        assert [s.labels for s in durations] == [{"collector": "test_alternating"}, {"collector": "test_fine"}]


def test_a_scrape_naming_a_collector_twice_completes(test_collectors) -> None:
    scraper = Scraper(fixture_paths("basic"), ["test_fine", "loadavg"])
    job = scraper.start(["test_fine", "test_fine", "loadavg"], deadline=time.monotonic() + 10)
    scraper.wait(job)
    assert job.complete
    assert sample(scraper.families(job), "node_test_fine") == 7


@pytest.mark.parametrize(
    ("value", "fails"),
    [(1.5, False), (7, False), (float("nan"), False), (float("inf"), False), (2**1023, False),
     (10**400, True), (-(10**400), True), ("not a number", True), (None, True)],
)
def test_values_are_checked_as_float64(value, fails) -> None:
    from pyexporter.scrape import _check_values

    fine = GaugeMetricFamily("node_fine", "h", value=1.0)
    odd = GaugeMetricFamily("node_odd", "h", labels=["x"])
    odd.add_metric(["a"], 2.0)
    odd.add_metric(["b"], value)
    if fails:
        with pytest.raises(CollectorError, match=r"^node_odd: value "):
            _check_values([fine, odd])
    else:
        _check_values([fine, odd])


class _Failing(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("node_test_before_failing", "A test family.", value=1)
        raise NoDataError("nothing here")


class _Remembered(Collector[NoOptions]):
    """Keeps a weak reference to each family it gives, to tell when the family is freed."""

    given: ClassVar[list[weakref.ref[Metric]]] = []

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily("node_test_remembered", "A test family.", value=7)
        self.given.append(weakref.ref(family))
        yield family


async def test_a_scrape_frees_its_families_without_the_cyclic_collector(monkeypatch) -> None:
    # Families left to the cyclic collector made it walk each whole scrape, every scrape: a failing
    # collector's exception, a worker's locals or a self-rearming timer held them past the answer.
    from pyexporter.exporter import Exporter
    from pyexporter.settings import Settings

    load_all()
    monkeypatch.setitem(REGISTRY, "test_failing", CollectorSpec("test_failing", False, _Failing, NoOptions))
    monkeypatch.setitem(REGISTRY, "test_remembered", CollectorSpec("test_remembered", False, _Remembered, NoOptions))
    exporter = Exporter(Settings(paths=fixture_paths("basic"),
                                 enabled_collectors=("loadavg", "test_failing", "test_remembered")))
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            body, _, _ = await exporter.render_async(None, "", "", time.monotonic() + 10)
            assert b"node_test_remembered 7.0" in body
            assert b'node_scrape_collector_success{collector="test_failing"} 0.0' in body
            # The worker lets go of the job before the answer reaches the loop; give it the GIL.
            for _ in range(100):
                if _Remembered.given[-1]() is None:
                    break
                time.sleep(0.01)
            assert _Remembered.given[-1]() is None
    finally:
        if collecting:
            gc.enable()
