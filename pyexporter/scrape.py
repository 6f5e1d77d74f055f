"""One scrape: run the enabled collectors, time each, and isolate their failures."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client.core import Metric

from pyexporter.collectors import Collector, CollectorError, CollectorSpec, FlagValueError, collector_names, load
from pyexporter.families import GaugeMetricFamily
from pyexporter.paths import Paths

log = logging.getLogger("pyexporter.scrape")


class FilterError(ValueError):
    """A collect[]/exclude[] request naming a collector that is unknown or not enabled."""


class _Unavailable(Collector):
    """Stands in for a collector whose construction failed: every scrape reports it failed."""

    def __init__(self, err: Exception) -> None:
        self.err = err

    def collect(self) -> Iterable[Metric]:
        raise CollectorError(f"collector could not start: {_describe(self.err)}")


class Scraper:
    """The enabled collectors, built once; `gather` runs a chosen subset of them."""

    def __init__(
        self,
        paths: Paths,
        enabled: Sequence[str],
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        registry = load(enabled)
        self._known = frozenset(collector_names()) | frozenset(registry)
        options = options or {}
        self.collectors: dict[str, Collector] = {}
        for name in sorted(enabled):
            spec: CollectorSpec = registry[name]
            logger = logging.getLogger(f"pyexporter.collector.{name}")
            try:
                self.collectors[name] = spec.build(paths, options.get(name), logger)
            except FlagValueError:
                raise  # a bad flag combination stops start-up
            except Exception as err:  # noqa: BLE001 - bad input fails this collector, never start-up
                log.error("collector could not start", extra={"kv": {"name": name, "err": _describe(err)}})
                self.collectors[name] = _Unavailable(err)

    @property
    def enabled(self) -> list[str]:
        return list(self.collectors)

    def select(self, collect: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
        """The collectors a request asks for, as node_exporter's collect[]/exclude[] filters them."""
        if collect and exclude:
            raise FilterError("Combined collect and exclude queries are not allowed.")
        for name in (*collect, *exclude):
            if name not in self._known:
                raise FilterError(f"missing collector: {name}")
            if name not in self.collectors:
                raise FilterError(f"disabled collector: {name}")
        if collect:
            return sorted(set(collect))
        return [name for name in self.collectors if name not in exclude]

    def gather(self, names: Iterable[str] | None = None) -> list[Metric]:
        """Every family of the named collectors (all enabled ones by default), plus their
        duration and success gauges. A collector that raises contributes only success 0."""
        duration = GaugeMetricFamily(
            "node_scrape_collector_duration_seconds",
            "node_exporter: Duration of a collector scrape.",
            labels=["collector"],
        )
        success = GaugeMetricFamily(
            "node_scrape_collector_success",
            "node_exporter: Whether a collector succeeded.",
            labels=["collector"],
        )
        families: list[Metric] = []
        for name in self.collectors if names is None else names:
            started = time.perf_counter()
            try:
                produced = list(self.collectors[name].collect())
                _check_values(produced)
            except Exception as err:  # noqa: BLE001 - any failure stays within its collector
                elapsed = time.perf_counter() - started
                fields = {"name": name, "duration_seconds": round(elapsed, 6), "err": _describe(err)}
                log.error("collector failed", extra={"kv": fields})
                ok = 0.0
            else:
                elapsed = time.perf_counter() - started
                families.extend(produced)
                ok = 1.0
            duration.add_metric([name], elapsed)
            success.add_metric([name], ok)
        families.append(duration)
        families.append(success)
        return families


def _check_values(families: list[Metric]) -> None:
    """A garbage counter parsed by int() can exceed any float; encoding it would fail the whole
    exposition, so it fails its collector instead."""
    for family in families:
        for sample in family.samples:
            if type(sample.value) is float:
                continue  # nearly every value: nothing to check
            try:
                float(sample.value)
            except (OverflowError, TypeError, ValueError):
                raise CollectorError(f"{sample.name}: value {str(sample.value)[:40]} is not a float64") from None


def _describe(err: Exception) -> str:
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
