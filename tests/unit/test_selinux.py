import pytest

from pyexporter.collectors.selinux import parse_config_mode, parse_enforce
from pyexporter.toolkit.collector import CollectorError


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("SELINUX=enforcing\n", 1),
        ("# SELINUX=enforcing\nSELINUX=permissive\nSELINUXTYPE=targeted\n", 0),
        ("SELINUX=disabled\n", -1),
        ('SELINUX="enforcing"\n', 1),
        ("", -1),
        ("garbage", -1),
    ],
)
def test_config_mode(text: str, mode: int) -> None:
    assert parse_config_mode(text) == mode


def test_enforce() -> None:
    assert parse_enforce("1") == 1
    assert parse_enforce("0\n") == 0


@pytest.mark.parametrize("text", ["", "2", "yes"])
def test_enforce_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_enforce(text)
