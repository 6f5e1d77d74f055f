"""The concurrency model of pyexporter.scrape: lanes, deadlines, stuck collectors, shared runs.

Collectors here block on events the test holds, standing in for a read that never returns; the
process-level tests (tests/collectors/test_hung_reads.py) use real FIFOs and FUSE files.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import ClassVar

import pytest
from prometheus_client.core import Metric

from pyexporter.collectors import REGISTRY, CollectorSpec, load_all
from pyexporter.flags import NoOptions
from pyexporter.scrape import Scraper
from pyexporter.toolkit.collector import Collector
from pyexporter.toolkit.families import GaugeMetricFamily
from tests.helpers import fixture_paths, sample, samples


class Gate:
    """What a gated collector does: count its runs, then wait until the test opens the gate."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()
        self.runs = 0


GATES: dict[str, Gate] = {}


class _Gated(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        gate = GATES[self.name]
        gate.runs += 1
        run = gate.runs
        gate.entered.set()
        gate.opened.wait(30)
        yield GaugeMetricFamily(f"node_test_{self.name}_run", "Which run this was.", value=run)


class _Counting(Collector[NoOptions]):
    runs = 0

    def collect(self) -> Iterable[Metric]:
        type(self).runs += 1
        yield GaugeMetricFamily("node_test_counting_run", "Which run this was.", value=type(self).runs)


@pytest.fixture
def gated(monkeypatch) -> Iterator[dict[str, Gate]]:
    load_all()
    GATES.clear()
    for name in ("test_hung", "test_slow"):
        GATES[name] = Gate()
        cls = type(f"_{name}", (_Gated,), {"name": name})
        monkeypatch.setitem(REGISTRY, name, CollectorSpec(name, False, cls, NoOptions))
    _Counting.runs = 0
    monkeypatch.setitem(REGISTRY, "test_counting", CollectorSpec("test_counting", False, _Counting, NoOptions))
    yield GATES
    for gate in GATES.values():
        gate.opened.set()  # let abandoned threads end


def _scraper(names: list[str], **kwargs) -> Scraper:
    return Scraper(fixture_paths("basic"), names, **kwargs)


def test_a_hung_collector_fails_alone_at_the_deadline(gated) -> None:
    scraper = _scraper(["test_hung", "test_counting", "loadavg"])
    started = time.monotonic()
    families = scraper.gather(timeout=0.5)
    assert time.monotonic() - started < 5
    assert sample(families, "node_scrape_collector_success", collector="test_hung") == 0
    assert sample(families, "node_scrape_collector_timeout", collector="test_hung") == 1
    for name in ("test_counting", "loadavg"):
        assert sample(families, "node_scrape_collector_success", collector=name) == 1
        assert sample(families, "node_scrape_collector_timeout", collector=name) == 0
    assert sample(families, "node_load1") == 0.21
    assert not [f for f in families if f.name == "node_test_test_hung_run"]


def test_collectors_queued_behind_a_hung_one_still_run(gated) -> None:
    """Runs waiting behind a hung run get another worker long before the deadline."""
    scraper = _scraper(["test_hung", "test_counting"])
    job = scraper.start(["test_hung", "test_counting"], time.monotonic() + 30)
    gated["test_hung"].entered.wait(10)
    waited = time.monotonic()
    while "test_counting" not in job.outcomes and time.monotonic() - waited < 20:
        scraper.check(job)
        time.sleep(0.01)
    assert job.outcomes["test_counting"].error is None
    assert not job.done
    gated["test_hung"].opened.set()
    scraper.wait(job)
    assert job.complete


class _Computing(Collector[NoOptions]):
    """Holds the GIL for a while, as a collector busy parsing thousands of processes does."""

    def collect(self) -> Iterable[Metric]:
        ends = time.monotonic() + 0.4
        while time.monotonic() < ends:
            sum(range(1000))
        yield GaugeMetricFamily("node_test_computing", "Computed.", value=1.0)


def test_runs_queued_behind_a_computing_one_wait_for_its_worker(gated, monkeypatch) -> None:
    """A worker that computes is not stalled: another worker would only contend for the GIL."""
    monkeypatch.setitem(REGISTRY, "test_computing", CollectorSpec("test_computing", False, _Computing, NoOptions))
    scraper = _scraper(["test_computing", "test_counting"])
    started = time.monotonic()
    job = scraper.start(["test_computing", "test_counting"], started + 30)
    while time.monotonic() - started < 0.25:  # five stall intervals, well before the run ends
        scraper.check(job)
        time.sleep(0.01)
    assert "test_computing" not in job.outcomes
    assert "test_counting" not in job.outcomes
    assert scraper.thread_count() == 1
    scraper.wait(job)
    assert job.complete
    assert job.outcomes["test_counting"].error is None


def test_a_stuck_collector_is_not_started_again_and_reports_at_once(gated) -> None:
    scraper = _scraper(["test_hung", "test_counting"])
    scraper.gather(timeout=0.2)
    threads = scraper.thread_count()
    for _ in range(20):
        job = scraper.start(["test_hung", "test_counting"], time.monotonic() + 10)
        # Known stuck at once: not waited for.
        assert job.outcomes["test_hung"].timed_out
        scraper.wait(job)
        families = scraper.families(job)
        assert sample(families, "node_scrape_collector_success", collector="test_hung") == 0
        assert sample(families, "node_scrape_collector_success", collector="test_counting") == 1
    assert gated["test_hung"].runs == 1
    assert _Counting.runs == 21
    # Threads do not grow with the number of scrapes.
    assert scraper.thread_count() <= threads + 1 <= 3
    assert scraper.stuck() == ["test_hung"]


def test_a_stuck_collector_recovers_when_its_read_returns(gated) -> None:
    scraper = _scraper(["test_hung"])
    scraper.gather(timeout=0.2)
    gated["test_hung"].opened.set()
    deadline = time.monotonic() + 10
    while scraper.stuck() and time.monotonic() < deadline:
        time.sleep(0.01)
    families = scraper.gather(timeout=5)
    assert sample(families, "node_scrape_collector_success", collector="test_hung") == 1
    assert sample(families, "node_test_test_hung_run") == 2


def test_the_collector_timeout_ends_one_collector_before_the_scrape(gated) -> None:
    scraper = _scraper(["test_hung", "test_counting"], collector_timeout=0.2)
    started = time.monotonic()
    families = scraper.gather(timeout=30)
    assert time.monotonic() - started < 10
    assert sample(families, "node_scrape_collector_timeout", collector="test_hung") == 1
    assert sample(families, "node_scrape_collector_success", collector="test_counting") == 1
    duration = sample(families, "node_scrape_collector_duration_seconds", collector="test_hung")
    assert 0.2 <= duration < 10


def test_waiters_share_the_next_run_never_the_running_one(gated) -> None:
    """A scrape arriving while a collector runs for another gets the next run, shared with every
    scrape that arrived meanwhile: never data gathered before it arrived."""
    scraper = _scraper(["test_slow"])
    first = scraper.start(["test_slow"], time.monotonic() + 30)
    gated["test_slow"].entered.wait(10)
    arrived = [scraper.start(["test_slow"], time.monotonic() + 30) for _ in range(5)]
    gated["test_slow"].opened.set()
    for job in (first, *arrived):
        scraper.wait(job)
        assert job.complete
    assert sample(scraper.families(first), "node_test_test_slow_run") == 1
    assert {sample(scraper.families(job), "node_test_test_slow_run") for job in arrived} == {2}
    assert gated["test_slow"].runs == 2


def test_a_scrape_that_gives_up_on_a_queued_run_leaves_it_unstarted(gated) -> None:
    scraper = _scraper(["test_slow"])
    first = scraper.start(["test_slow"], time.monotonic() + 30)
    gated["test_slow"].entered.wait(10)
    impatient = scraper.start(["test_slow"], time.monotonic() + 0.1)
    scraper.wait(impatient)
    assert impatient.outcomes["test_slow"].timed_out
    gated["test_slow"].opened.set()
    scraper.wait(first)
    time.sleep(0.2)
    assert gated["test_slow"].runs == 1  # the next run nobody waits for any more never started


def test_close_ends_waiting_scrapes_and_names_what_is_abandoned(gated) -> None:
    scraper = _scraper(["test_hung", "test_counting"])
    job = scraper.start(None, time.monotonic() + 60)
    gated["test_hung"].entered.wait(10)
    assert scraper.close() == ["test_hung"]
    assert job.done
    assert job.outcomes["test_hung"].timed_out
    later = scraper.start(None, time.monotonic() + 60)
    assert later.done  # nothing starts after close


class _Builtin(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("node_test_builtin", "A built-in family.", value=1)


class _GivesWay(Collector[NoOptions]):
    gives_way = True
    seen: ClassVar[list[set[str]]] = []

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("node_test_builtin", "A copy from outside.", value=2)
        yield GaugeMetricFamily("node_test_outside", "Only from outside.", value=3)

    def give_way(self, families, taken):
        type(self).seen.append({name for name in ("node_test_builtin", "node_test_outside",
                                                  "node_scrape_collector_success") if name in taken})
        return [f for f in families if f.name not in taken]


def test_families_that_give_way_lose_to_every_other_family(monkeypatch) -> None:
    load_all()
    monkeypatch.setitem(REGISTRY, "test_builtin", CollectorSpec("test_builtin", False, _Builtin, NoOptions))
    monkeypatch.setitem(REGISTRY, "test_gives_way", CollectorSpec("test_gives_way", False, _GivesWay, NoOptions))
    _GivesWay.seen.clear()
    families = _scraper(["test_builtin", "test_gives_way"]).gather()
    found = samples(families)
    assert found[("node_test_builtin", frozenset())] == 1
    assert found[("node_test_outside", frozenset())] == 3
    assert _GivesWay.seen == [{"node_test_builtin", "node_scrape_collector_success"}]


def test_a_cancelled_scrape_leaves_a_hung_collector_stuck_for_the_next(gated) -> None:
    scraper = _scraper(["test_hung"])
    job = scraper.start(None, time.monotonic() + 60)
    gated["test_hung"].entered.wait(10)
    scraper.cancel(job)
    assert job.done and job.outcomes["test_hung"].timed_out
    later = scraper.start(None, time.monotonic() + 60)
    assert later.done  # reported at once, not waited for
    assert scraper.stuck() == ["test_hung"]


def test_one_parked_worker_serves_scrape_after_scrape(gated) -> None:
    """Between scrapes the worker sleeps on its own wakeup; each scrape's signal must reach it, or
    the scrape would wait for its deadline (the worker counts as idle, so none is added)."""
    scraper = _scraper(["test_counting", "loadavg"])
    started = time.monotonic()
    for run in range(1, 201):
        families = scraper.gather(timeout=10)
        assert sample(families, "node_test_counting_run") == run
    assert time.monotonic() - started < 10
    assert scraper.thread_count() == 1


def test_close_wakes_the_parked_workers_and_they_leave(gated) -> None:
    scraper = _scraper(["test_counting"])
    scraper.gather(timeout=10)
    assert scraper.thread_count() == 1
    scraper.close()
    deadline = time.monotonic() + 10
    while scraper.thread_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert scraper.thread_count() == 0


def test_hasten_ends_a_waiting_scrape_at_the_new_deadline(gated) -> None:
    scraper = _scraper(["test_hung", "test_counting"])
    job = scraper.start(None, time.monotonic() + 60)
    waiter = threading.Thread(target=scraper.wait, args=(job,))
    waiter.start()
    gated["test_hung"].entered.wait(10)
    hastened = time.monotonic()
    scraper.hasten(hastened)
    waiter.join(10)
    assert not waiter.is_alive() and time.monotonic() - hastened < 5
    assert job.outcomes["test_hung"].timed_out
    assert job.outcomes["test_counting"].error is None
