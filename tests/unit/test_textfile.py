import math

import pytest

from pyexporter.collectors.textfile import (
    TextfileError,
    convert_family,
    expand_directories,
    format_go_float,
    parse_textfile,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [(100, "100"), (409600, "409600"), (1638400, "1.6384e+06"), (0.5, "0.5"), (1e-06, "1e-06"),
     (0.0001, "0.0001"), (math.inf, "+Inf"), (-1.5, "-1.5"), (0, "0")],
)
def test_format_go_float(value: float, text: str) -> None:
    assert format_go_float(value) == text


def test_parse_untyped_and_counter() -> None:
    fams = parse_textfile('# HELP c_total Things.\n# TYPE c_total counter\nc_total{a="1"} 2\nu 3\n')
    by = {f.name: f for f in fams}
    assert by["c"].type == "counter" and by["c"].help == "Things."
    assert by["c"].samples == [("c_total", {"a": "1"}, 2.0)]
    assert by["u"].type == "unknown" and by["u"].help is None


def test_empty_help_is_no_help() -> None:
    assert parse_textfile("# HELP x \nx 1\n")[0].help is None


def test_split_chunks_merge() -> None:
    fams = parse_textfile('a{x="1"} 1\nb 2\na{x="2"} 3\n')
    assert [f.name for f in fams] == ["a", "b"]
    assert len(fams[0].samples) == 2


def test_timestamp_flagged() -> None:
    assert parse_textfile("m 1 1441205977284\n")[0].has_timestamp


@pytest.mark.parametrize(
    "text",
    ["garbage line here\n", 'a{b="c" 1\n', "a 1\n# TYPE a gauge\na 2\n", "# HELP a x\n# HELP a y\na 1\n",
     "# TYPE a foo\na 1\n", '{"a.b"} 1\n', 'a{b="1",b="2"} 1\n', "a notanumber\n"],
)
def test_malformed(text: str) -> None:
    with pytest.raises(TextfileError):
        parse_textfile(text)


def test_empty_file_has_no_families() -> None:
    assert parse_textfile("") == []


def test_convert_fills_missing_labels() -> None:
    fam = parse_textfile('g{a="1"} 1\ng{b="2"} 2\n')[0]
    assert convert_family(fam) == [("g", {"a": "1", "b": ""}, 1.0), ("g", {"a": "", "b": "2"}, 2.0)]


def test_convert_summary_groups_and_defaults() -> None:
    fam = parse_textfile(
        '# TYPE s summary\ns{quantile="0.9",r="a"} 2\ns{quantile="0.5",r="a"} 1\ns_sum{r="a"} 5\n'
        's_count{r="a"} 3\ns{quantile="0.5",r="a",h="x"} 7\n'
    )[0]
    assert convert_family(fam) == [
        ("s", {"h": "", "r": "a", "quantile": "0.5"}, 1.0),
        ("s", {"h": "", "r": "a", "quantile": "0.9"}, 2.0),
        ("s_sum", {"h": "", "r": "a"}, 5.0),
        ("s_count", {"h": "", "r": "a"}, 3.0),
        ("s", {"h": "x", "r": "a", "quantile": "0.5"}, 7.0),
        ("s_sum", {"h": "x", "r": "a"}, 0.0),
        ("s_count", {"h": "x", "r": "a"}, 0.0),
    ]


def test_convert_histogram_adds_inf_bucket() -> None:
    fam = parse_textfile('# TYPE h histogram\nh_bucket{le="10"} 1\nh_bucket{le="1"} 0\nh_sum 4\nh_count 2\n')[0]
    assert convert_family(fam) == [
        ("h_bucket", {"le": "1"}, 0.0),
        ("h_bucket", {"le": "10"}, 1.0),
        ("h_bucket", {"le": "+Inf"}, 2.0),
        ("h_sum", {}, 4.0),
        ("h_count", {}, 2.0),
    ]


def test_expand_directories(tmp_path) -> None:
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    missing = str(tmp_path / "none*")
    assert expand_directories([str(tmp_path / "d*"), missing, ""]) == [
        str(tmp_path / "d1"), str(tmp_path / "d2"), missing, ""
    ]
