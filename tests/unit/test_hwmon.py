from pyexporter.collectors.hwmon import (
    SensorFile,
    clean_name,
    explode_sensor_filename,
    parse_go_float,
    resolve_sysfs_path,
)


def test_explode_sensor_filename() -> None:
    assert explode_sensor_filename("temp1_crit_alarm") == SensorFile("temp", 1, "crit_alarm")
    assert explode_sensor_filename("beep_enable") == SensorFile("beep_enable", 0, "")
    assert explode_sensor_filename("in0_input") == SensorFile("in", 0, "input")
    assert explode_sensor_filename("") is None
    assert explode_sensor_filename("123") is None


def test_clean_name() -> None:
    assert clean_name("Core 0\n") == "core_0"
    assert clean_name("applesmc.768") == "applesmc_768"
    assert clean_name("__") == ""


def test_parse_go_float() -> None:
    assert parse_go_float("45000") == 45000.0
    assert parse_go_float("-1.5e3") == -1500.0
    assert parse_go_float("") is None
    assert parse_go_float("1_000") is None
    assert parse_go_float("12abc") is None


def test_resolve_follows_link_files(tmp_path) -> None:
    # Fixture trees unpacked without symlinks keep each link as a file holding its target.
    (tmp_path / "devices" / "dev0").mkdir(parents=True)
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "dev0").write_text("../devices/dev0")
    assert resolve_sysfs_path(str(tmp_path / "class" / "dev0")) == str(tmp_path / "devices" / "dev0")
    (tmp_path / "class" / "plain").write_text("bond0 bond1\n")
    assert resolve_sysfs_path(str(tmp_path / "class" / "plain")) == str(tmp_path / "class" / "plain")
