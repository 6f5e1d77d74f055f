import pytest

from pyexporter.collectors.selinux import parse_config_mode, parse_enforce


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


# go-selinux's EnforceMode: strconv.Atoi on the untrimmed file, -1 when Atoi refuses it.
@pytest.mark.parametrize(
    ("text", "mode"),
    [("1", 1), ("0", 0), ("+1", 1), ("-1", -1), ("2", 2), ("01", 1),
     ("", -1), ("yes", -1), ("0\n", -1), (" 1", -1), ("1_0", -1), ("١", -1), ("9223372036854775808", -1)],
)
def test_enforce_as_atoi(text: str, mode: int) -> None:
    assert parse_enforce(text) == mode


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("SELINUX=enforcing\nSELINUX=permissive\n", 1),  # readConfig returns the first match
        ("; comment\n  SELINUX=\"permissive\"  \n", 0),
        ("SELINUX = enforcing\n", -1),  # the key must be exactly SELINUX
        ("SELINUXTYPE=targeted\nSELINUX=disabled\n", -1),
        ("SELINUX=Enforcing\n", -1),
        ("", -1),
    ],
)
def test_config_mode_as_go_selinux_read_config(text: str, mode: int) -> None:
    assert parse_config_mode(text) == mode
