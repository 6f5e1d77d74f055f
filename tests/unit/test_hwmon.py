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
