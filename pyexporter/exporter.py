"""The exporter: collectors plus its own metrics, rendered to bytes for one request."""

from __future__ import annotations

import asyncio
import contextlib
import math
import platform
import threading
import time
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, PlatformCollector
from prometheus_client.core import Metric

from pyexporter import __version__
from pyexporter.exposition import compress, encode, merge, report_duplicates
from pyexporter.memory import cyclic_gc_paused, pause_cyclic_gc, resume_cyclic_gc
from pyexporter.scrape import STALL_SECONDS, Job, Scraper
from pyexporter.selfmetrics import GCMetrics, ProcessMetrics
from pyexporter.settings import Settings
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily

_CODES = ("200", "500", "503")


class HandlerStats:
    """client_golang's promhttp instrumentation, kept as plain numbers.

    prometheus-client's Counter would add `_created` series that node_exporter does not have.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = dict.fromkeys(_CODES, 0)
        self.in_flight = 0
        self.errors = {"encoding": 0, "gathering": 0}

    def started(self) -> None:
        with self._lock:
            self.in_flight += 1

    def finished(self, code: int) -> None:
        with self._lock:
            self.in_flight -= 1
            self.requests[str(code)] = self.requests.get(str(code), 0) + 1

    def error(self, cause: str) -> None:
        with self._lock:
            self.errors[cause] += 1

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            requests = CounterMetricFamily(
                "promhttp_metric_handler_requests_total",
                "Total number of scrapes by HTTP status code.",
                labels=["code"],
            )
            for code, count in sorted(self.requests.items()):
                requests.add_metric([code], count)
            errors = CounterMetricFamily(
                "promhttp_metric_handler_errors_total",
                "Total number of internal errors encountered by the promhttp metric handler.",
                labels=["cause"],
            )
            for cause, count in sorted(self.errors.items()):
                errors.add_metric([cause], count)
            in_flight = GaugeMetricFamily(
                "promhttp_metric_handler_requests_in_flight",
                "Current number of scrapes being served.",
                value=self.in_flight,
            )
        yield from (requests, errors, in_flight)


def _build_info() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "pyexporter_build_info",
        "A metric with a constant '1' value labeled by version and pythonversion from which "
        "pyexporter was built.",
        labels=["version", "pythonversion"],
    )
    family.add_metric([__version__, platform.python_version()], 1)
    return family


class Exporter:
    """What a request for the metrics path needs: choose collectors, gather by a deadline, render.

    Gathering follows the concurrency model written down in pyexporter.scrape.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.scraper = Scraper(
            settings.paths, settings.enabled_collectors, settings.collector_options, settings.collector_timeout
        )
        self.stats = HandlerStats()
        self._self_registry: CollectorRegistry | None = None
        if not settings.disable_exporter_metrics:
            registry = CollectorRegistry(auto_describe=False)
            registry.register(ProcessMetrics())
            PlatformCollector(registry=registry)
            registry.register(GCMetrics())
            self._self_registry = registry
        self._build_info = _build_info()

    @property
    def enabled(self) -> list[str]:
        return self.scraper.enabled

    def select(self, collect: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
        return self.scraper.select(collect, exclude)

    def deadline(self, scrape_timeout_header: str | None = None) -> float:
        """When a scrape starting now must answer (monotonic): the client's
        X-Prometheus-Scrape-Timeout-Seconds less the margin (but at least half of it), or
        --scrape.timeout when the client sends none (or nonsense)."""
        timeout = self.settings.scrape_timeout
        if scrape_timeout_header:
            try:
                given = float(scrape_timeout_header)
            except ValueError:
                given = math.nan
            if math.isfinite(given) and given > 0:
                timeout = max(given - self.settings.scrape_timeout_margin, given / 2)
        return time.monotonic() + timeout

    def render(
        self, names: Sequence[str] | None = None, accept: str = "", deadline: float | None = None
    ) -> tuple[bytes, str]:
        """The exposition of the named collectors (all enabled by default) and, unless disabled,
        the exporter's own metrics, waited for here until DEADLINE (default: --scrape.timeout)."""
        with cyclic_gc_paused():
            return self._render_paused(names, accept, self.deadline() if deadline is None else deadline)

    def _render_paused(self, names: Sequence[str] | None, accept: str, deadline: float) -> tuple[bytes, str]:
        # The job, and with it every family of the scrape, is freed when this returns: before
        # the cyclic collector resumes, whose next young collection would walk them all.
        job = self.scraper.start(names, deadline)
        self.scraper.wait(job)
        return self._encode(job, accept)

    async def render_async(
        self, names: Sequence[str] | None, accept: str, accept_encoding: str, deadline: float
    ) -> tuple[bytes, str, str | None]:
        """render for the event loop, compressed as ACCEPT_ENCODING allows. The loop waits without
        holding a thread; the worker that completes the scrape also encodes it, so a scrape costs
        one hop off the loop and back, as a single to_thread call would."""
        # For the whole scrape, in whichever thread does its parts: a run that hangs past the
        # deadline runs on unpaused.
        pause_cyclic_gc()
        try:
            # The job, and with it every family of the scrape, is freed when this returns: before
            # the cyclic collector resumes, whose next young collection would walk them all.
            return await self._render_async_paused(names, accept, accept_encoding, deadline)
        finally:
            resume_cyclic_gc()

    async def _render_async_paused(
        self, names: Sequence[str] | None, accept: str, accept_encoding: str, deadline: float
    ) -> tuple[bytes, str, str | None]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[_Answer] = loop.create_future()

        def deliver(job: Job) -> None:
            try:
                result: _Answer = self._compressed(job, accept, accept_encoding)
            except BaseException as err:  # noqa: BLE001 - handed to the waiting request
                result = err
            # Encoded: the scrape's families are freed here, before the loop resumes the request
            # (and, with it, the cyclic collector, whose next young collection would otherwise walk
            # them all while this worker still holds the job).
            job.outcomes = {}
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
                loop.call_soon_threadsafe(_settle, answer, result)

        # The request awaits ANSWER alone while an overseer looks after the job: awaiting
        # asyncio.wait instead costs the loop one more turn and a waiter per scrape.
        job = self.scraper.start(names, deadline, deliver)
        overseer: _Overseer | None = None
        if job.done and not job.complete:
            answer.set_result(_CUT_SHORT)
        else:
            overseer = _Overseer(loop, self.scraper, job, answer)
        try:
            result = await answer
        except asyncio.CancelledError:
            self.scraper.cancel(job)
            raise
        finally:
            if overseer is not None:
                overseer.stop()
        if isinstance(result, BaseException):
            raise result
        if result is _CUT_SHORT:
            # Cut short at the deadline or the collector timeout: encoded off the loop all the same.
            return await asyncio.to_thread(self._compressed, job, accept, accept_encoding)
        return result

    def _compressed(self, job: Job, accept: str, accept_encoding: str) -> tuple[bytes, str, str | None]:
        body, content_type = self._encode(job, accept)
        body, encoding = compress(body, accept_encoding)
        return body, content_type, encoding

    def _encode(self, job: Job, accept: str) -> tuple[bytes, str]:
        others: list[Metric] = [self._build_info]
        if self._self_registry is not None:
            others.extend(self._self_registry.collect())
            others.extend(self.stats.collect())
        families = self.scraper.families(job, others)
        families.extend(others)
        merged, conflicts = merge(families)
        duplicates: list[str] = []
        try:
            encoded = encode(merged, accept, duplicates)
        except Exception:
            self.stats.error("encoding")
            raise
        if conflicts or duplicates:
            # promhttp counts a gathering that had errors once, however many it had.
            self.stats.error("gathering")
        if duplicates:
            report_duplicates(duplicates)
        return encoded

    def close(self) -> list[str]:
        """End waiting scrapes and start no more runs; the collectors abandoned while running."""
        return self.scraper.close()


_Answer = tuple[bytes, str, str | None] | BaseException
# What a scrape's answer is set to when its job was cut short (no worker calls back).
_CUT_SHORT: _Answer = (b"", "", None)


def _settle(future: asyncio.Future[_Answer], result: _Answer) -> None:
    if not future.done():
        future.set_result(result)


class _Overseer:
    """Looks after a job while its request awaits the answer: starts a worker when the queued runs
    stall, gives up at the deadline (which shutdown may bring forward), and settles the answer when
    the job is cut short, as no worker will then call back. A timer, re-armed at each look; `stop`
    cancels it, which drops the timer's reference to the overseer, so no reference cycle is left
    for the cyclic collector (a closure that re-arms itself would leave one, holding the answer
    and its body, every scrape)."""

    __slots__ = ("_answer", "_job", "_loop", "_scraper", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, scraper: Scraper, job: Job,
                 answer: asyncio.Future[_Answer]) -> None:
        self._loop = loop
        self._scraper = scraper
        self._job = job
        self._answer = answer
        self._timer: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        left = self._job.deadline - time.monotonic()
        self._timer = self._loop.call_later(max(0.0, min(left, STALL_SECONDS)), self._look)

    def _look(self) -> None:
        self._timer = None
        if self._answer.done():
            return
        self._scraper.check(self._job)
        if self._job.done and not self._job.complete:
            self._answer.set_result(_CUT_SHORT)
            return
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
