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
    # (The scrape leaves out families without samples: tests/unit/test_scrape.py.)
    assert samples(run_collector("thermal_zone", Paths(sysfs=str(tmp_path)))) == {}


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
    # (The scrape leaves out families without samples: tests/unit/test_scrape.py.)
    assert samples(run_collector("thermal_zone", Paths(sysfs=str(tmp_path)))) == {}


def test_zone_temperatures_stay_when_a_cooling_device_fails(tmp_path) -> None:
    """thermalZoneCollector.Update sends the zones before it reads the cooling devices, so a
    cooling device's error keeps the zone temperatures."""
    from tests.helpers import collect_as_scrape

    zone = tmp_path / "class" / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "type").write_text("acpitz\n")
    (zone / "temp").write_text("42000\n")
    (zone / "policy").write_text("step_wise\n")
    device = tmp_path / "class" / "thermal" / "cooling_device0"
    device.mkdir(parents=True)
    (device / "type").write_text("Processor\n")
    (device / "cur_state").write_text("many\n")
    (device / "max_state").write_text("3\n")
    families, failure = collect_as_scrape("thermal_zone", Paths(sysfs=str(tmp_path)))
    assert samples(families)[("node_thermal_zone_temp", frozenset({("zone", "0"), ("type", "acpitz")}))] == 42.0
    assert failure is not None


def test_entries_as_the_glob_finds_them(tmp_path) -> None:
    """filepath.Glob("thermal_zone[0-9]*"): a digit right after the prefix, anything after it."""
    thermal = tmp_path / "class" / "thermal"
    for name in ("thermal_zone10", "thermal_zone2", "thermal_zone3x", "thermal_zonex", "thermal_zone",
                 "Thermal_zone4", "cooling_device0"):
        zone = thermal / name
        zone.mkdir(parents=True)
        (zone / "type").write_text(name + "\n")
        (zone / "temp").write_text("1000\n")
        (zone / "policy").write_text("step_wise\n")
    families = run_collector("thermal_zone", Paths(sysfs=str(tmp_path)))
    zones = sorted(dict(labels)["zone"] for name, labels in samples(families) if name == "node_thermal_zone_temp")
    assert zones == ["10", "2", "3x"]


@pytest.mark.parametrize("missing", ["temp", "type"])
def test_zone_missing_a_file_is_skipped_and_the_rest_reported(tmp_path, missing: str) -> None:
    """ClassThermalZoneStats (procfs v0.19.0) skips a zone whose required file does not open (a
    *fs.PathError); the other zones and the cooling devices are reported and the collector
    succeeds (node_exporter 1.5.0 failed it)."""
    thermal = tmp_path / "class" / "thermal"
    for n, temp in (("0", "41000\n"), ("1", "43000\n")):
        zone = thermal / f"thermal_zone{n}"
        zone.mkdir(parents=True)
        (zone / "type").write_text("acpitz\n")
        (zone / "policy").write_text("step_wise\n")
        (zone / "temp").write_text(temp)
    (thermal / "thermal_zone0" / missing).unlink()
    device = thermal / "cooling_device0"
    device.mkdir()
    (device / "type").write_text("Processor\n")
    (device / "cur_state").write_text("0\n")
    (device / "max_state").write_text("3\n")
    assert samples(run_collector("thermal_zone", Paths(sysfs=str(tmp_path)))) == {
        ("node_thermal_zone_temp", frozenset({("zone", "1"), ("type", "acpitz")})): 43.0,
        ("node_cooling_device_cur_state", frozenset({("name", "0"), ("type", "Processor")})): 0.0,
        ("node_cooling_device_max_state", frozenset({("name", "0"), ("type", "Processor")})): 3.0,
    }
