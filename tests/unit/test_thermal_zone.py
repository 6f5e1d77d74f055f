import pytest

from pyexporter.collectors.thermal_zone import read_cooling_device, read_thermal_zone
from pyexporter.toolkit.numbers import NumberError


def _zone(tmp_path, temp: str):
    (tmp_path / "type").write_text("acpitz\n")
    (tmp_path / "policy").write_text("step_wise\n")
    (tmp_path / "temp").write_text(temp)
    return read_thermal_zone("0", str(tmp_path))


def _cooling(tmp_path, cur: str, top: str = "10\n"):
    (tmp_path / "type").write_text("Processor\n")
    (tmp_path / "cur_state").write_text(cur)
    (tmp_path / "max_state").write_text(top)
    return read_cooling_device("0", str(tmp_path))


# util.SysReadIntFromFile / SysReadFile + strconv.ParseInt(x, 10, 64): the attribute trimmed as
# strings.TrimSpace trims, then base 10 with an optional sign.
@pytest.mark.parametrize(("text", "value"), [("42500\n", 42500), ("-5", -5), ("+7\n", 7), ("\u2003 007 \n", 7)])
def test_temp_as_go(tmp_path, text: str, value: int) -> None:
    zone = _zone(tmp_path, text)
    assert zone is not None and zone.temp == value


@pytest.mark.parametrize("text", ["", "abc", "1.5", "0x10", "1_000", "١", "9223372036854775808", "\x1c5", "1\n2\n"])
def test_temp_go_refuses(tmp_path, text: str) -> None:
    with pytest.raises(NumberError, match=r"strconv\.ParseInt"):
        _zone(tmp_path, text)


def test_cooling_states_as_go(tmp_path) -> None:
    device = _cooling(tmp_path, "-1\n")
    assert device is not None and (device.cur_state, device.max_state) == (-1, 10)
    with pytest.raises(NumberError):
        _cooling(tmp_path, "1_0\n")
    with pytest.raises(NumberError):
        _cooling(tmp_path, "0\n", "١٠")


def test_unreadable_attribute_skips(tmp_path) -> None:
    (tmp_path / "type").write_text("acpitz\n")
    assert read_thermal_zone("0", str(tmp_path)) is None
    assert read_cooling_device("0", str(tmp_path)) is None
