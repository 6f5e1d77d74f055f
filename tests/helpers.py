"""Shared test helpers: run one collector on a fixture tree and read its samples back."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pytest
from prometheus_client.core import Metric

from pyexporter.collectors import load_all
from pyexporter.exposition import encode, merge
from pyexporter.paths import Paths

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def completed_fixture_tree(tree: str) -> str:
    """TREE with the empty directories its empty-dirs.txt lists (git cannot store them, and
    without them the dm-multipath and watchdog cases read differently); made in place, or in a
    temporary copy when TREE cannot be written. TREE itself when it has no listing."""
    listing = os.path.join(tree, "empty-dirs.txt")
    if not os.path.isfile(listing):
        return tree
    with open(listing, encoding="utf-8") as fh:
        wanted = [line.strip() for line in fh if line.strip()]
    if all(os.path.isdir(os.path.join(tree, rel)) for rel in wanted):
        return tree
    try:
        for rel in wanted:
            os.makedirs(os.path.join(tree, rel), exist_ok=True)
        return tree
    except OSError:
        copy = os.path.join(tempfile.mkdtemp(prefix="node_exporter-fixtures-"), "node_exporter")
        atexit.register(shutil.rmtree, os.path.dirname(copy), True)
        shutil.copytree(tree, copy, symlinks=True)
        for folder, _, _ in os.walk(copy):
            os.chmod(folder, 0o755)
        for rel in wanted:
            os.makedirs(os.path.join(copy, rel), exist_ok=True)
        return copy


SHARED_FIXTURES = completed_fixture_tree(os.environ.get(
    "PYEXPORTER_NODE_EXPORTER_FIXTURES",
    os.path.join(os.path.dirname(__file__), "..", "..", "shared", "fixtures", "node_exporter"),
))

Labels = frozenset[tuple[str, str]]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip with REASON when a prerequisite is missing; under CI a missing one fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def fixture_paths(name: str) -> Paths:
    """Paths for tests/fixtures/NAME, laid out as node_exporter's fixtures are (proc/, sys/, ...)."""
    return Paths.under(os.path.join(FIXTURES, name))


def write_tree(root: str | os.PathLike[str], files: Mapping[str, str]) -> Paths:
    """Write {relative path: text} below ROOT; Paths for it in node_exporter's fixture layout."""
    for rel, text in files.items():
        path = os.path.join(str(root), rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return Paths.under(str(root))


def run_collector(name: str, paths: Paths, options: Mapping[str, Any] | None = None) -> list[Metric]:
    """Build the registered collector NAME on PATHS and collect once (exceptions propagate)."""
    return list(load_all()[name].build(paths, options).collect())


def collect_as_scrape(name: str, paths: Paths, options: Mapping[str, Any] | None = None
                      ) -> tuple[list[Metric], Exception | None]:
    """Collect once as a scrape does: the families yielded before any failure, and the failure."""
    families: list[Metric] = []
    try:
        for family in load_all()[name].build(paths, options).collect():
            families.append(family)
    except Exception as err:  # noqa: BLE001 - handed to the test
        return families, err
    return families, None


def samples(families: Iterable[Metric]) -> dict[tuple[str, Labels], float]:
    """Every sample as {(sample_name, frozenset(labels)): value}."""
    return {
        (s.name, frozenset(s.labels.items())): s.value for family in families for s in family.samples
    }


def sample(families: Iterable[Metric], name: str, **labels: str) -> float:
    """The value of one sample; KeyError when absent."""
    return samples(families)[(name, frozenset(labels.items()))]


def by_name(families: Iterable[Metric]) -> dict[str, Metric]:
    """Families keyed by their exposition name (counters with their _total suffix)."""
    return {(f.name + "_total" if f.type == "counter" else f.name): f for f in families}


def exposition(families: Iterable[Metric]) -> str:
    merged, _ = merge(families)
    return encode(merged)[0].decode()


class LogRecords(logging.Handler):
    """The records of one logger, attached to it directly: setup_logging, run by other tests in the
    same process, stops pyexporter's loggers from propagating to pytest's capture."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def kv(self, message: str) -> list[dict[str, object]]:
        """The structured fields of the records whose message contains MESSAGE."""
        return [r.kv for r in self.records if message in r.getMessage()]  # type: ignore[attr-defined]


@contextlib.contextmanager
def captured_logs(name: str = "pyexporter") -> Iterator[LogRecords]:
    handler = LogRecords()
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
