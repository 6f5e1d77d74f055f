import os
import shutil
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples, write_tree

W0 = frozenset({("name", "watchdog0")})


def test_watchdog_from_fixture() -> None:
    families = run_collector("watchdog", fixture_paths("watchdog"))
    assert samples(families) == {
        ("node_watchdog_bootstatus", W0): 32.0,
        ("node_watchdog_fw_version", W0): 16.0,
        ("node_watchdog_nowayout", W0): 1.0,
        ("node_watchdog_timeleft_seconds", W0): 45.0,
        ("node_watchdog_timeout_seconds", W0): 60.0,
        ("node_watchdog_pretimeout_seconds", W0): 0.0,
        (
            "node_watchdog_info",
            frozenset({("name", "watchdog0"), ("options", "0x8180"), ("identity", "iTCO_wdt"),
                       ("state", "inactive"), ("status", "0x0"), ("pretimeout_governor", "panic")}),
        ): 1.0,
        (
            "node_watchdog_info",
            frozenset({("name", "watchdog1"), ("options", ""), ("identity", "Software Watchdog"),
                       ("state", ""), ("status", ""), ("pretimeout_governor", "")}),
        ): 1.0,
    }
    assert {f.type for f in families} == {"gauge"}


def test_empty_device_directory_still_has_info(tmp_path: Path) -> None:
    (tmp_path / "class" / "watchdog" / "watchdog7").mkdir(parents=True)
    families = run_collector("watchdog", Paths(sysfs=str(tmp_path)))
    assert list(samples(families)) == [
        (
            "node_watchdog_info",
            frozenset({("name", "watchdog7"), ("options", ""), ("identity", ""), ("state", ""),
                       ("status", ""), ("pretimeout_governor", "")}),
        )
    ]


def test_malformed_number(tmp_path: Path) -> None:
    shutil.copytree(fixture_paths("watchdog").sys(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "class" / "watchdog" / "watchdog0" / "timeout").write_text("sixty\n")
    with pytest.raises(CollectorError):
        run_collector("watchdog", Paths(sysfs=str(tmp_path)))


def test_attribute_read_whole_and_trimmed_as_go(tmp_path: Path) -> None:
    # util.SysReadFile trims the whole attribute (Unicode white space, not \x1c); a second line
    # is part of the value, so the number is invalid as in Go.
    device = tmp_path / "class" / "watchdog" / "watchdog0"
    device.mkdir(parents=True)
    (device / "timeout").write_text("\u2003 30\n")
    assert samples(run_collector("watchdog", Paths(sysfs=str(tmp_path))))[
        ("node_watchdog_timeout_seconds", W0)] == 30.0
    for text in ("30\n31\n", "\x1c30\n"):
        (device / "timeout").write_text(text)
        with pytest.raises(CollectorError):
            run_collector("watchdog", Paths(sysfs=str(tmp_path)))


def test_non_directory_entry_fails(tmp_path: Path) -> None:
    """parseWatchdog: reading <entry>/bootstatus under a plain file is ENOTDIR, which is not
    os.IsNotExist, so WatchdogClass fails (and Update does not call it no data)."""
    root = write_tree(tmp_path, {"sys/class/watchdog/watchdog0": "not a directory\n"})
    with pytest.raises(CollectorError):
        run_collector("watchdog", root)


def test_unreadable_attribute_is_no_data(tmp_path: Path) -> None:
    """Update: os.ErrPermission from WatchdogClass is ErrNoData: nothing at all."""
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    root = write_tree(tmp_path, {"sys/class/watchdog/watchdog0/timeout": "60\n"})
    os.chmod(os.path.join(root.sysfs, "class/watchdog/watchdog0/timeout"), 0)
    assert run_collector("watchdog", root) == []


def test_no_watchdog_class_is_no_data(tmp_path) -> None:
    """watchdogCollector.Update: WatchdogClass's os.ErrNotExist is ErrNoData."""
    from pyexporter.toolkit.collector import NoDataError

    with pytest.raises(NoDataError):
        run_collector("watchdog", Paths.under(str(tmp_path)))
