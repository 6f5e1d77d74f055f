import time

import pytest

from pyexporter.paths import Paths
from tests.helpers import fixture_paths, run_collector, sample, samples


def test_time_from_fixture() -> None:
    before = time.time()
    families = run_collector("time", fixture_paths("time"))
    assert before <= sample(families, "node_time_seconds") <= time.time()
    zone = [k for k in samples(families) if k[0] == "node_time_zone_offset_seconds"]
    assert len(zone) == 1 and dict(zone[0][1])["time_zone"]
    for cs in ("tsc", "hpet", "acpi_pm"):
        assert sample(families, "node_time_clocksource_available_info", device="0", clocksource=cs) == 1
    assert sample(families, "node_time_clocksource_available_info", device="1", clocksource="kvm-clock") == 1
    assert sample(families, "node_time_clocksource_current_info", device="0", clocksource="tsc") == 1
    assert sample(families, "node_time_clocksource_current_info", device="1", clocksource="kvm-clock") == 1


def test_absent_clocksource_dir(tmp_path) -> None:
    families = run_collector("time", Paths(sysfs=str(tmp_path)))
    assert {k[0] for k in samples(families)} == {"node_time_seconds", "node_time_zone_offset_seconds"}


def test_unreadable_clocksource_raises(tmp_path) -> None:
    (tmp_path / "devices" / "system" / "clocksource" / "clocksource0").mkdir(parents=True)
    with pytest.raises(OSError):
        run_collector("time", Paths(sysfs=str(tmp_path)))


def test_clocksources_as_the_glob_finds_them(tmp_path) -> None:
    """filepath.Glob(".../clocksource[0-9]*"): names after a digit, in sorted order (so
    clocksource10 before clocksource2, each labelled by its position), and nothing else."""
    root = tmp_path / "devices" / "system" / "clocksource"
    for name, current in (("clocksource2", "b"), ("clocksource10", "a"), ("clocksourcex", "x"), ("uevent", "u"),
                          ("Clocksource3", "c"), ("clocksource", "n")):
        (root / name).mkdir(parents=True)
        (root / name / "available_clocksource").write_text(current + "\n")
        (root / name / "current_clocksource").write_text(current + "\n")
    families = run_collector("time", Paths(sysfs=str(tmp_path)))
    current = sorted((dict(k[1])["device"], dict(k[1])["clocksource"]) for k in samples(families)
                     if k[0] == "node_time_clocksource_current_info")
    assert current == [("0", "a"), ("1", "b")]
