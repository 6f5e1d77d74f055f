import errno
import os

import pytest

from pyexporter.collectors import thermal_zone
from pyexporter.collectors.thermal_zone import read_cooling_device, read_thermal_zone
from pyexporter.toolkit.collector import CollectorError, NoDataError
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


def test_mode_is_optional_and_a_disabled_zone_is_still_read(tmp_path) -> None:
    # parseClassThermalZone (procfs v0.19.0) reads mode after temp and only keeps it; nothing in
    # procfs or node_exporter skips a disabled zone (procfs PR #694 was not merged). On a real
    # kernel its temp read answers ENODATA or EINVAL, which the read itself then handles.
    (tmp_path / "mode").write_text("disabled\n")
    assert _zone(tmp_path, "1000\n") == ("0", "acpitz", 1000)
    (tmp_path / "mode").unlink()
    assert _zone(tmp_path, "1000\n") is not None


@pytest.mark.parametrize("missing", ["type", "policy", "temp"])
def test_zone_without_a_required_file_is_skipped(tmp_path, missing: str) -> None:
    # ClassThermalZoneStats skips a zone on any *fs.PathError, a failed open included (procfs
    # PR #634); node_exporter 1.5.0 failed the whole collector instead.
    (tmp_path / "type").write_text("acpitz\n")
    (tmp_path / "policy").write_text("step_wise\n")
    (tmp_path / "temp").write_text("1000\n")
    (tmp_path / missing).unlink()
    assert read_thermal_zone("0", str(tmp_path)) is None


def test_temp_is_parsed_before_mode_is_read(tmp_path, monkeypatch) -> None:
    # A malformed temp fails before mode's ENODATA, which would have skipped the zone.
    _failing_read(monkeypatch, "mode", errno.ENODATA)
    (tmp_path / "mode").write_text("enabled\n")
    with pytest.raises(NumberError):
        _zone(tmp_path, "hot\n")
    assert _zone(tmp_path, "1000\n") is None


def test_temp_that_is_a_directory_fails(tmp_path) -> None:
    # Go opens a directory and its read answers a bare EISDIR: no PathError, no skip.
    (tmp_path / "type").write_text("acpitz\n")
    (tmp_path / "policy").write_text("step_wise\n")
    (tmp_path / "temp").mkdir()
    with pytest.raises(CollectorError, match="Is a directory") as caught:
        read_thermal_zone("0", str(tmp_path))
    assert not isinstance(caught.value, NoDataError)


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
    with pytest.raises(CollectorError) as caught:
        _zone(tmp_path, "1000\n")
    assert not isinstance(caught.value, NoDataError)


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EACCES, errno.EPERM])
def test_zone_read_einval_or_permission_is_no_data(tmp_path, monkeypatch, code: int) -> None:
    # procfs v0.19.0 returns a bare EINVAL or EACCES from the read; node_exporter's Update
    # answers ErrNotExist, ErrPermission and EINVAL (upstream PR #3657) with ErrNoData.
    _failing_read(monkeypatch, "temp", code)
    with pytest.raises(NoDataError):
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


@pytest.mark.parametrize(("code", "skipped"), [
    (errno.EINVAL, True), (errno.ENOENT, True), (errno.EPERM, True), (errno.EOPNOTSUPP, False),
])
def test_cooling_device_open_errors(tmp_path, monkeypatch, code: int, skipped: bool) -> None:
    # canIgnoreError compares err.Error() with "operation not supported", which a failed open's
    # PathError ("open <path>: operation not supported") never equals; EINVAL is found by
    # errors.As inside the PathError.
    real_open = thermal_zone.open_regular

    def fake_open(path: str, dir_fd: int | None = None) -> int:
        if path.endswith("/max_state"):
            raise OSError(code, os.strerror(code), path)
        return real_open(path, dir_fd)

    monkeypatch.setattr(thermal_zone, "open_regular", fake_open)
    if skipped:
        assert _cooling(tmp_path, "1\n") is None
    else:
        with pytest.raises(CollectorError):
            _cooling(tmp_path, "1\n")
