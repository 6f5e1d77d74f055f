import pytest

from pyexporter.collectors.sysctl import (
    SysctlSpec,
    parse_sysctl_ints,
    parse_sysctl_spec,
    sysctl_path,
)
from pyexporter.toolkit.collector import CollectorError


def test_parse_sysctl_spec() -> None:
    assert parse_sysctl_spec("fs.file-nr", True) == SysctlSpec("fs.file-nr", (), True)
    spec = parse_sysctl_spec("fs.file-nr:total,current,max", True)
    assert spec.keys == ("total", "current", "max")
    assert spec.metric_name == "node_sysctl_fs_file_nr"


def test_sysctl_path() -> None:
    assert sysctl_path("net.ipv4.ip_forward") == ("sys", "net", "ipv4", "ip_forward")


# procfs's SysctlInts reads each field with util.ValueParser.Int: strconv.ParseInt(field, 0, 64).
@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("1024", 1024), ("-5", -5), ("+7", 7), ("0x10", 16), ("010", 8), ("0o10", 8), ("0b11", 3),
     ("1_000", 1000), ("0x_10", 16), ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63))],
)
def test_sysctl_int_as_go(text: str, value: int) -> None:
    assert parse_sysctl_ints("x", text) == [value]


@pytest.mark.parametrize("text", ["x", "1.5", "09", "0x", "1_", "_1", "1__0", str(2**63), "١٢"])
def test_sysctl_int_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"field 0 in sysctl x is not a valid int: strconv\.ParseInt"):
        parse_sysctl_ints("x", text)


def test_parse_sysctl_ints() -> None:
    assert parse_sysctl_ints("fs.file-nr", "1024\t0\t1631329\n") == [1024, 0, 1631329]
    assert parse_sysctl_ints("x", "") == []
    with pytest.raises(CollectorError):
        parse_sysctl_ints("x", "1 two")


def test_sysctl_blanks_separate_fields() -> None:
    # SysctlStrings splits the value with strings.Fields first, so blanks never reach ParseInt.
    assert parse_sysctl_ints("x", " 12 \n") == [12]
    assert parse_sysctl_ints("x", "1_000\t0x10 -1\n") == [1000, 16, -1]
