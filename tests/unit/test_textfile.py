"""The textfile collector's pure parts: converting parsed families as node_exporter's
convertMetricFamily does (collector/textfile.go), and formatting floats as Go does."""

import math
from pathlib import Path

import pytest

from pyexporter.collectors.textfile import (
    FileFamily,
    TextfileError,
    convert_family,
    expand_directories,
    format_go_float,
    parse_textfile,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [(100, "100"), (409600, "409600"), (1638400, "1.6384e+06"), (0.5, "0.5"), (1e-06, "1e-06"),
     (0.0001, "0.0001"), (math.inf, "+Inf"), (-math.inf, "-Inf"), (-1.5, "-1.5"), (0, "0"), (172.8, "172.8")],
)
def test_format_go_float(value: float, text: str) -> None:
    assert format_go_float(value) == text


def converted(text: str) -> list[FileFamily]:
    return [convert_family(family) for family in parse_textfile(text)]


def served(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample the families of TEXT serve, in order, as (name, labels, value)."""
    return [(s.name, s.labels, s.value) for family in converted(text) for s in family.samples]


def test_counters_keep_their_names() -> None:
    # prometheus-client's parser (used before) gave the family `c` and renamed `reqs` to `reqs_total`.
    families = converted('# HELP c_total Things.\n# TYPE c_total counter\nc_total{a="1"} 2\n'
                         "# TYPE reqs counter\nreqs 5\nu 3\n")
    assert [(f.name, f.type, f.help) for f in families] == [
        ("c_total", "counter", "Things."), ("reqs", "counter", None), ("u", "unknown", None)]
    assert [s.name for f in families for s in f.samples] == ["c_total", "reqs", "u"]


def test_empty_help_is_no_help() -> None:
    assert parse_textfile("# HELP x \nx 1\n")[0].help is None


def test_one_name_in_two_places_is_one_family() -> None:
    families = parse_textfile('a{x="1"} 1\nb 2\na{x="2"} 3\n')
    assert [f.name for f in families] == ["a", "b"]
    assert len(families[0].samples) == 2


def test_timestamp_flagged() -> None:
    assert parse_textfile("m 1 1441205977284\n")[0].has_timestamp


@pytest.mark.parametrize(
    "text",
    ["garbage line here\n", 'a{b="c" 1\n', "a 1\n# TYPE a gauge\na 2\n", "# HELP a x\n# HELP a y\na 1\n",
     "# TYPE a foo\na 1\n", '{"a.b"} 1\n', 'a{b="1",b="2"} 1\n', "a notanumber\n", "a 1", "a 1\r\n"],
)
def test_malformed(text: str) -> None:
    with pytest.raises(TextfileError, match="text format parsing error"):
        parse_textfile(text)


def test_empty_file_has_no_families() -> None:
    assert parse_textfile("") == []


def test_convert_fills_missing_labels() -> None:
    assert served('g{a="1"} 1\ng{b="2"} 2\n') == [("g", {"a": "1", "b": ""}, 1.0), ("g", {"a": "", "b": "2"}, 2.0)]
    [family] = converted('g{a="1"} 1\ng{b="2"} 2\n')
    assert family.label_names == ("a", "b") and family.series_sizes is None


def test_convert_keeps_label_sets_that_are_complete() -> None:
    assert served('g{b="1",a="2"} 1\ng{a="3",b="4"} 2\n') == [
        ("g", {"b": "1", "a": "2"}, 1.0), ("g", {"a": "3", "b": "4"}, 2.0)]


def test_convert_summary_groups_and_defaults() -> None:
    [family] = converted(
        '# TYPE s summary\ns{quantile="0.9",r="a"} 2\ns{quantile="0.5",r="a"} 1\ns_sum{r="a"} 5\n'
        's_count{r="a"} 3\ns{quantile="0.5",r="a",h="x"} 7\n'
    )
    assert [(s.name, s.labels, s.value) for s in family.samples] == [
        ("s", {"h": "", "r": "a", "quantile": "0.5"}, 1.0),
        ("s", {"h": "", "r": "a", "quantile": "0.9"}, 2.0),
        ("s_sum", {"h": "", "r": "a"}, 5.0),
        ("s_count", {"h": "", "r": "a"}, 3.0),
        ("s", {"h": "x", "r": "a", "quantile": "0.5"}, 7.0),
        ("s_sum", {"h": "x", "r": "a"}, 0.0),
        ("s_count", {"h": "x", "r": "a"}, 0.0),
    ]
    assert family.series_sizes == [4, 3]


def test_convert_histogram_adds_inf_bucket() -> None:
    assert served('# TYPE h histogram\nh_bucket{le="10"} 1\nh_bucket{le="1"} 0\nh_sum 4\nh_count 2\n') == [
        ("h_bucket", {"le": "1"}, 0.0),
        ("h_bucket", {"le": "10"}, 1.0),
        ("h_bucket", {"le": "+Inf"}, 2.0),
        ("h_sum", {}, 4.0),
        ("h_count", {}, 2.0),
    ]


def test_histogram_sample_of_the_family_name_is_a_bucket() -> None:
    # Go's readingValue records the le of any histogram sample that is not _sum or _count.
    assert served('# TYPE h histogram\nh{le="1"} 1\nh_count 3\n') == [
        ("h_bucket", {"le": "1"}, 1.0), ("h_bucket", {"le": "+Inf"}, 3.0), ("h_sum", {}, 0.0), ("h_count", {}, 3.0)]


def test_series_without_points_still_serve_sum_and_count() -> None:
    # A sample with no bound, or a NaN one, makes its series but adds no point (as node_exporter).
    assert served('# TYPE s summary\ns{quantile="NaN"} 1\ns_count 2\ns{x="y"} 5\n') == [
        ("s_sum", {"x": ""}, 0.0), ("s_count", {"x": ""}, 2.0),
        ("s_sum", {"x": "y"}, 0.0), ("s_count", {"x": "y"}, 0.0)]
    assert served('# TYPE h histogram\nh_bucket{le="NaN"} 1\nh_count 2\n') == [
        ("h_bucket", {"le": "+Inf"}, 2.0), ("h_sum", {}, 0.0), ("h_count", {}, 2.0)]


def test_series_are_grouped_by_the_labels_written() -> None:
    # {y=""} and {} are two series in Go's parser; once filled they are alike, and the collector
    # drops the later one as collected twice (tests/collectors/test_textfile.py).
    [family] = converted('# TYPE h histogram\nh_bucket{y="",le="1"} 1\nh_sum 300\n')
    assert family.series_sizes == [4, 3]
    assert [(s.name, s.labels, s.value) for s in family.samples][4:] == [
        ("h_bucket", {"y": "", "le": "+Inf"}, 0.0), ("h_sum", {"y": ""}, 300.0), ("h_count", {"y": ""}, 0.0)]


def test_bounds_are_written_as_go_floats_and_sorted() -> None:
    assert [s.labels["le"] for s in converted(
        '# TYPE h histogram\nh_bucket{le="1e6"} 2\nh_bucket{le="0.50"} 1\nh_bucket{le="-Inf"} 0\n')[0].samples
        if "le" in s.labels] == ["-Inf", "0.5", "1e+06", "+Inf"]


def test_le_is_a_plain_label_of_a_summary() -> None:
    assert served('# TYPE s summary\ns{le="1"} 1\n') == [("s_sum", {"le": "1"}, 0.0), ("s_count", {"le": "1"}, 0.0)]


def test_reserved_label_names_refuse_the_file() -> None:
    # client_golang refuses label names starting with __ (node_exporter 1.5 panics on them).
    with pytest.raises(TextfileError, match=r"__foo.*reserved"):
        converted('a{__foo="x"} 1\n')


def test_gauge_histogram_refuses_the_file() -> None:
    with pytest.raises(TextfileError, match="unexpected type"):
        parse_textfile("# TYPE a gauge_histogram\na 1\n")


def test_expand_directories(tmp_path: Path) -> None:
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    missing = str(tmp_path / "none*")
    assert expand_directories([str(tmp_path / "d*"), missing, ""]) == [
        str(tmp_path / "d1"), str(tmp_path / "d2"), missing, ""
    ]
