import os
import shutil

import pytest

from pyexporter.collectors import load_all
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import NoDataError
from tests.helpers import fixture_paths, run_collector, samples


def test_dmi_from_fixture() -> None:
    families = run_collector("dmi", fixture_paths("dmi"))
    assert samples(families) == {
        (
            "node_dmi_info",
            frozenset({
                ("bios_date", "01/02/2023"),
                ("bios_vendor", "ACME Corp."),
                ("board_name", "X99"),
                ("chassis_asset_tag", ""),
                ("product_version", "\ufffd1.0\ufffd"),
                ("system_vendor", "ACME Corp."),
            }),
        ): 1.0
    }
    assert families[0].type == "gauge"


def test_read_once_at_start(tmp_path) -> None:
    shutil.copytree(fixture_paths("dmi").sys(), tmp_path, dirs_exist_ok=True)
    built = load_all()["dmi"].build(Paths(sysfs=str(tmp_path)))
    os.remove(tmp_path / "class" / "dmi" / "id" / "board_name")
    first, second = list(built.collect()), list(built.collect())
    assert samples(first) == samples(second)
    assert ("board_name", "X99") in next(iter(samples(second)))[1]


def test_read_again_when_the_boot_id_changes(tmp_path) -> None:
    # A process checkpointed and restored on another machine sees another boot id.
    sysfs, procfs = tmp_path / "sys", tmp_path / "proc"
    shutil.copytree(fixture_paths("dmi").sys(), sysfs)
    boot_id = procfs / "sys" / "kernel" / "random" / "boot_id"
    boot_id.parent.mkdir(parents=True)
    boot_id.write_text("6a92a6a0-a6c4-4880-92f3-703cc7a2a9f0\n")
    built = load_all()["dmi"].build(Paths(sysfs=str(sysfs), procfs=str(procfs)))
    (sysfs / "class" / "dmi" / "id" / "board_name").write_text("Y11\n")
    assert ("board_name", "X99") in next(iter(samples(list(built.collect()))))[1]
    boot_id.write_text("0b7a6c1e-0000-4000-8000-000000000000\n")
    assert ("board_name", "Y11") in next(iter(samples(list(built.collect()))))[1]
    fresh = load_all()["dmi"].build(Paths(sysfs=str(sysfs), procfs=str(procfs)))
    assert samples(list(built.collect())) == samples(list(fresh.collect()))


def test_absent_dmi_yields_nothing(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("dmi", Paths(sysfs=str(tmp_path)))


def test_unreadable_dmi_fails_each_scrape(monkeypatch) -> None:
    def broken(directory: str) -> dict[str, bytes]:
        raise OSError(5, "Input/output error", directory)

    monkeypatch.setattr("pyexporter.collectors.dmi.read_dmi", broken)
    built = load_all()["dmi"].build(fixture_paths("dmi"))
    for _ in range(2):
        with pytest.raises(OSError):
            list(built.collect())
