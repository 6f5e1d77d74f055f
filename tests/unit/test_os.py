import pytest

from pyexporter.collectors.os import INFO_LABELS, parse_env, parse_os_release
from pyexporter.toolkit.collector import CollectorError


def test_parse_env_quoting() -> None:
    # go-envparse parseLine: comments, blank lines, both quotes, `export`, trailing comments.
    text = "# c\n\nA=plain\nB=\"dq \\\"x\\\" \\/y\"\nC='sq $z'\nexport D=1 # trailing\nE=\n"
    assert parse_env(text) == {"A": "plain", "B": 'dq "x" /y', "C": "sq $z", "D": "1", "E": ""}


def test_parse_env_unquoted_values_keep_blanks_and_backslashes() -> None:
    # parseLine: unquoted text is literal (no shell word splitting, no backslash escapes), and
    # the blanks before a trailing comment are dropped.
    text = "KEY = This is ok! # c\nB=a\\b\nC=x\"y z\"w\n  D= 'q'  \n"
    assert parse_env(text) == {"KEY": "This is ok!", "B": "a\\b", "C": "xy zw", "D": "q"}


def test_parse_env_json_escapes() -> None:
    # parseLine's escape mode: \" \\ \/ \b \f \r \n \t and \uXXXX with surrogate pairs.
    text = 'A="1\\t2\\n3"\nB="\\u00e9\\ud83d\\ude00"\nC="\\ud83d\\u0041x"\n'
    # A high surrogate must be followed by \u: utf16.DecodeRune makes a bad pair one U+FFFD.
    assert parse_env(text) == {"A": "1\t2\n3", "B": "\u00e9\U0001f600", "C": "\ufffdx"}


def test_parse_env_export_alone_is_a_key_and_later_lines_win() -> None:
    # parseLine trims `export ` only when a name follows; Parse keeps the last value of a key.
    assert parse_env("export=1\nA=1\nA=2\n") == {"export": "1", "A": "2"}


@pytest.mark.parametrize(
    "text",
    ["NOEQUALS\n", 'A="open\n', "A='open\n", "1A=x\n", "A-B=x\n", "=x\n", 'A="\\$"\n', 'A="\\u12"\n',
     "A=x\ty\n", 'A="\\ud83d"\n', 'A="\\'],
)
def test_parse_env_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_env(text)


def test_parse_os_release() -> None:
    rel = parse_os_release('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="20.04"\n')
    assert dict(zip(INFO_LABELS, rel.info, strict=True))["name"] == "Ubuntu"
    assert (rel.id, rel.id_like, rel.name, rel.version, rel.support_end) == ("ubuntu", "debian", "Ubuntu", 20.04, None)


@pytest.mark.parametrize(("vid", "version"), [("", 0.0), ("rolling", 0.0), ("7", 7.0), ("8.4.2105", 8.4), ("3.", 3.0)])
def test_version(vid: str, version: float) -> None:
    assert parse_os_release(f"VERSION_ID={vid}\n").version == version


def test_bad_support_end() -> None:
    with pytest.raises(CollectorError):
        parse_os_release("SUPPORT_END=soon\n")


def test_empty() -> None:
    assert parse_os_release("").info == ("",) * len(INFO_LABELS)


def test_version_beyond_float64_is_an_error() -> None:
    # strconv.ParseFloat refuses the major.minor with ErrRange, where float() gives infinity.
    with pytest.raises(CollectorError, match=r"strconv\.ParseFloat"):
        parse_os_release(f"VERSION_ID={'9' * 400}\n")


@pytest.mark.parametrize("value", ["2024-1-05", "2024-01-5", "24-01-05", " 2024-01-05x", "2023-02-29"])
def test_support_end_is_go_date_only(value: str) -> None:
    # time.Parse(time.DateOnly, ...): zero-padded fields, a real calendar day.
    with pytest.raises(CollectorError):
        parse_os_release(f"SUPPORT_END={value}\n")
    assert parse_os_release("SUPPORT_END=2024-02-29\n").support_end == 1709164800.0
