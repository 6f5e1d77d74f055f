import errno
import os

import pytest

from pyexporter.collectors.thermal_zone import read_cooling_device, read_thermal_zone
from pyexporter.toolkit.collector import CollectorError
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


def test_disabled_zone_is_skipped_and_mode_is_optional(tmp_path) -> None:
    # parseClassThermalZone: `mode` reading `disabled` gives ENODATA, which ClassThermalZoneStats
    # skips; `enabled` or no mode file at all is a zone like any other.
    (tmp_path / "mode").write_text("disabled\n")
    assert _zone(tmp_path, "1000\n") is None
    (tmp_path / "mode").write_text("enabled\n")
    assert _zone(tmp_path, "1000\n") is not None
    (tmp_path / "mode").unlink()
    assert _zone(tmp_path, "1000\n") is not None


def test_passive_is_optional_but_must_be_a_uint(tmp_path) -> None:
    # parseClassThermalZone: SysReadUintFromFile(passive); absent is fine, garbage is an error.
    (tmp_path / "passive").write_text("0\n")
    assert _zone(tmp_path, "1000\n") is not None
    (tmp_path / "passive").write_text("-1\n")
    with pytest.raises(NumberError):
        _zone(tmp_path, "1000\n")


def _failing_read(monkeypatch, name: str, code: int) -> None:
    real_read = os.read

    def fake_read(fd: int, size: int) -> bytes:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("/" + name):
            raise OSError(code, os.strerror(code))
        return real_read(fd, size)

    monkeypatch.setattr(os, "read", fake_read)


@pytest.mark.parametrize("code", [errno.ENODATA, errno.EAGAIN])
def test_zone_read_enodata_or_eagain_skips_the_zone(tmp_path, monkeypatch, code: int) -> None:
    # ClassThermalZoneStats: a bare ENODATA or EAGAIN from the read skips the zone.
    _failing_read(monkeypatch, "temp", code)
    assert _zone(tmp_path, "1000\n") is None


def test_zone_read_eio_fails_the_collector(tmp_path, monkeypatch) -> None:
    # ClassThermalZoneStats: any other bare errno from a read is returned, failing the collector.
    _failing_read(monkeypatch, "temp", errno.EIO)
    with pytest.raises(CollectorError):
        _zone(tmp_path, "1000\n")


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EOPNOTSUPP, errno.EACCES])
def test_cooling_device_ignorable_errors_skip(tmp_path, monkeypatch, code: int) -> None:
    # ClassCoolingDeviceStats: canIgnoreError (not there, permission, EOPNOTSUPP, EINVAL).
    _failing_read(monkeypatch, "cur_state", code)
    assert _cooling(tmp_path, "1\n") is None


def test_cooling_device_other_errors_fail(tmp_path, monkeypatch) -> None:
    _failing_read(monkeypatch, "cur_state", errno.ENODATA)
    with pytest.raises(CollectorError):
        _cooling(tmp_path, "1\n")
