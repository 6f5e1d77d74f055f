import errno
import os

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import fixture_paths, run_collector, sample, samples


def test_powersupplyclass_from_fixture() -> None:
    families = run_collector("powersupplyclass", fixture_paths("powersupplyclass"))
    assert sample(families, "node_power_supply_online", power_supply="AC") == 1
    assert sample(families, "node_power_supply_capacity", power_supply="BAT0") == 57
    assert sample(families, "node_power_supply_cyclecount", power_supply="BAT0") == 12
    assert sample(families, "node_power_supply_voltage_volt", power_supply="BAT0") == 11.4
    assert sample(families, "node_power_supply_power_watt", power_supply="BAT0") == 15.0
    assert sample(families, "node_power_supply_temp_celsius", power_supply="BAT0") == 30.0
    assert sample(families, "node_power_supply_info", power_supply="AC", type="Mains") == 1
    assert sample(families, "node_power_supply_info", power_supply="BAT0", type="Battery",
                  status="Charging", manufacturer="ACME") == 1


def test_powersupplyclass_ignored(tmp_path) -> None:
    families = run_collector("powersupplyclass", fixture_paths("powersupplyclass"),
                             {"ignored-supplies": "^BAT"})
    assert {dict(k[1])["power_supply"] for k in samples(families)} == {"AC"}


def test_powersupplyclass_absent(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("powersupplyclass", Paths(sysfs=str(tmp_path)))


def test_powersupplyclass_malformed_number(tmp_path) -> None:
    supply = tmp_path / "class" / "power_supply" / "BAT1"
    supply.mkdir(parents=True)
    (supply / "capacity").write_text("full\n")
    with pytest.raises(CollectorError):
        run_collector("powersupplyclass", Paths(sysfs=str(tmp_path)))


def test_powersupplyclass_trims_as_go(tmp_path) -> None:
    # bytes.TrimSpace trims Unicode white space; \x1c, which str.strip would also take, stays and
    # makes the number invalid as in Go.
    supply = tmp_path / "class" / "power_supply" / "BAT1"
    supply.mkdir(parents=True)
    (supply / "capacity").write_text(" 42\u2003\n")
    assert sample(run_collector("powersupplyclass", Paths(sysfs=str(tmp_path))),
                  "node_power_supply_capacity", power_supply="BAT1") == 42
    (supply / "capacity").write_text("\x1c42\n")
    with pytest.raises(CollectorError):
        run_collector("powersupplyclass", Paths(sysfs=str(tmp_path)))


def _failing_read(monkeypatch, name: str, code: int) -> None:
    real_read = os.read

    def fake_read(fd: int, size: int) -> bytes:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("/" + name):
            raise OSError(code, os.strerror(code))
        return real_read(fd, size)

    monkeypatch.setattr(os, "read", fake_read)


def _battery(tmp_path):
    supply = tmp_path / "class" / "power_supply" / "BAT1"
    supply.mkdir(parents=True)
    (supply / "capacity").write_text("42\n")
    (supply / "current_now").write_text("1000000\n")
    (supply / "type").write_text("Battery\n")
    return supply


@pytest.mark.parametrize("code", [errno.ENODEV, errno.EOPNOTSUPP, errno.EINVAL, errno.ENODATA])
def test_powersupplyclass_refused_attribute_is_skipped(tmp_path, monkeypatch, code: int) -> None:
    # parsePowerSupply skips "no such device" (issue #3108) and "operation not supported";
    # EINVAL and ENODATA, which Go still fails on, are skipped too (see the module).
    _battery(tmp_path)
    _failing_read(monkeypatch, "current_now", code)
    got = samples(run_collector("powersupplyclass", Paths(sysfs=str(tmp_path))))
    assert ("node_power_supply_capacity", frozenset({("power_supply", "BAT1")})) in got
    assert not [k for k in got if k[0] == "node_power_supply_current_ampere"]


def test_powersupplyclass_other_read_errors_fail(tmp_path, monkeypatch) -> None:
    # parsePowerSupply: any other error reading an attribute fails PowerSupplyClass.
    _battery(tmp_path)
    _failing_read(monkeypatch, "current_now", errno.EIO)
    with pytest.raises(OSError):
        run_collector("powersupplyclass", Paths(sysfs=str(tmp_path)))


def test_powersupplyclass_reads_at_most_128_bytes(tmp_path) -> None:
    # util.SysReadFile reads one buffer of 128 bytes: a longer model name is cut there.
    supply = _battery(tmp_path)
    (supply / "model_name").write_text("M" * 200 + "\n")
    got = samples(run_collector("powersupplyclass", Paths(sysfs=str(tmp_path))))
    (labels,) = [dict(k[1]) for k in got if k[0] == "node_power_supply_info"]
    assert labels["model_name"] == "M" * 128
