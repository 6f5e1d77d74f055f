import pytest

from pyexporter.collectors.netclass import admin_state, parse_go_int, parse_iface


@pytest.mark.parametrize(("text", "value"), [
    ("1500", 1500), ("0x20", 32), ("-1", -1), ("010", 8), ("0", 0), ("0b11", 3),
])
def test_parse_go_int(text: str, value: int) -> None:
    assert parse_go_int(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1.5", "1_0", "--1", "99999999999999999999"])
def test_parse_go_int_rejects(text: str) -> None:
    assert parse_go_int(text) is None


def test_parse_iface_and_admin_state() -> None:
    iface = parse_iface("eth0", {"mtu": "1500", "address": "aa", "speed": "", "bogus": "1"})
    assert iface.ints == {"mtu": 1500}
    assert iface.text == {"address": "aa"}
    assert admin_state(None) == "unknown"
    assert admin_state(0x1003) == "up"
    assert admin_state(0x1002) == "down"
