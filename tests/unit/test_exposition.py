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
from prometheus_client.samples import Sample

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


def test_memory_of_texts_forgets_values_that_stop_recurring() -> None:
    from prometheus_client.utils import floatToGoString

    from pyexporter.exposition import _LABEL_TEXTS, _REMEMBERED_MIN, _VALUE_TEXTS

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
        if scrape >= 10:  # what earlier tests left has been dropped
            for memo in (_VALUE_TEXTS, _LABEL_TEXTS):
                # A generation is retired once it holds more than the last encode's samples (100
                # here, but at least _REMEMBERED_MIN), so it holds at most that and one encode more.
                assert len(memo.now) <= _REMEMBERED_MIN + 100 and len(memo.before) <= _REMEMBERED_MIN + 100
    remembered = {*_VALUE_TEXTS.now, *_VALUE_TEXTS.before}
    assert 1007.0 in remembered and 7.5 not in remembered and 100e6 + 7.5 not in remembered
    assert encode_text([family(7)]) == generate_latest(_Collectable([family(7)]))


def test_texts_that_recur_are_found_without_copying() -> None:
    # A scrape whose label sets and values all recur finds them in the current generation: nothing
    # is formatted or copied from the one before (the memo's whole point at 19 000 samples).
    from pyexporter.exposition import _LABEL_TEXTS, _VALUE_TEXTS

    gauge = GaugeMetricFamily("node_same", "help", labels=["device"])
    for index in range(3000):
        gauge.add_metric([f"dev{index}"], float(index * 1000))
    encode_openmetrics([gauge])
    encode_openmetrics([gauge])
    now = {id(m): m.now for m in (_LABEL_TEXTS, _VALUE_TEXTS)}
    body = encode_openmetrics([gauge])
    assert {id(m): m.now for m in (_LABEL_TEXTS, _VALUE_TEXTS)} == now
    assert _LABEL_TEXTS.now is now[id(_LABEL_TEXTS)] and _VALUE_TEXTS.now is now[id(_VALUE_TEXTS)]
    assert body == generate_openmetrics(_Collectable([gauge]))


def test_memory_of_texts_is_bounded_for_huge_scrapes() -> None:
    from pyexporter.exposition import _LABEL_TEXTS, _REMEMBERED_MAX, _VALUE_TEXTS

    gauge = GaugeMetricFamily("node_huge", "help", labels=["index"])
    for index in range(_REMEMBERED_MAX + 5000):
        gauge.add_metric([str(index)], index + 0.5)
    expected = generate_latest(_Collectable([gauge]))
    for _ in range(3):
        assert encode_text([gauge]) == expected
        for memo in (_LABEL_TEXTS, _VALUE_TEXTS):
            assert len(memo.now) <= _REMEMBERED_MAX and len(memo.before) <= _REMEMBERED_MAX


def test_texts_survive_rotations_and_changes_in_both_formats() -> None:
    # Label sets, values and HELP texts that come, go and come back, across many rotations of
    # the memory, always encode as prometheus-client encodes them.
    def families(scrape: int) -> list[Metric]:
        gauge = GaugeMetricFamily("node_churn", f"help {scrape % 3}", labels=["device", "mode"])
        for index in range(40):
            value = [0.0, -0.0, 1.0, float("nan"), 1e6 + index, -3.5, 2.0**60, index][(index + scrape) % 8]
            gauge.add_metric([f"dev{(index * scrape) % 97}-{index}", ["a", "b\"q\""][index % 2]], value)
        counter = CounterMetricFamily("node_churn_events", "Events.", labels=["kind"])
        counter.add_metric([f"k{scrape % 5}"], scrape * 1234567.0)
        return [gauge, counter]

    for scrape in range(60):
        assert encode_text(families(scrape)) == generate_latest(_Collectable(families(scrape)))
        assert encode_openmetrics(families(scrape)) == generate_openmetrics(_Collectable(families(scrape)))


def test_nan_is_never_remembered() -> None:
    from pyexporter.exposition import _VALUE_TEXTS

    gauge = GaugeMetricFamily("node_nan", "help", labels=["index"])
    for index in range(100):
        gauge.add_metric([str(index)], float("nan"))
    assert encode_text([gauge]) == generate_latest(_Collectable([gauge]))
    assert not [key for key in _VALUE_TEXTS.now if key != key]


def test_value_text_is_prometheus_clients_float_text() -> None:
    import math
    import random
    import struct

    from prometheus_client.utils import floatToGoString

    from pyexporter.exposition import _value_text

    values: list[float | int] = [
        0.0, -0.0, 1.0, -1.0, 0.1, 1e-4, 1e-5, 5e-324, -5e-324, 999999.9999999999, 1e6, 1e6 + 0.5, 1234567.0,
        -1234567.0, 1e15, 1e16, 2.0**53, 2.0**53 + 2, 1e21, 1e22, 1.7976931348623157e308, -1.7976931348623157e308,
        math.inf, -math.inf, math.nan, 1, 0, True, False, 42, 10**20, 2**53 + 1, -(2**63),
    ]
    rnd = random.Random(16)
    for _ in range(20_000):
        values.append(struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0])
        values.append(float(rnd.randrange(10 ** rnd.randrange(1, 20))))
        values.append(rnd.randrange(10 ** rnd.randrange(1, 20)) / 10 ** rnd.randrange(8))
        values.append(rnd.randrange(-(2**70), 2**70) >> rnd.randrange(70))  # ints, as collectors give counts
    assert [v for v in values if _value_text(v) != floatToGoString(v)] == []


def test_moved_samples_in_text_format_follow_their_runs() -> None:
    # The text format moves `_created`, `_gsum` and `_gcount` samples after their family; which
    # samples move is decided once per run of one name, so runs that alternate must still match.
    summary = Metric("node_lat", "Latency.", "summary")
    for index in range(3):
        labels = {"op": f"o{index}"}
        summary.add_sample("node_lat_count", labels, index)
        summary.add_sample("node_lat_created", labels, 1700000000.0 + index)
        summary.add_sample("node_lat_sum", labels, index * 0.5)
        summary.add_sample("node_lat_created", {"op": f"x{index}"}, 1.5)
    histogram = Metric("node_gh", "GH.", "gaugehistogram")
    histogram.add_sample("node_gh_bucket", {"le": "+Inf"}, 3)
    histogram.add_sample("node_gh_gcount", {}, 3)
    histogram.add_sample("node_gh_gsum", {}, 1.5)
    histogram.add_sample("node_gh_gcount", {"x": "y"}, 4)
    odd = Metric("node_odd", "Odd.", "gauge")
    odd.add_sample("node_odd_created", {}, 1.0)
    odd.add_sample("node_odd", {}, 2.0)
    odd.add_sample("node_oddity_created", {}, 3.0)
    families = [summary, histogram, odd]
    for _ in range(2):
        assert encode_text(families) == generate_latest(_Collectable(families))
        assert encode_openmetrics(families) == generate_openmetrics(_Collectable(families))


def test_headers_follow_every_part_of_their_family() -> None:
    from pyexporter.toolkit.families import VerbatimFamily

    def gauge(help_text: str, unit: str = "") -> Metric:
        family = Metric("node_head", help_text, "gauge", unit=unit)
        family.add_sample("node_head", {}, 1.0)
        return family

    plain = CounterMetricFamily("node_reqs", "Requests.", value=5)
    verbatim = VerbatimFamily("node_reqs", "Requests.", "counter")
    verbatim.add_sample("node_reqs", {}, 5.0)
    for family in (gauge("One."), gauge("Two."), gauge("Two.", "seconds"), gauge("Two."), plain, verbatim, plain):
        if family is verbatim:
            # Served under its own names in text format (VerbatimFamily), as `unknown` in OpenMetrics.
            assert encode_text([family]) == b"# HELP node_reqs Requests.\n# TYPE node_reqs counter\nnode_reqs 5.0\n"
            assert encode_openmetrics([family]) == generate_openmetrics(_Collectable([family.conventional()]))
        else:
            assert encode_text([family]) == generate_latest(_Collectable([family]))
            assert encode_openmetrics([family]) == generate_openmetrics(_Collectable([family]))


def test_samples_have_the_fields_the_encoders_unpack() -> None:
    from prometheus_client.samples import Sample

    from pyexporter.exposition import _SAMPLE_FIELDS

    assert Sample._fields == _SAMPLE_FIELDS, "prometheus_client's Sample changed: update exposition's loops"


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


def test_bodies_with_non_ascii_text_are_utf8_as_prometheus_client_writes_them() -> None:
    # A non-ASCII HELP or label value makes the joined body wide; the parts are then encoded one by one.
    gauge = GaugeMetricFamily("node_wide", "Température ☃.", labels=["mount"])
    gauge.add_metric(["/média/𝄞"], 1.0)
    gauge.add_metric(["/plain"], 2.0)
    families = [gauge, *tricky_families()]
    assert encode_text(families) == generate_latest(_Collectable(families))
    assert encode_openmetrics(families) == generate_openmetrics(_Collectable(families))
    # Stray bytes of a file name (lone surrogates) still take the valid-UTF-8 path.
    odd = GaugeMetricFamily("node_odd_bytes", "help", labels=["mount"])
    odd.add_metric(["/m\udcff"], 1.0)
    body, _ = encode([odd, gauge])
    assert "/m\ufffd".encode() in body and "/média/𝄞".encode() in body


def _gauge(name: str, value: float, documentation: str = "h") -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def test_merge_sorts_by_name_and_merges_same_named_families_in_the_order_given() -> None:
    first, second = _gauge("node_b", 1.0), _gauge("node_b", 2.0)
    merged, conflicts = merge([first, _gauge("node_c", 3.0), _gauge("node_a", 4.0), second])
    assert conflicts == 0
    assert [f.name for f in merged] == ["node_a", "node_b", "node_c"]
    assert [s.value for s in merged[1].samples] == [1.0, 2.0]
    # The collectors' own families are not changed: they may be served again.
    assert [s.value for s in first.samples] == [1.0] and [s.value for s in second.samples] == [2.0]


def test_merge_keeps_the_first_of_families_that_conflict_and_counts_the_conflict() -> None:
    counter = CounterMetricFamily("node_x", "h", value=9.0)
    merged, conflicts = merge([_gauge("node_x", 1.0), counter, _gauge("node_x", 2.0, "other help"),
                               _gauge("node_x", 3.0)])
    assert conflicts == 2
    assert len(merged) == 1 and merged[0].type == "gauge"
    assert [s.value for s in merged[0].samples] == [1.0, 3.0]


def test_a_series_is_served_once_first_sample_kept() -> None:
    """client_golang refuses a metric collected before with the same name and label values: a file
    that repeats an entry gives one series, the first."""
    def families() -> list[Metric]:
        gauge = GaugeMetricFamily("node_cgroups_enabled", "Enabled.", labels=["subsys_name"])
        for subsystem, value in (("cpuset", 1.0), ("cpu", 1.0), ("cpuset", 0.0), ("cpuset", 5.0)):
            gauge.add_metric([subsystem], value)
        counter = CounterMetricFamily("node_reqs", "Requests.")
        counter.add_metric([], 3.0)
        counter.add_metric([], 4.0)
        return [gauge, counter]

    expected = GaugeMetricFamily("node_cgroups_enabled", "Enabled.", labels=["subsys_name"])
    expected.add_metric(["cpuset"], 1.0)
    expected.add_metric(["cpu"], 1.0)
    expected_counter = CounterMetricFamily("node_reqs", "Requests.")
    expected_counter.add_metric([], 3.0)
    for accept, expected_body in (
        ("", generate_latest(_Collectable([expected, expected_counter]))),
        (PROMETHEUS_ACCEPT, generate_openmetrics(_Collectable([expected, expected_counter]))),
        ("text/plain;version=1.0.0", generate_latest(_Collectable([expected, expected_counter]))),
    ):
        duplicates: list[str] = []
        body, _ = encode(families(), accept, duplicates)
        assert body == expected_body, accept
        cpuset = 'node_cgroups_enabled{subsys_name="cpuset"}'
        assert duplicates == [cpuset, cpuset, "node_reqs_total"], accept


def test_label_order_does_not_make_another_series() -> None:
    family = GaugeMetricFamily("node_x", "X.")
    family.samples = [Sample("node_x", {"a": "1", "b": "2"}, 1.0), Sample("node_x", {"b": "2", "a": "1"}, 2.0)]
    duplicates: list[str] = []
    assert encode_text([family], duplicates).count(b"\nnode_x{") == 1
    assert duplicates == ['node_x{a="1",b="2"}']
