import pytest

from pyexporter.collectors.os import INFO_LABELS, parse_env, parse_os_release
from pyexporter.toolkit.collector import CollectorError


def test_parse_env_quoting() -> None:
    text = "# c\n\nA=plain\nB=\"dq \\\"x\\\" \\$y\"\nC='sq $z'\nexport D=1 # trailing\nE=\n"
    assert parse_env(text) == {"A": "plain", "B": 'dq "x" $y', "C": "sq $z", "D": "1", "E": ""}


@pytest.mark.parametrize("text", ["NOEQUALS\n", 'A="open\n', "A='open\n", "1A=x\n", "A=x y\n"])
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
