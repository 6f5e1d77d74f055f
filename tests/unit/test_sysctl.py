import pytest

from pyexporter.collectors.sysctl import (
    SysctlSpec,
    parse_go_int,
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


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("1024", 1024), ("-5", -5), ("+7", 7), ("0x10", 16), ("010", 8), ("0o10", 8), ("0b11", 3)],
)
def test_parse_go_int(text: str, value: int) -> None:
    assert parse_go_int(text) == value


@pytest.mark.parametrize("text", ["", "x", "1.5", "09", "0x", "1_"])
def test_parse_go_int_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_int(text)


def test_parse_sysctl_ints() -> None:
    assert parse_sysctl_ints("fs.file-nr", "1024\t0\t1631329\n") == [1024, 0, 1631329]
    assert parse_sysctl_ints("x", "") == []
    with pytest.raises(CollectorError):
        parse_sysctl_ints("x", "1 two")
