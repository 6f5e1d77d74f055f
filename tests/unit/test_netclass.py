import pytest

from pyexporter.collectors.netclass import admin_state, parse_iface, read_iface


# sysfs's ParseNetClassAttribute reads integer attributes with strconv.ParseInt(value, 0, 64)
# (util.ValueParser.PInt64) and leaves one it cannot parse unset.
@pytest.mark.parametrize(("text", "value"), [
    ("1500", 1500), ("0x20", 32), ("-1", -1), ("010", 8), ("0", 0), ("0b11", 3), ("0o17", 15),
    # Base 0 takes `_` between digits.
    ("1_0", 10), ("0x_20", 32),
])
def test_integer_attribute_as_go_parses_it(text: str, value: int) -> None:
    assert parse_iface("eth0", {"mtu": text}).ints == {"mtu": value}


@pytest.mark.parametrize("text", [
    "", "abc", "1.5", "--1", "99999999999999999999", "1__0", "_10", "10_", "\u0661\u0662", "+-1", "0x",
])
def test_integer_attribute_go_refuses_is_left_out(text: str) -> None:
    assert parse_iface("eth0", {"mtu": text}).ints == {}


def test_attribute_trimmed_as_go_trims(tmp_path) -> None:
    # strings.TrimSpace leaves \x1c-\x1f, which str.strip() would also remove.
    (tmp_path / "mtu").write_text(" 1500\n")
    (tmp_path / "ifindex").write_text("\x1c2\n")
    (tmp_path / "operstate").write_text("up\u2003\n")
    iface = read_iface("eth0", str(tmp_path))
    assert iface.ints == {"mtu": 1500}
    assert iface.text == {"operstate": "up"}


def test_parse_iface_and_admin_state() -> None:
    iface = parse_iface("eth0", {"mtu": "1500", "address": "aa", "speed": "", "bogus": "1"})
    assert iface.ints == {"mtu": 1500}
    assert iface.text == {"address": "aa"}
    assert admin_state(None) == "unknown"
    assert admin_state(0x1003) == "up"
    assert admin_state(0x1002) == "down"
