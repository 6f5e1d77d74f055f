"""pyexporter.toolkit.textformat against Go's TextParser (prometheus/common expfmt/text_parse.go).

Each test names the Go function whose behaviour it pins; cases marked "text_parse_test.go N" are
our own strings in the spirit of that scenario of TestTextParse or TestTextParseError. Where Go's
own behaviour was in doubt, it was checked against node_exporter 1.5.0's binary.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyexporter.toolkit.textformat import (
    Family,
    TextFormatError,
    _parse,
    _slow_fields,
    parse,
    parse_go_float,
)


def flat(text: str) -> list[tuple[str, str | None, str | None, list[tuple[str, dict[str, str], float, int | None]]]]:
    return [(f.name, f.type, f.help, [tuple(s) for s in f.samples]) for f in parse(text)]  # type: ignore[misc]


def by_name(text: str) -> dict[str, Family]:
    return {f.name: f for f in parse(text)}


def error(text: str) -> TextFormatError:
    with pytest.raises(TextFormatError) as caught:
        parse(text)
    return caught.value


# --- TestTextParse: valid input ------------------------------------------------------------------


def test_empty_and_blank_lines_give_no_families() -> None:
    """TestTextParse 0; TextToMetricFamilies."""
    assert parse("") == []
    assert parse("\n\n") == []
    assert parse("  \t \n\t\n") == []


def test_minimal_untyped_samples_timestamp_and_empty_braces() -> None:
    """TestTextParse 1: readingMetricName, readingValue, startTimestamp; a HELP line for a metric
    without samples leaves no family (TextToMetricFamilies drops empty families)."""
    text = (
        "\nmet_one 1.5\nmet_two -2e3 998877\n# a comment:\nno_labels{} 4\n"
        "# HELP nothing_here Help of a metric that has no samples.\n"
    )
    assert flat(text) == [
        ("met_one", "untyped", None, [("met_one", {}, 1.5, None)]),
        ("met_two", "untyped", None, [("met_two", {}, -2000.0, 998877)]),
        ("no_labels", "untyped", None, [("no_labels", {}, 4.0, None)]),
    ]
    assert by_name(text)["met_two"].has_timestamp
    assert not by_name(text)["met_one"].has_timestamp


def test_counter_gauge_help_whitespace_and_escapes() -> None:
    """TestTextParse 2: startComment with odd spacing, readingHelp's escapes, label value escapes,
    NaN and ±Inf values, blanks around `=`, `,` and braces, a trailing comma."""
    text = (
        "\n# An ordinary comment.\n#\n# TYPE reqs counter\n"
        'reqs{path="/a",code="200"} NaN\n'
        'reqs {path="/b",code="quo\\"te\\\\back\\nline"} 0.25 1700000000\n'
        "# HELP reqs two\\nlines and a back\\\\slash\n\n"
        ' # HELP  temp  \tdegrees "C"\n'
        "  #    TYPE    temp gauge\n"
        'temp{room="x"\t,floor   =   "2"\t\t} +Inf 1234\n'
        'temp{ room = "y" , }-Inf\n'
    )
    families = by_name(text)
    reqs = families["reqs"]
    assert (reqs.type, reqs.help) == ("counter", "two\nlines and a back\\slash")
    assert [s.labels for s in reqs.samples] == [
        {"path": "/a", "code": "200"}, {"path": "/b", "code": 'quo"te\\back\nline'},
    ]
    assert math.isnan(reqs.samples[0].value)
    assert reqs.samples[1].value == 0.25 and reqs.samples[1].timestamp == 1700000000
    temp = families["temp"]
    assert (temp.type, temp.help) == ("gauge", 'degrees "C"')
    assert [(s.labels, s.value, s.timestamp) for s in temp.samples] == [
        ({"room": "x", "floor": "2"}, math.inf, 1234), ({"room": "y"}, -math.inf, None),
    ]


def test_the_evil_summary() -> None:
    """TestTextParse 3: setOrCreateCurrentMF routes NAME_sum/NAME_count to a summary NAME, other
    names (a `decoy`, `fake_sum`) start families of their own, a second summary joins by name
    across the text, and a quantile label is parsed as a float ("-12.34", ".3")."""
    text = (
        "# TYPE lat summary\n"
        'lat{job="a",quantile="0.5"} 11\n'
        "decoy -1 -2\n"
        'lat{job="a",quantile="0.9"} 14\n'
        'lat_count{job="a"} 42\n'
        'lat_sum{job="a"} 4711\n'
        'fake_sum{job="a"} 2001\n'
        "# TYPE other summary\n"
        'other_count{b="2",job="a"} 20\n'
        'lat_count{b="2",job="a"} 5\n'
        'other{job="a",b="2",quantile=".3"} -1.2\n'
        'lat_sum{job="b"} 08\n'
        'lat{job="c", quantile="0.2"} 4711\n'
        '  lat{job="a",b="2",quantile="-12.34",} NaN\n'
        "# some\n# funny comments\n# HELP\n# HELP\n# HELP lat\n# HELP lat\n"
    )
    families = by_name(text)
    assert list(families) == ["lat", "decoy", "fake_sum", "other"]
    assert [(s.name, s.labels, s.value) for s in families["lat"].samples][:5] == [
        ("lat", {"job": "a", "quantile": "0.5"}, 11.0),
        ("lat", {"job": "a", "quantile": "0.9"}, 14.0),
        ("lat_count", {"job": "a"}, 42.0),
        ("lat_sum", {"job": "a"}, 4711.0),
        ("lat_count", {"b": "2", "job": "a"}, 5.0),
    ]
    assert families["lat"].samples[5] == ("lat_sum", {"job": "b"}, 8.0, None)
    assert families["fake_sum"].type == "untyped"
    assert families["decoy"].samples == [("decoy", {}, -1.0, -2)]
    assert [s.name for s in families["other"].samples] == ["other_count", "other"]


def test_histogram() -> None:
    """TestTextParse 4: NAME_bucket, NAME_sum and NAME_count join the histogram NAME."""
    text = (
        "# HELP latency_us The response latency.\n# TYPE latency_us histogram\n"
        'latency_us_bucket{le="100"} 123\nlatency_us_bucket{le="172.8"} 1524\n'
        'latency_us_bucket{le="+Inf"} 2693\nlatency_us_sum 1.7560473e+06\nlatency_us_count 2693\n'
    )
    [family] = parse(text)
    assert (family.name, family.type, family.help) == ("latency_us", "histogram", "The response latency.")
    assert [(s.name, s.labels, s.value) for s in family.samples] == [
        ("latency_us_bucket", {"le": "100"}, 123.0),
        ("latency_us_bucket", {"le": "172.8"}, 1524.0),
        ("latency_us_bucket", {"le": "+Inf"}, 2693.0),
        ("latency_us_sum", {}, 1756047.3),
        ("latency_us_count", {}, 2693.0),
    ]


@pytest.mark.parametrize(
    "text",
    [
        '# HELP "my.metric" help text\n# TYPE "my.metric" counter\n{"my.metric",label="v"} 1\n',  # 5, 6
        '{"name.with.dots"} 42.0\n',  # 7, 11
        'metric{"label.name"="value"} 1\n',  # 8
        '{labelname="value", "my.metric"} 1\n',  # 10
        '{"metric.name".label="bla"} 3.14\n',  # TestTextParseError 37
        '\n# TYPE "metric.name\\t" counter\n',  # TestTextParseError 38
    ],
)
def test_quoted_utf8_names_are_not_legacy_names(text: str) -> None:
    """TestTextParse 5-11 and TestTextParseError 35-42 are UTF-8 names, which node_exporter 1.5's
    parser (legacy names only) refuses."""
    assert error(text).message in ("invalid metric name", "invalid metric name in comment",
                                   'invalid label name for metric "metric"')


def test_float_histogram_counts_and_negative_counts_are_kept() -> None:
    """TestTextParse 12-14 and TestTextParseError 43-46 are newer parsers' (float histograms,
    negative counts refused); node_exporter 1.5's parser reads every count as it is written."""
    [family] = parse('# TYPE h histogram\nh_bucket{le="1"} 1.5\nh_bucket{le="2"} -4\nh_count -2693.5\n')
    assert [s.value for s in family.samples] == [1.5, -4.0, -2693.5]


# --- how samples are attached to families (setOrCreateCurrentMF) ----------------------------------


def test_counter_samples_keep_their_names_and_split_like_go() -> None:
    """setOrCreateCurrentMF: a counter `x` takes only samples named `x`; `x_total` is a family of
    its own (prometheus-client's parser would rename and merge them)."""
    assert flat("# TYPE reqs counter\nreqs 5\n") == [("reqs", "counter", None, [("reqs", {}, 5.0, None)])]
    assert flat("# TYPE x counter\nx_total 3\nx 4\n") == [
        ("x", "counter", None, [("x", {}, 4.0, None)]),
        ("x_total", "untyped", None, [("x_total", {}, 3.0, None)]),
    ]


def test_a_name_seen_again_later_joins_its_family() -> None:
    """setOrCreateCurrentMF looks families up by name across the whole text."""
    assert flat('a 1\nb 2\na{x="1"} 3\n') == [
        ("a", "untyped", None, [("a", {}, 1.0, None), ("a", {"x": "1"}, 3.0, None)]),
        ("b", "untyped", None, [("b", {}, 2.0, None)]),
    ]


def test_summary_takes_sum_and_count_but_not_bucket() -> None:
    """setOrCreateCurrentMF: summaryMetricName strips _sum/_count only."""
    families = by_name('# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 2\ns_count 3\ns_bucket 4\n')
    assert [s.name for s in families["s"].samples] == ["s", "s_sum", "s_count"]
    assert families["s_bucket"].type == "untyped"


def test_histogram_takes_a_sample_of_its_own_name() -> None:
    """setOrCreateCurrentMF finds `h` itself; readingValue records its le as a bucket."""
    [family] = parse('# TYPE h histogram\nh{le="1"} 1\nh_bucket{le="2"} 2\nh_count 3\nh_sum 4\n')
    assert [s.name for s in family.samples] == ["h", "h_bucket", "h_count", "h_sum"]


def test_suffix_names_route_only_to_a_summary_or_histogram() -> None:
    """setOrCreateCurrentMF: `g_sum` does not join a gauge `g`."""
    families = by_name("# TYPE g gauge\ng 1\ng_sum 2\n")
    assert families["g_sum"].type == "untyped"


def test_a_name_that_is_only_a_suffix_is_its_own_family() -> None:
    """isCount/isSum/isBucket need a name longer than the suffix."""
    assert [f.name for f in parse("# TYPE _ summary\n_count 1\n_sum 2\n")] == ["_count", "_sum"]


def test_help_with_trailing_blank_creates_the_family_before_its_type() -> None:
    """startComment calls setOrCreateCurrentMF once a blank follows the name: `# HELP s_sum ` makes
    `s_sum` a family, so a later summary `s` does not get s_sum samples."""
    families = by_name('# HELP s_sum  \n# TYPE s summary\ns_sum 3\ns{quantile="0.5"} 1\n')
    assert families["s_sum"].type == "untyped"
    assert [x.name for x in families["s"].samples] == ["s"]
    # Without the blank, startComment returns before naming any family.
    assert [x.name for x in by_name('# HELP s_sum\n# TYPE s summary\ns_sum 3\n')["s"].samples] == ["s_sum"]


def test_help_of_a_suffix_name_sets_the_summary_help() -> None:
    """startComment resolves `s_sum` to the summary `s` before readingHelp."""
    assert by_name("# TYPE s summary\n# HELP s_sum text\ns 1\n")["s"].help == "text"
    assert "second HELP line" in str(error("# TYPE s summary\n# HELP s_sum text\n# HELP s other\ns 1\n"))


def test_families_without_samples_are_dropped() -> None:
    """TextToMetricFamilies deletes families with no metrics."""
    assert parse("# TYPE a counter\n# HELP a x\nb 1\n")[0].name == "b"
    assert parse("# TYPE a counter\n# HELP a x\n") == []


# --- comments, HELP and TYPE (startComment, readingHelp, readingType) -----------------------------


@pytest.mark.parametrize("line", ["#", "#  ", "# plain comment", "#x y", "# HELP", "# TYPE", "# HELP  ", "#\tTYPE"])
def test_comments_that_are_not_help_or_type(line: str) -> None:
    """startComment: anything but a keyword followed by a blank and a name is a plain comment."""
    assert flat(f"{line}\na 1\n") == [("a", "untyped", None, [("a", {}, 1.0, None)])]


def test_help_keyword_needs_no_blank_after_the_hash() -> None:
    """startComment: `#HELP` is a HELP line (the keyword is the first token after '#')."""
    assert by_name("#HELP a help here\na 1\n")["a"].help == "help here"


def test_help_text_is_the_rest_of_the_line_as_written() -> None:
    """readingHelp: leading blanks skipped, trailing ones kept."""
    assert by_name("# HELP a  lead and trail  \na 1\n")["a"].help == "lead and trail  "


def test_help_without_text_sets_nothing() -> None:
    """startComment returns at the line's end before readingHelp: no HELP yet, a later one is the first."""
    assert by_name("# HELP a \n# HELP a x\na 1\n")["a"].help == "x"
    assert by_name("# HELP a\na 1\n")["a"].help is None


@pytest.mark.parametrize(("escaped", "bad"), [('x\\"y', '"'), ("x\\ty", "t"), ("x\\", "\n")])
def test_help_escapes_other_than_backslash_and_newline_are_errors(escaped: str, bad: str) -> None:
    """readTokenUntilNewline(true) in node_exporter 1.5's vendored version: only \\\\ and \\n."""
    err = error(f"# HELP a {escaped}\na 1\n")
    assert err.line == 1
    assert err.message == f"invalid escape sequence '\\{bad}'"


def test_type_is_matched_without_case_and_without_backslashes() -> None:
    """readingType upper-cases the type; readTokenUntilNewline(false) drops every backslash."""
    assert by_name("# TYPE a Gauge\na 1\n")["a"].type == "gauge"
    assert by_name("# TYPE a gau\\ge\na 1\n")["a"].type == "gauge"
    assert by_name("# TYPE a UNTYPED\na 1\n")["a"].type == "untyped"


@pytest.mark.parametrize("kind", ["gauge ", "bla", "info", "gaugehistogram", "hiﬆogram", "\\"])
def test_unknown_types(kind: str) -> None:
    """TestTextParseError 15; readingType. Trailing blanks belong to the type; a lone backslash
    leaves an empty one."""
    err = error(f"# TYPE a {kind}\na 1\n")
    assert err.message == f'unknown metric type "{kind.replace(chr(92), "")}"'


def test_type_line_without_a_type_sets_nothing() -> None:
    """startComment returns at the line's end before readingType."""
    assert by_name("# TYPE a \n# TYPE a gauge\na 1\n")["a"].type == "gauge"


def test_gauge_histogram_fails_at_its_first_sample() -> None:
    """readingValue's default case: an unexpected type for the family (node_exporter 1.5 loses the
    error and crashes on the sample). Without samples the family is simply dropped."""
    assert error("# TYPE a gauge_histogram\na 1\n").message == 'unexpected type for metric name "a"'
    assert parse("# TYPE a gauge_histogram\n") == []


def test_second_help_and_type_lines() -> None:
    """TestTextParseError 12, 13, 14: readingHelp, readingType."""
    assert error("\n# HELP m one\n# HELP m two\n").message == 'second HELP line for metric name "m"'
    err = error("\n# TYPE m counter\n# TYPE m untyped\n")
    assert (err.line, err.message) == (3, 'second TYPE line for metric name "m", or TYPE reported after samples')
    assert error("\nm 4.12\n# TYPE m counter\n").line == 3


def test_invalid_metric_name_in_comment() -> None:
    """TestTextParseError 16; startComment."""
    assert error("\n# TYPE met-ric\n").message == "invalid metric name in comment"
    assert error("# HELP 1a x\na 1\n").message == "invalid metric name in comment"


# --- sample lines (readingMetricName .. startTimestamp) -------------------------------------------


def test_no_newline_at_the_end() -> None:
    """TestTextParseError 0: the last line must end in a newline (blanks alone may follow)."""
    err = error("\nbla 3.14\nblubber 42")
    assert (err.line, err.message) == (3, "unexpected end of input stream")
    assert error("a 1\n# comment").message == "unexpected end of input stream"
    assert flat("a 1\n   ") == [("a", "untyped", None, [("a", {}, 1.0, None)])]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('metric{label="\\t"} 3.14\n', "invalid escape sequence '\\t'"),  # 1
        ('\nmetric{label="new\nline"} 3.14\n', 'label value "new" contains unescaped new-line'),  # 2
        ('metric{@="bla"} 3.14\n', 'invalid label name for metric "metric"'),  # 3
        ('metric{__name__="bla"} 3.14\n', 'label name "__name__" is reserved'),  # 4
        ('metric{label+="bla"} 3.14\n', "expected '=' after label name, found '+'"),  # 5
        ("metric{label=bla} 3.14\n", "expected '\"' at start of label value, found 'b'"),  # 6
        ('metric{label="bla" 3.14\n', 'unexpected end of label value "bla"'),
        ("metric{label\n", "expected '=' after label name, found '\\n'"),
        ('metric{label="bla"+} 3.14\n', 'unexpected end of label value "bla"'),  # 8
        ('metric{label="bla"} 3.14 2.72\n', 'expected integer as timestamp, got "2.72"'),  # 9
        ('metric{label="bla"} 3.14 2 3\n', 'spurious string after timestamp: " 3"'),  # 10
        ('metric{label="bla"} blubb\n', 'expected float as value, got "blubb"'),  # 11
        ('@invalidmetric{label="bla"} 3.14 2\n', "invalid metric name"),  # 17
        ('{label="bla"} 3.14 2\n', "invalid metric name"),  # 18
        ("{} 3.14\n", "invalid metric name"),  # 47
        ('metric{label="bla",label="bla"} 3.14\n', 'duplicate label names for metric "metric"'),  # 34
        ('{"one.name","another.name"} 3.14\n', "invalid metric name"),  # 35, legacy names
        ('metric_name{"foo"="bar"} 3.14\n', 'invalid label name for metric "metric_name"'),  # 42, legacy names
        ('metric{,} 1\n', 'invalid label name for metric "metric"'),
        ("metric\n", 'expected float as value, got ""'),
        ('metric{a="1"}\n', 'expected float as value, got ""'),
        ("metric 1 \n", 'expected integer as timestamp, got ""'),
        ("metric 1 2 \n", 'spurious string after timestamp: " "'),
        ("metric 1\r\n", 'expected float as value, got "1\\r"'),
    ],
)
def test_text_parse_errors(text: str, message: str) -> None:
    """TestTextParseError (scenario numbers in the comments) and neighbours: startLabelName,
    startLabelValue, readTokenAsLabelValue, readingValue, startTimestamp."""
    assert error(text).message == message


@pytest.mark.parametrize(
    ("kind", "label", "sample"),
    [("summary", "quantile", "metric"), ("histogram", "le", "metric_bucket"),
     ("summary", "quantile", "metric_count"), ("histogram", "le", "metric_sum")],
)
@pytest.mark.parametrize("bound", ["bla", "0x1p-3", "1_0", ""])
def test_quantile_and_le_must_be_floats(kind: str, label: str, sample: str, bound: str) -> None:
    """TestTextParseError 7, 19, 32, 33; startLabelValue parses the bound of every sample of a
    summary (quantile) or histogram (le), _sum and _count included."""
    err = error(f'\n# TYPE metric {kind}\n{sample}{{{label}="{bound}"}} 3.14\n')
    assert err.line == 3
    assert err.message == f'expected float as value for {label} label, got "{bound}"'


def test_quantile_and_le_are_plain_labels_elsewhere() -> None:
    """startLabelValue: only a summary's quantile and a histogram's le are bounds."""
    families = by_name('m{le="x",quantile="y"} 1\n# TYPE s summary\ns{le="x",quantile="1"} 1\n'
                       '# TYPE h histogram\nh_bucket{quantile="x",le="1"} 1\n')
    assert families["m"].samples[0].labels == {"le": "x", "quantile": "y"}
    assert families["s"].samples[0].labels == {"le": "x", "quantile": "1"}


def test_a_repeated_bound_label_is_no_duplicate() -> None:
    """startLabelName leaves quantile/le out of the duplicate check; the last one counts."""
    assert by_name('# TYPE s summary\ns{quantile="0.5",quantile="0.9"} 1\n')["s"].samples[0].labels == {
        "quantile": "0.9"}
    assert error('# TYPE s summary\ns{le="1",le="2"} 1\n').message == 'duplicate label names for metric "s"'
    assert error('# TYPE s summary\ns{quantile="0.5",quantile="x"} 1\n').message.startswith("expected float")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1.0), ("-3e3", -3000.0), (".5", 0.5), ("5.", 5.0), ("+5", 5.0), ("00012", 12.0), ("1E5", 1e5),
     ("inf", math.inf), ("+Inf", math.inf), ("-Infinity", -math.inf), ("INFINITY", math.inf), ("1e-400", 0.0),
     ("1.7976931348623157e308", 1.7976931348623157e308)],
)
def test_values_go_parses(value: str, expected: float) -> None:
    """readingValue with parseFloat (strconv.ParseFloat without p, P and _)."""
    assert parse(f"a {value}\n")[0].samples[0].value == expected
    assert parse_go_float(value) == expected


@pytest.mark.parametrize("value", ["nan", "NaN", "NAN"])
def test_nan_values(value: str) -> None:
    assert math.isnan(parse(f"a {value}\n")[0].samples[0].value)


@pytest.mark.parametrize(
    "value",
    ["0x1p-3", "0x1P-3", "0B1", "0O1", "0X1", "0x1", "0b1", "0o1", "1_2", "1e400", "-1e309", "9" * 400, "+nan",
     "-NaN", "infin", "1e", "e5", ".", "1.2.3", "١", "٣.٥", "1\x0b", "\u20071"],
)
def test_values_go_refuses(value: str) -> None:
    """TestTextParseError 11, 21-31: hexadecimal and binary/octal forms, digit separators, values
    out of range, NaN with a sign; and what Python's float() takes but Go does not (other digits,
    other white space)."""
    with pytest.raises(ValueError, match=r"(?i)float|range"):
        parse_go_float(value)
    assert error(f"a {value}\n").message.startswith("expected float as value")


@pytest.mark.parametrize("value", [" 1", "1 ", ""])
def test_parse_go_float_takes_no_blanks(value: str) -> None:
    with pytest.raises(ValueError):
        parse_go_float(value)


def test_a_value_may_follow_the_name_without_a_blank() -> None:
    """readingMetricName stops at the first byte that is no name byte; readingValue starts there."""
    assert flat("a-1 2\n") == [("a", "untyped", None, [("a", {}, -1.0, 2)])]
    assert flat('a{b="1"}2\n') == [("a", "untyped", None, [("a", {"b": "1"}, 2.0, None)])]
    assert flat("a\t1\n") == [("a", "untyped", None, [("a", {}, 1.0, None)])]


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [("0", 0), ("-5", -5), ("+5", 5), ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63))],
)
def test_timestamps(stamp: str, expected: int) -> None:
    """startTimestamp: strconv.ParseInt(s, 10, 64)."""
    family = parse(f"a 1 {stamp}\n")[0]
    assert family.samples[0].timestamp == expected and family.has_timestamp


@pytest.mark.parametrize("stamp", ["9223372036854775808", "1_0", "1.5", "0x10", "١"])
def test_timestamps_go_refuses(stamp: str) -> None:
    assert error(f"a 1 {stamp}\n").message.startswith("expected integer as timestamp")


def test_label_value_escapes() -> None:
    """readTokenAsLabelValue: \\" \\\\ and \\n."""
    [family] = parse('a{b="q\\"\\\\\\n"} 1\n')
    assert family.samples[0].labels == {"b": 'q"\\\n'}


def test_label_values_may_hold_anything_but_quote_backslash_newline() -> None:
    [family] = parse('a{b="{}=,# \t\r\x00é"} 1\n')
    assert family.samples[0].labels == {"b": "{}=,# \t\r\x00é"}


def test_invalid_utf8_in_a_label_value_is_an_error() -> None:
    """TestTextParseError 20: startLabelValue checks utf8.ValidString. Bytes that are not UTF-8
    arrive as lone surrogates (surrogateescape)."""
    text = b'metric{l="\xbd"} 3.14\n'.decode("utf-8", "surrogateescape")
    assert error(text).message == 'invalid label value "\\xbd"'


def test_invalid_utf8_elsewhere_is_kept() -> None:
    """Go keeps HELP bytes as they are and ignores comments."""
    text = b"# HELP a bad \xff help\n# bad \xfe comment\na 1\n".decode("utf-8", "surrogateescape")
    assert parse(text)[0].help == "bad \udcff help"


def test_type_after_samples_only_for_that_family() -> None:
    """readingType: TYPE is refused only once the family itself has samples (or a type)."""
    assert by_name("a 1\n# TYPE b gauge\nb 2\n")["b"].type == "gauge"


def test_many_label_layouts_and_values() -> None:
    """The label sets of many lines, each read alike whichever way the parser takes."""
    lines = [f'm{{a="{i}",b="x{i}"}} {i}\n' for i in range(300)]
    lines += [f'm{{ b = "y{i}" , a="{i}", }} {i}\n' for i in range(300)]
    [family] = parse("".join(lines))
    assert len(family.samples) == 600
    assert family.samples[301].labels == {"b": "y1", "a": "1"}


# --- the fast and the careful way agree -----------------------------------------------------------

_LINE_PIECES = st.sampled_from(
    ["a", "b_sum", "m:x", "_", " ", "\t", "{", "}", ",", "=", '"', "\\", "\\n", '\\"', "le", "quantile",
     "__name__", "x", "1", "-2.5", "NaN", "+Inf", "1e3", "0x1", "é", "#", "\r", "y", "2", "  "]
)


@settings(max_examples=400, deadline=None, database=None)
@given(lines=st.lists(st.lists(_LINE_PIECES, max_size=14).map("".join), max_size=6),
       header=st.sampled_from(["", "# TYPE a summary\n", "# TYPE a histogram\n", "# TYPE b gauge\n"]))
def test_fast_and_careful_reading_agree(lines: list[str], header: str) -> None:
    """Every sample line read by the compiled pattern gives what reading it character by
    character as Go does gives, and both reject the same texts at the same line."""
    text = header + "".join(line + "\n" for line in lines)

    def outcome(fast: bool) -> Any:
        try:
            return [(f.name, f.type, f.help, f.samples) for f in _parse(text, fast=fast)]
        except TextFormatError as err:
            return ("error", err.line)

    fast, careful = outcome(True), outcome(False)
    # NaN != NaN: compare their text.
    assert repr(fast) == repr(careful)


@pytest.mark.parametrize(
    ("line", "fields"),
    [('a{b="1",c="2"} 3', ("a", [("b", "1"), ("c", "2")], "3", None)),
     ('a { b = "1" , } 3 4', ("a", [("b", "1")], "3", "4")),
     ("a-1", ("a", [], "-1", None)),
     ('a{b="x\\"y"} 1', ("a", [("b", 'x\\"y')], "1", None)),
     ("a{} +Inf", ("a", [], "+Inf", None)),
     ("a:b_c\t1e-3", ("a:b_c", [], "1e-3", None))],
)
def test_slow_fields_reads_valid_lines(line: str, fields: tuple[object, ...]) -> None:
    """The character reader (Go's states from readingMetricName to startTimestamp) on valid lines;
    label values keep their escapes."""
    assert tuple(_slow_fields(line, 1, lambda name: name)) == fields


# --- cost -----------------------------------------------------------------------------------------


def test_cost_is_linear_in_the_text() -> None:
    """Doubling the lines about doubles the time (generous bounds: a quadratic step would give 4x)."""

    def seconds(count: int) -> float:
        text = "".join(f'm{{a="{i}",b="v"}} {i}\n' for i in range(count))
        best = math.inf
        for _ in range(3):
            started = time.perf_counter()
            parse(text)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(20_000), seconds(80_000)
    assert large < small * 7


def test_pathological_lines_cost_linear_time() -> None:
    """Long lines that the pattern almost matches fall to the character reader, which is linear."""
    started = time.perf_counter()
    for text in ('a{b="' + "x" * 200_000 + "\n", "a " + "1" * 200_000 + "x\n",
                 'a{' + 'b="1",' * 30_000 + "\n", "a" * 200_000 + "\n"):
        with pytest.raises(TextFormatError):
            parse(text)
    assert time.perf_counter() - started < 5
