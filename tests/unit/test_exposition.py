"""The lean encoders write exactly what prometheus-client's encoders write."""

from __future__ import annotations

import os

import pytest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    SummaryMetricFamily,
    UnknownMetricFamily,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from pyexporter.collectors import load_all
from pyexporter.exposition import _Collectable, encode, encode_openmetrics, encode_text, merge
from pyexporter.paths import Paths
from pyexporter.scrape import Scraper
from tests.helpers import FIXTURES, SHARED_FIXTURES

PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def tricky_families() -> list[Metric]:
    gauge = GaugeMetricFamily("node_odd", 'Help with \\ backslash, "quotes" and\nnewline.', labels=["b", "a"])
    gauge.add_metric(['back\\slash "q"\nnl', "ü"], 1.5)
    gauge.add_metric(["", "x"], float("nan"))
    gauge.add_metric(["inf", "y"], float("inf"))
    gauge.add_metric(["big", "z"], 1.418183276e9)
    gauge.add_metric(["neg", "z"], -2e-7)
    counter = CounterMetricFamily("node_things_total", "Things.", labels=["k"])
    counter.add_metric(["v"], 3, timestamp=1700000000.5)
    untyped = UnknownMetricFamily("node_raw", "Raw.", value=42)
    summary = SummaryMetricFamily("node_sum", "S.", count_value=3, sum_value=1.5)
    histogram = HistogramMetricFamily("node_hist", "H.", buckets=[("0.5", 1), ("+Inf", 4)], sum_value=2.0)
    info = InfoMetricFamily("node_build", "Build.", value={"version": "1"})
    created = Metric("node_made", "Made.", "counter")
    created.add_sample("node_made_total", {}, 5)
    created.add_sample("node_made_created", {}, 1700000000.0)
    return [gauge, counter, untyped, summary, histogram, info, created]


def openmetrics_file_families() -> list[Metric]:
    """Every OpenMetrics type, with units and _created, as the textfile collector reads an
    OpenMetrics file (prometheus-client's parser): both encoders must serve them as
    prometheus-client does (tests/unit/test_textfile_openmetrics.py pins the texts)."""
    from pyexporter.collectors.textfile import parse_openmetrics

    with open(os.path.join(FIXTURES, "textfile", "openmetrics", "mixed", "types.prom")) as file:
        return parse_openmetrics(file.read())


def scraped_families() -> list[Metric]:
    names = [name for name, spec in load_all().items() if spec.default_enabled or name == "processes"]
    root = SHARED_FIXTURES if os.path.isdir(SHARED_FIXTURES) else os.path.join(FIXTURES, "basic")
    families, _ = merge(Scraper(Paths.under(root), names).gather())
    return families


@pytest.mark.parametrize("make", [tricky_families, openmetrics_file_families, scraped_families])
def test_text_matches_prometheus_client(make) -> None:
    families = make()
    assert encode_text(families) == generate_latest(_Collectable(families))


@pytest.mark.parametrize("make", [tricky_families, openmetrics_file_families, scraped_families])
def test_openmetrics_matches_prometheus_client(make) -> None:
    families = make()
    assert encode_openmetrics(families) == generate_openmetrics(_Collectable(families))


def test_negotiation() -> None:
    families = tricky_families()
    body, content_type = encode(families, "")
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    body, content_type = encode(families, PROMETHEUS_ACCEPT)
    assert content_type.startswith("application/openmetrics-text; version=1.0.0; charset=utf-8")
    assert body.endswith(b"# EOF\n")
    # A variant only prometheus-client knows is still served, by prometheus-client.
    body, content_type = encode(families, "text/plain;version=1.0.0")
    assert content_type.startswith("text/plain; version=1.0.0")
    assert b"node_raw 42.0" in body


def test_remembered_values_print_as_prometheus_client_prints_them() -> None:
    values = (0, 0.0, -0.0, 1, 1.0, True, 42, 1.418183276e9, -2e-7, float("inf"), float("-inf"), 10**20,
              float("nan"))

    def family() -> GaugeMetricFamily:
        gauge = GaugeMetricFamily("node_values", "help", labels=["index"])
        for index, value in enumerate(values):
            gauge.add_metric([str(index)], value)
        return gauge

    for _ in range(3):  # the later times from memory
        assert encode_text([family()]) == generate_latest(_Collectable([family()]))
        assert encode_openmetrics([family()]) == generate_openmetrics(_Collectable([family()]))


def test_memory_of_texts_holds_two_encodes_and_forgets_values_that_stop_recurring() -> None:
    from prometheus_client.utils import floatToGoString

    from pyexporter.exposition import _TEXTS

    def family(scrape: int) -> GaugeMetricFamily:
        # 50 label sets and values that recur every scrape, 50 counters that never repeat.
        gauge = GaugeMetricFamily("node_test", "help", labels=["device"])
        for index in range(50):
            gauge.add_metric([f"dev{index}"], 1000.0 + index)
            gauge.add_metric([f"new{scrape}_{index}"], scrape * 1e6 + index + 0.5)
        return gauge

    for scrape in range(200):
        body = encode_text([family(scrape)]).decode()
        assert f'node_test{{device="new{scrape}_7"}} {floatToGoString(scrape * 1e6 + 7.5)}\n' in body
        assert 'node_test{device="dev7"} 1007.0' in body
    for now, before in ((_TEXTS.values, _TEXTS.values_before), (_TEXTS.labels, _TEXTS.labels_before)):
        assert len(now) == len(before) == 100  # two encodes of 100 distinct values or label sets each
    assert encode_text([family(7)]) == generate_latest(_Collectable([family(7)]))


def test_memory_of_texts_is_bounded_for_huge_scrapes() -> None:
    from pyexporter.exposition import _REMEMBERED_MAX, _TEXTS

    gauge = GaugeMetricFamily("node_huge", "help", labels=["index"])
    for index in range(_REMEMBERED_MAX + 5000):
        gauge.add_metric([str(index)], index + 0.5)
    body = encode_text([gauge])
    assert body == generate_latest(_Collectable([gauge]))
    assert len(_TEXTS.labels) == len(_TEXTS.values) == _REMEMBERED_MAX


def test_the_openmetrics_fast_path_still_recognises_prometheus_clients_encoder() -> None:
    # exposition._encode recognises plain OpenMetrics 1.0.0 by the keywords of the functools.partial
    # that choose_encoder returns; should that change, OpenMetrics falls back to prometheus-client's
    # slower encoder, so this fails by name instead.
    from prometheus_client.exposition import choose_encoder

    from pyexporter import exposition

    encoder, _ = choose_encoder("application/openmetrics-text; version=1.0.0")
    assert getattr(encoder, "keywords", None) == exposition._OPENMETRICS_1_0, (
        "prometheus_client's choose_encoder no longer returns partial(..., escaping=, version=): "
        "update exposition._encode"
    )
