"""The Collector base class, what it is built with, and the error that fails it alone."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import ClassVar, Generic

from prometheus_client.core import Metric

from pyexporter.flags import Options
from pyexporter.paths import Paths


class CollectorError(Exception):
    """A collector's input was unreadable or malformed; the scrape reports it and goes on."""


class NoDataError(CollectorError):
    """The host has nothing for this collector (no ZFS module, no PSI, no schedstat): node_exporter's
    ErrNoData. The scrape reports it as a failure, node_scrape_collector_success 0, as node_exporter
    does, but logs it at debug level only."""


@dataclass(frozen=True, slots=True)
class CollectorContext(Generic[Options]):
    paths: Paths
    options: Options
    logger: logging.Logger
    # The collectors enabled beside this one (node_exporter's collectorState), or None when it is
    # built alone (tests, tools), where every collector counts as enabled.
    enabled: frozenset[str] | None = None


class Collector(Generic[Options]):
    """Base class: built once at start-up with its context, asked for families on every scrape.

    `collect` returns the metric families; raising any exception fails this collector alone.
    Build what never changes in `__init__`; read and parse in `collect`. `Options` is the frozen
    dataclass of its flags (flags.NoOptions for none).
    """

    name: ClassVar[str] = ""
    # A collector that serves families others wrote (textfile) gives way to every family pyexporter
    # collects itself: once a gather is done, `give_way` decides what of its output is served.
    gives_way: ClassVar[bool] = False

    def __init__(self, ctx: CollectorContext[Options]) -> None:
        self.paths = ctx.paths
        self.options = ctx.options
        self.log = ctx.logger
        self._enabled = ctx.enabled

    def enabled(self, name: str) -> bool:
        """Whether collector NAME is enabled in this exporter (node_exporter's collectorState)."""
        return self._enabled is None or name in self._enabled

    def collect(self) -> Iterable[Metric]:
        raise NotImplementedError

    def give_way(self, families: list[Metric], taken: AbstractSet[str]) -> list[Metric]:
        """What of FAMILIES (this collector's output in one gather) to serve, given TAKEN: every
        exposition name (families.exposition_names) of the other families of the exposition.
        Called only when `gives_way`; FAMILIES may be shared with other scrapes, so never change
        them: return new families where something differs."""
        return families
