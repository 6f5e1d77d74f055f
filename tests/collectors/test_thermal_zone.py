import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples


def test_thermal_zone_from_fixture() -> None:
    families = run_collector("thermal_zone", fixture_paths("thermal_zone"))
    assert samples(families) == {
        ("node_thermal_zone_temp", frozenset({("zone", "0"), ("type", "x86_pkg_temp")})): 42.5,
        ("node_cooling_device_cur_state", frozenset({("name", "0"), ("type", "Fan")})): 1.0,
        ("node_cooling_device_max_state", frozenset({("name", "0"), ("type", "Fan")})): 4.0,
    }
    assert {f.type for f in families} == {"gauge"}


def test_thermal_zone_absent(tmp_path) -> None:
    assert run_collector("thermal_zone", Paths(sysfs=str(tmp_path))) == []


def test_thermal_zone_malformed_temp(tmp_path) -> None:
    zone = tmp_path / "class" / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "type").write_text("acpitz\n")
    (zone / "policy").write_text("step_wise\n")
    (zone / "temp").write_text("hot\n")
    with pytest.raises(CollectorError):
        run_collector("thermal_zone", Paths(sysfs=str(tmp_path)))


def test_thermal_class_without_zones_gives_no_families(tmp_path) -> None:
    # ClassThermalZoneStats globs nothing: node_exporter sends no metric, so prints no family.
    (tmp_path / "class" / "thermal").mkdir(parents=True)
    assert run_collector("thermal_zone", Paths(sysfs=str(tmp_path))) == []
