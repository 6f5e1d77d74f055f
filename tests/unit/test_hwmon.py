import math

import pytest

from pyexporter.collectors.hwmon import (
    SensorFile,
    _emit_sensor,
    _sensor_value,
    clean_name,
    explode_sensor_filename,
    resolve_sysfs_path,
)
from pyexporter.toolkit.families import FamilyIndex
from tests.helpers import samples


def test_explode_sensor_filename() -> None:
    assert explode_sensor_filename("temp1_crit_alarm") == SensorFile("temp", 1, "crit_alarm")
    assert explode_sensor_filename("beep_enable") == SensorFile("beep_enable", 0, "")
    assert explode_sensor_filename("in0_input") == SensorFile("in", 0, "input")
    assert explode_sensor_filename("") is None
    assert explode_sensor_filename("123") is None
    # strconv.Atoi refuses a number past int64: node_exporter then skips the file.
    assert explode_sensor_filename("temp99999999999999999999_input") is None


def test_clean_name() -> None:
    assert clean_name("Core 0\n") == "core_0"
    assert clean_name("applesmc.768") == "applesmc_768"
    assert clean_name("__") == ""


@pytest.mark.parametrize(
    ("text", "value"),
    # strconv.ParseFloat's forms: `_` between digits and hex floats are Go's, so they are read.
    [("45000", 45000.0), ("-1.5e3", -1500.0), ("1_000", 1000.0), ("0x1p4", 16.0), ("-Inf", -math.inf)],
)
def test_sensor_values_are_go_parse_float(text: str, value: float) -> None:
    assert _sensor_value(text) == value


@pytest.mark.parametrize("text", ["", "12abc", " 1", "1e400", "+nan", "-nan", "٣", "infinit"])
def test_sensor_values_go_refuses_are_skipped(text: str) -> None:
    assert _sensor_value(text) is None


def test_emit_sensor_skips_what_parse_float_refuses() -> None:
    out = FamilyIndex()
    _emit_sensor(out, "chip", "temp1", {"input": "0x1p4", "max": "1e400", "label": "Core"})
    _emit_sensor(out, "chip", "vrm0", {"": "+nan"})
    assert samples(out.families()) == {
        ("node_hwmon_sensor_label", frozenset({("chip", "chip"), ("sensor", "temp1"), ("label", "Core")})): 1.0,
        ("node_hwmon_temp_celsius", frozenset({("chip", "chip"), ("sensor", "temp1")})): 0.016,
    }


def test_resolve_follows_link_files(tmp_path) -> None:
    # Fixture trees unpacked without symlinks keep each link as a file holding its target.
    (tmp_path / "devices" / "dev0").mkdir(parents=True)
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "dev0").write_text("../devices/dev0")
    assert resolve_sysfs_path(str(tmp_path / "class" / "dev0")) == str(tmp_path / "devices" / "dev0")
    (tmp_path / "class" / "plain").write_text("bond0 bond1\n")
    assert resolve_sysfs_path(str(tmp_path / "class" / "plain")) == str(tmp_path / "class" / "plain")


def test_emit_sensor_every_sensor_type_and_element() -> None:
    # updateHwmon: the unit and scale of each sensor type, the special elements (fault, alarm,
    # beep), the bare value file, `input` beside a bare value, freq named by its label, the
    # fallback for the rest, and the whole-sensor types beep_enable, vrm and update_interval.
    out = FamilyIndex()
    sensors = {
        "in0": {"input": "1200", "min": "1000", "label": "Vcore"},
        "cpu0": {"vid": "1500"},
        "temp1": {"type": "4"},
        "temp2": {"": "40000"},
        "temp3": {"": "1000", "input": "2000"},
        "temp4": {"fault": "1", "beep": "1", "alarm": "0"},
        "curr1": {"input": "500"},
        "energy1": {"input": "2000000"},
        "power1": {"accuracy": "500000", "average_interval": "1000", "average": "3000000"},
        "humidity1": {"input": "450000"},
        "fan1": {"input": "1200", "target": "1000", "pulses": "2"},
        "freq1": {"input": "1500000000", "label": "sclk"},
        "freq2": {"input": "100"},
        "pwm1": {"": "128", "enable": "2"},
        "intrusion0": {"alarm": "0"},
        "beep_enable0": {"": "1"},
        "update_interval0": {"": "2000"},
        "vrm0": {"": "9.1"},
    }
    for sensor, props in sensors.items():
        _emit_sensor(out, "c", sensor, props)

    def key(name: str, sensor: str, **extra: str) -> tuple[str, frozenset[tuple[str, str]]]:
        return name, frozenset({"chip": "c", "sensor": sensor, **extra}.items())

    assert samples(out.families()) == {
        key("node_hwmon_sensor_label", "in0", label="Vcore"): 1.0,
        key("node_hwmon_in_volts", "in0"): 1.2,
        key("node_hwmon_in_min_volts", "in0"): 1.0,
        key("node_hwmon_cpu_vid_volts", "cpu0"): 1.5,
        key("node_hwmon_temp_type", "temp1"): 4.0,
        key("node_hwmon_temp_celsius", "temp2"): 40.0,
        key("node_hwmon_temp_celsius", "temp3"): 1.0,
        key("node_hwmon_temp_input_celsius", "temp3"): 2.0,
        key("node_hwmon_temp_fault", "temp4"): 1.0,
        key("node_hwmon_temp_beep_enabled", "temp4"): 1.0,
        key("node_hwmon_temp_alarm", "temp4"): 0.0,
        key("node_hwmon_curr_amps", "curr1"): 0.5,
        key("node_hwmon_energy_joule_total", "energy1"): 2.0,
        key("node_hwmon_power_accuracy", "power1"): 0.5,
        key("node_hwmon_power_average_interval_seconds", "power1"): 1.0,
        key("node_hwmon_power_average_watt", "power1"): 3.0,
        key("node_hwmon_humidity", "humidity1"): 0.45,
        key("node_hwmon_fan_rpm", "fan1"): 1200.0,
        key("node_hwmon_fan_target_rpm", "fan1"): 1000.0,
        key("node_hwmon_fan_pulses", "fan1"): 2.0,
        key("node_hwmon_sensor_label", "freq1", label="sclk"): 1.0,
        key("node_hwmon_freq_freq_mhz", "sclk"): 1500.0,
        key("node_hwmon_pwm", "pwm1"): 128.0,
        key("node_hwmon_pwm_enable", "pwm1"): 2.0,
        key("node_hwmon_intrusion_alarm", "intrusion0"): 0.0,
        key("node_hwmon_beep_enabled", "beep_enable0"): 1.0,
        key("node_hwmon_update_interval_seconds", "update_interval0"): 2.0,
        key("node_hwmon_voltage_regulator_version", "vrm0"): 9.1,
    }
    helps = {f.name: f.documentation for f in out.families()}
    assert helps["node_hwmon_temp_celsius"] == "Hardware monitor for temperature (input)"
    assert helps["node_hwmon_fan_pulses"] == "Hardware monitor fan element pulses"
    assert helps["node_hwmon_pwm"] == "Hardware monitor pwm element "
    assert helps["node_hwmon_temp_fault"] == "Hardware sensor fault status (temp)"
    assert {f.name: f.type for f in out.families()}["node_hwmon_energy_joule"] == "counter"
