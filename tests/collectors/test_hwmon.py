import os

import pytest

from pyexporter.collectors import load_all
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples


def test_hwmon_from_fixture() -> None:
    families = run_collector("hwmon", fixture_paths("hwmon"))
    chip = "platform_coretemp_0"
    assert sample(families, "node_hwmon_temp_celsius", chip=chip, sensor="temp1") == 45.0
    assert sample(families, "node_hwmon_temp_crit_celsius", chip=chip, sensor="temp1") == 90.0
    assert sample(families, "node_hwmon_temp_crit_alarm_celsius", chip=chip, sensor="temp1") == 0
    assert sample(families, "node_hwmon_in_volts", chip=chip, sensor="in0") == 1.2
    assert sample(families, "node_hwmon_power_watt", chip=chip, sensor="power1") == 12.0
    assert sample(families, "node_hwmon_energy_joule_total", chip=chip, sensor="energy1") == 2.5
    assert sample(families, "node_hwmon_beep_enabled", chip=chip, sensor="beep_enable0") == 1.0
    assert sample(families, "node_hwmon_sensor_label", chip=chip, sensor="temp1", label="Core 0") == 1
    assert sample(families, "node_hwmon_chip_names", chip=chip, chip_name="coretemp") == 1
    # temp2_input holds garbage: skipped, not fatal.
    assert ("node_hwmon_temp_celsius", frozenset({("chip", chip), ("sensor", "temp2")})) not in samples(families)
    # Two hwmon nodes under one device are told apart by their name files.
    assert sample(families, "node_hwmon_pwm_enable", chip="platform_wmi_asus", sensor="pwm1") == 2
    assert sample(families, "node_hwmon_pwm_enable", chip="platform_wmi_asus_wmi_sensors", sensor="pwm1") == 1
    # No device link and no name file: the hwmonX directory names the chip.
    assert sample(families, "node_hwmon_fan_rpm", chip="hwmon3", sensor="fan1") == 1500
    assert sample(families, "node_hwmon_freq_freq_mhz", chip="hwmon3", sensor="sclk") == 300
    assert by_name(families)["node_hwmon_energy_joule_total"].type == "counter"


def test_hwmon_chip_and_sensor_filters() -> None:
    families = run_collector("hwmon", fixture_paths("hwmon"), {"chip-include": "coretemp"})
    assert {dict(k[1])["chip"] for k in samples(families)} == {"platform_coretemp_0"}
    families = run_collector("hwmon", fixture_paths("hwmon"), {"chip-exclude": "wmi"})
    assert "platform_wmi_asus" not in {dict(k[1])["chip"] for k in samples(families)}
    families = run_collector("hwmon", fixture_paths("hwmon"),
                             {"sensor-exclude": "^platform_coretemp_0;temp1$"})
    assert not any(dict(k[1]).get("sensor") == "temp1" for k in samples(families))


def test_hwmon_absent(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("hwmon", Paths(sysfs=str(tmp_path)))


def test_hwmon_malformed_values_are_skipped(tmp_path) -> None:
    chip = tmp_path / "class" / "hwmon" / "hwmon0"
    chip.mkdir(parents=True)
    (chip / "name").write_text("x\n")
    (chip / "temp1_input").write_text("not a number\n")
    families = run_collector("hwmon", Paths(sysfs=str(tmp_path)))
    assert samples(families) == {
        ("node_hwmon_chip_names", frozenset({("chip", "x"), ("chip_name", "x")})): 1.0
    }


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_hwmon_dangling_link_is_skipped(tmp_path) -> None:
    (tmp_path / "class" / "hwmon").mkdir(parents=True)
    os.symlink("../../nowhere", tmp_path / "class" / "hwmon" / "hwmon9")
    assert run_collector("hwmon", Paths(sysfs=str(tmp_path))) == []


def _chips(options: dict[str, str]) -> set[str]:
    collector = load_all()["hwmon"].build(fixture_paths("hwmon_chip_filter"), options)
    return {dict(labels)["chip"] for _, labels in samples(collector.collect())}


def test_chip_include_still_applies_when_an_exclude_is_set() -> None:
    # node_exporter builds newDeviceFilter(exclude, include) and applies both: acpi_thermal is
    # dropped because the include does not match it, platform_nvme_0 because the exclude does.
    assert _chips({"chip-include": "^platform", "chip-exclude": "nvme"}) == {"platform_coretemp_0"}


@pytest.mark.parametrize(
    ("options", "chips"),
    [
        ({}, {"platform_coretemp_0", "platform_nvme_0", "acpi_thermal"}),
        ({"chip-include": "^platform"}, {"platform_coretemp_0", "platform_nvme_0"}),
        ({"chip-exclude": "nvme"}, {"platform_coretemp_0", "acpi_thermal"}),
    ],
)
def test_chip_filter_fixture(options: dict[str, str], chips: set[str]) -> None:
    assert _chips(options) == chips
