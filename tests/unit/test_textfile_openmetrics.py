"""The textfile collector's OpenMetrics input: telling the formats apart, reading a file with
prometheus-client's parser (prometheus_client.openmetrics.parser.text_fd_to_metric_families), what
the collector refuses beyond it, and how each type is served in each format.

node_exporter's collector/textfile.go reads only the classic format (its issue #1988); the refusal of
timestamps follows its refusal of them in classic files (#769). The served texts were checked against
what Prometheus 2.42 stores for each (tests/e2e/test_textfile_openmetrics.py)."""

from __future__ import annotations

import pytest

from pyexporter.collectors.textfile import (
    FileFamily,
    OpenMetricsFileFamily,
    TextfileError,
    convert_openmetrics_family,
    is_openmetrics,
    parse_openmetrics,
)
from pyexporter.exposition import encode_openmetrics, encode_text


def converted(text: str) -> list[FileFamily]:
    return [convert_openmetrics_family(family) for family in parse_openmetrics(text)]


def one(text: str) -> FileFamily:
    [family] = converted(text)
    return family


def served(family: FileFamily) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value) for s in family.samples]


def as_metric(family: FileFamily) -> OpenMetricsFileFamily:
    """The family as the collector serves it (TextfileCollector._families)."""
    metric = OpenMetricsFileFamily(family.name, family.help or "Metric read from f.prom", family.type, family.unit)
    metric.samples = family.samples
    return metric


def both(text: str) -> tuple[str, str]:
    """TEXT's families in text format 0.0.4 and in OpenMetrics, as pyexporter's encoders write them."""
    metrics = [as_metric(family) for family in converted(text)]
    return encode_text(metrics).decode(), encode_openmetrics(metrics).decode()


# --- telling the formats apart -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# EOF\n", True),
        ("# EOF", True),
        ("a 1\n# EOF\n", True),
        ("a 1\n# EOF", True),
        ("a 1\n", False),
        ("", False),
        # A blank line after it: the last line is not `# EOF`.
        ("a 1\n# EOF\n\n", False),
        ("a 1\n#  EOF\n", False),
        ("a 1\n## EOF\n", False),
        ("a 1\nx# EOF\n", False),
        ("# EOF\na 1\n", False),
    ],
)
def test_a_file_is_openmetrics_when_its_last_line_is_eof(text: str, expected: bool) -> None:
    assert is_openmetrics(text) is expected


# --- every type ----------------------------------------------------------------------------------


def test_counter_with_total_and_created() -> None:
    family = one('# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total{q="a"} 5\njobs_created{q="a"} 1700000000.5\n'
                 'jobs_total{q="b"} 7\n# EOF\n')
    assert (family.name, family.type, family.help, family.openmetrics) == ("jobs", "counter", "Jobs.", True)
    assert served(family) == [("jobs_total", {"q": "a"}, 5.0), ("jobs_created", {"q": "a"}, 1700000000.5),
                              ("jobs_total", {"q": "b"}, 7.0)]
    # Values are floats, whatever the parser gave.
    assert all(type(s.value) is float for s in family.samples)
    # One series per label set, its _created with it.
    assert family.series_keys == [(("q", "a"),), (("q", "b"),)]
    assert family.series_sizes == [2, 1]
    text, om = both('# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total{q="a"} 5\njobs_created{q="a"} 1.7e9\n# EOF\n')
    # Text: the counter under its sample name, _created moved into a gauge of its own.
    assert text == ('# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total{q="a"} 5.0\n'
                    '# HELP jobs_created Jobs.\n# TYPE jobs_created gauge\njobs_created{q="a"} 1.7e+09\n')
    assert om == ('# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total{q="a"} 5.0\njobs_created{q="a"} 1.7e+09\n'
                  "# EOF\n")


def test_gauge_with_unit() -> None:
    family = one("# TYPE room_celsius gauge\n# UNIT room_celsius celsius\nroom_celsius 21.5\n# EOF\n")
    assert (family.type, family.unit, family.help) == ("gauge", "celsius", None)
    text, om = both("# TYPE room_celsius gauge\n# UNIT room_celsius celsius\n# HELP room_celsius Room.\n"
                    "room_celsius 21.5\n# EOF\n")
    # The text format has no unit.
    assert text == "# HELP room_celsius Room.\n# TYPE room_celsius gauge\nroom_celsius 21.5\n"
    assert om == ("# HELP room_celsius Room.\n# TYPE room_celsius gauge\n# UNIT room_celsius celsius\n"
                  "room_celsius 21.5\n# EOF\n")


def test_info_is_a_gauge_named_name_info_in_text() -> None:
    source = '# TYPE build info\n# HELP build Build.\nbuild_info{version="1.2",revision="abc"} 1\n# EOF\n'
    family = one(source)
    assert served(family) == [("build_info", {"version": "1.2", "revision": "abc"}, 1.0)]
    text, om = both(source)
    assert text == '# HELP build_info Build.\n# TYPE build_info gauge\nbuild_info{revision="abc",version="1.2"} 1.0\n'
    assert om == '# HELP build Build.\n# TYPE build info\nbuild_info{revision="abc",version="1.2"} 1.0\n# EOF\n'


def test_info_samples_are_series_each() -> None:
    family = one('# TYPE b info\nb_info{v="1"} 1\nb_info{v="2"} 1\n# EOF\n')
    assert family.series_keys == [(("v", "1"),), (("v", "2"),)]
    assert family.series_sizes == [1, 1]


def test_stateset_is_a_gauge_per_state_in_text() -> None:
    source = ('# TYPE backup stateset\n# HELP backup State.\nbackup{host="h",backup="running"} 0\n'
              'backup{host="h",backup="done"} 1\n# EOF\n')
    family = one(source)
    # One series: the states of one label set.
    assert family.series_keys == [(("host", "h"),)]
    assert family.series_sizes == [2]
    text, om = both(source)
    assert text == ('# HELP backup State.\n# TYPE backup gauge\nbackup{backup="running",host="h"} 0.0\n'
                    'backup{backup="done",host="h"} 1.0\n')
    assert om.startswith("# HELP backup State.\n# TYPE backup stateset\n")


def test_histogram_with_created_and_unit() -> None:
    source = ("# TYPE req_seconds histogram\n# UNIT req_seconds seconds\n# HELP req_seconds Durations.\n"
              'req_seconds_bucket{le="0.1"} 2\nreq_seconds_bucket{le="+Inf"} 4\nreq_seconds_count 4\n'
              "req_seconds_sum 5.5\nreq_seconds_created 1700000000\n# EOF\n")
    family = one(source)
    assert family.series_sizes == [5]
    text, om = both(source)
    assert text == ('# HELP req_seconds Durations.\n# TYPE req_seconds histogram\n'
                    'req_seconds_bucket{le="0.1"} 2.0\nreq_seconds_bucket{le="+Inf"} 4.0\n'
                    "req_seconds_count 4.0\nreq_seconds_sum 5.5\n"
                    "# HELP req_seconds_created Durations.\n# TYPE req_seconds_created gauge\n"
                    "req_seconds_created 1.7e+09\n")
    assert "# TYPE req_seconds histogram\n# UNIT req_seconds seconds\n" in om
    assert "req_seconds_created 1.7e+09\n# EOF\n" in om


def test_a_histograms_gsum_is_a_family_of_its_own() -> None:
    # prometheus-client's parser allows a histogram _count/_sum/_bucket/_created only: `_gsum`
    # starts an unknown family, served under its name either way.
    families = converted('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_gsum 2\n# EOF\n')
    assert [(f.name, f.type) for f in families] == [("h", "histogram"), ("h_gsum", "unknown")]


def test_gaugehistogram_is_a_histogram_and_two_gauges_in_text() -> None:
    source = ('# TYPE q gaugehistogram\n# HELP q Sizes.\nq_bucket{le="10.0"} 3\nq_bucket{le="+Inf"} 5\n'
              "q_gcount 5\nq_gsum 27\n# EOF\n")
    text, om = both(source)
    assert text == ('# HELP q Sizes.\n# TYPE q histogram\nq_bucket{le="10.0"} 3.0\nq_bucket{le="+Inf"} 5.0\n'
                    "# HELP q_gcount Sizes.\n# TYPE q_gcount gauge\nq_gcount 5.0\n"
                    "# HELP q_gsum Sizes.\n# TYPE q_gsum gauge\nq_gsum 27.0\n")
    assert om == ('# HELP q Sizes.\n# TYPE q gaugehistogram\nq_bucket{le="10.0"} 3.0\nq_bucket{le="+Inf"} 5.0\n'
                  "q_gcount 5.0\nq_gsum 27.0\n# EOF\n")


def test_summary_with_created() -> None:
    source = ('# TYPE rpc summary\nrpc{quantile="0.5",m="a"} 0.2\nrpc_sum{m="a"} 12\nrpc_count{m="a"} 30\n'
              'rpc_created{m="a"} 1700000001\nrpc{quantile="0.5",m="b"} 1\n# EOF\n')
    family = one(source)
    assert family.series_keys == [(("m", "a"),), (("m", "b"),)]
    assert family.series_sizes == [4, 1]
    text, _ = both(source)
    assert '# TYPE rpc summary\nrpc{m="a",quantile="0.5"} 0.2\n' in text
    assert '# TYPE rpc_created gauge\nrpc_created{m="a"} 1.700000001e+09\n' in text


def test_unknown_is_untyped_in_text() -> None:
    text, om = both("# TYPE m unknown\nm 42\nn 1\n# EOF\n")
    assert text == ("# HELP m Metric read from f.prom\n# TYPE m untyped\nm 42.0\n"
                    "# HELP n Metric read from f.prom\n# TYPE n untyped\nn 1.0\n")
    assert "# TYPE m unknown\nm 42.0\n" in om


def test_empty_file_and_empty_help() -> None:
    assert converted("# EOF\n") == []
    assert one("# HELP g \n# TYPE g gauge\ng 1\n# EOF\n").help is None


def test_empty_label_values_are_no_labels_in_series_identity() -> None:
    family = one('# TYPE g gauge\ng{a=""} 1\n# EOF\n')
    assert family.series_keys == [()]
    assert served(family) == [("g", {"a": ""}, 1.0)]


# --- refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # A duplicate family in one file (two TYPE blocks of one name).
        ("# TYPE d gauge\nd 1\n# TYPE e gauge\ne 2\n# TYPE d gauge\nd{x=\"2\"} 3\n# EOF\n",
         # A check of a whole family fails at the line after it (here: `# EOF`).
         "at line 7: Clashing name: d"),
        # ... or a family whose names another one's type takes.
        ("# TYPE c counter\nc_total 1\n# TYPE c_created gauge\nc_created 2\n# EOF\n", "Clashing name: c_created"),
        # Bad _created: not a time, negative, or of no series.
        ("# TYPE a counter\na_total 1\na_created NaN\n# EOF\n", '"a_created" is nan: a _created sample must be'),
        ("# TYPE a counter\na_total 1\na_created -1\n# EOF\n", '"a_created" is -1: a _created sample'),
        ("# TYPE a counter\na_total 1\na_created +Inf\n# EOF\n", "a _created sample must be a time"),
        ('# TYPE a counter\na_total{x="1"} 1\na_created{x="2"} 5\n# EOF\n',
         "\"a_created\" with labels {'x': '2'} belongs to no series of metric \"a\""),
        ('# TYPE s summary\ns_sum 1\ns_count 1\ns_created{x="1"} 5\n# EOF\n', "belongs to no series"),
        ("# TYPE a counter\na_created 5\n# EOF\n", "belongs to no series"),
        # Timestamps and exemplars.
        ("# TYPE g gauge\ng 1 1700000000\n# EOF\n", '"g" has a timestamp'),
        ('# TYPE c counter\nc_total 1 # {trace_id="x"} 1\n# EOF\n', '"c_total" has an exemplar'),
        # A sample written twice, which prometheus-client's parser would drop silently.
        ("# TYPE g gauge\ng 1\ng 2\n# EOF\n", "a sample is written twice"),
        ('# TYPE i info\ni_info{a="1"} 1\ni_info{a="2"} 1\ni_info{a="1"} 1\n# EOF\n', "written twice"),
        # What the parser refuses, with the line it was at.
        ("g 1\n\n# EOF\n", "at line 2: Received blank line"),
        ("# EOF\ng 1\n# EOF\n", "at line 2: Received line after # EOF: g 1"),
        ("# TYPE s stateset\ns{s=\"a\"} 2\n# EOF\n", "Stateset samples can only have values zero and one"),
        ("# TYPE i info\ni_info 2\n# EOF\n", "Info samples can only have value one"),
        ('# TYPE h histogram\nh_bucket{le="1.0"} 1\n# EOF\n', "+Inf bucket missing: h"),
        ("# TYPE g_bytes gauge\n# UNIT g_bytes seconds\ng_bytes 1\n# EOF\n", "Unit does not match metric name"),
        ("# TYPE g gauge\ng{x=\"1\"} 1\ng{x=\"2\"} 1\ng{x=\"1\"} 1\n# EOF\n", "Invalid metric grouping"),
        ("# TYPE g untyped\ng 1\n# EOF\n", "Invalid TYPE for metric"),
        ("g x\n# EOF\n", "at line 1: "),
        ('{"a.b"} 1\n# EOF\n', "at line 1: invalid line"),
        # Names: only classic ones, none reserved.
        ('# TYPE "a.b" gauge\n{"a.b"} 1\n# EOF\n', 'metric name "a.b" is not a classic metric name'),
        ('g{"a.b"="1"} 1\n# EOF\n', 'label name "a.b" of metric "g" is not a classic label name'),
        # (prometheus-client refuses reserved label names itself.)
        ('g{__x="1"} 1\n# EOF\n', 'Invalid labels: __x="1"'),
        # prometheus-client's native histograms are no OpenMetrics 1.0.
        ("# TYPE nh histogram\nnh {count:1,sum:1,schema:0,zero_threshold:0,zero_count:0}\n# EOF\n",
         "native histogram"),
    ],
)
def test_refused(text: str, reason: str) -> None:
    with pytest.raises(TextfileError) as caught:
        converted(text)
    assert reason in str(caught.value)


def test_a_value_beyond_float64_is_refused() -> None:
    with pytest.raises(TextfileError, match='value of "g" is not a float64'):
        converted("g " + "9" * 400 + "\n# EOF\n")


def test_without_eof_a_file_is_not_openmetrics() -> None:
    # Read as classic text it fails or not as classic text does (pyexporter.toolkit.textformat).
    assert not is_openmetrics("# TYPE b info\nb_info 1\n")
