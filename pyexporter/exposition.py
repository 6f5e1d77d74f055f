"""Turning gathered families into bytes: prometheus-client's encoders, negotiated in one place."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterable, Iterator

from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder, gzip_accepted
from prometheus_client.exposition import generate_latest as generate_text

log = logging.getLogger("pyexporter.exposition")


class _Families:
    """The shape prometheus-client's encoders ask for: something with `collect()`."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def merge(families: Iterable[Metric]) -> tuple[list[Metric], int]:
    """Families sorted by name, with same-named ones merged as client_golang's Gatherer does.

    Returns the families and the number of conflicts (same name, different type or HELP)
    whose later family was dropped and logged.
    """
    by_name: dict[str, Metric] = {}
    conflicts = 0
    for family in families:
        seen = by_name.get(family.name)
        if seen is None:
            by_name[family.name] = family
        elif seen.type == family.type and seen.documentation == family.documentation:
            # A new family, so that a collector's cached families are never changed.
            merged = Metric(seen.name, seen.documentation, seen.type)
            merged.samples = [*seen.samples, *family.samples]
            by_name[family.name] = merged
        else:
            conflicts += 1
            log.error(
                "metric family collected twice with different type or help; keeping the first",
                extra={"kv": {"family": family.name}},
            )
    return [by_name[name] for name in sorted(by_name)], conflicts


def encode(families: list[Metric], accept: str = "") -> tuple[bytes, str]:
    """Body and content type: text 0.0.4 unless the Accept header asks for OpenMetrics."""
    encoder, content_type = choose_encoder(accept)
    if encoder is generate_text:
        content_type = CONTENT_TYPE_PLAIN_0_0_4
    return encoder(_Families(families)), content_type


def compress(body: bytes, accept_encoding: str) -> tuple[bytes, str | None]:
    if gzip_accepted(accept_encoding):
        return gzip.compress(body, compresslevel=1), "gzip"
    return body, None
