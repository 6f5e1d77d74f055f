import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
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
    assert run_collector("powersupplyclass", Paths(sysfs=str(tmp_path))) == []


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
