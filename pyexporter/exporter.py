"""The exporter: collectors plus its own metrics, rendered to bytes for one request."""

from __future__ import annotations

import platform
import threading
from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import Metric

from pyexporter import __version__
from pyexporter.exposition import encode, merge
from pyexporter.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.memory import cyclic_gc_paused
from pyexporter.scrape import Scraper
from pyexporter.settings import Settings

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


class _Coalescer:
    """Concurrent scrapes share file reading without serving data older than their request.

    A request arriving while a gather of the same collectors runs waits for the next gather,
    which starts when the running one ends and is shared by every request that waited for it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._started: dict[object, int] = {}
        self._done: dict[object, int] = {}
        self._running: set[object] = set()
        self._results: dict[object, list[Metric]] = {}

    def run(self, key: object, gather: Callable[[], list[Metric]]) -> list[Metric]:
        with self._cond:
            # The first gather to start after this request arrived; the running one started before.
            generation = self._started.get(key, 0) + 1
            while True:
                if self._done.get(key, 0) >= generation:
                    return list(self._results[key])
                if key not in self._running:
                    self._started[key] = generation
                    self._running.add(key)
                    break
                self._cond.wait()
        try:
            result = gather()
        except BaseException:
            with self._cond:
                self._running.discard(key)
                self._cond.notify_all()
            raise
        with self._cond:
            self._running.discard(key)
            self._done[key] = generation
            self._results[key] = result
            self._cond.notify_all()
        return list(result)


class Exporter:
    """What a request for the metrics path needs: choose collectors, gather, render."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.scraper = Scraper(settings.paths, settings.enabled_collectors, settings.collector_options)
        self.stats = HandlerStats()
        self._self_registry: CollectorRegistry | None = None
        if not settings.disable_exporter_metrics:
            registry = CollectorRegistry(auto_describe=False)
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
            self._self_registry = registry
        self._build_info = _build_info()
        # Collectors keep state (stuck mounts, cached files) and are not written to be re-entered.
        self._gather_lock = threading.Lock()
        self._coalescer = _Coalescer()

    @property
    def enabled(self) -> list[str]:
        return self.scraper.enabled

    def select(self, collect: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
        return self.scraper.select(collect, exclude)

    def _gather(self, names: Sequence[str] | None) -> list[Metric]:
        with self._gather_lock:
            return self.scraper.gather(names)

    def render(self, names: Sequence[str] | None = None, accept: str = "") -> tuple[bytes, str]:
        """The exposition of the named collectors (all enabled by default) and, unless disabled,
        the exporter's own metrics. Blocking: call it off the event loop."""
        with cyclic_gc_paused():
            families = self._coalescer.run(tuple(names) if names is not None else None, lambda: self._gather(names))
            families.append(self._build_info)
            if self._self_registry is not None:
                families.extend(self._self_registry.collect())
                families.extend(self.stats.collect())
            merged, conflicts = merge(families)
            for _ in range(conflicts):
                self.stats.error("gathering")
            try:
                return encode(merged, accept)
            except Exception:
                self.stats.error("encoding")
                raise
