import os
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample, write_tree


def test_mdadm_from_fixture() -> None:
    families = run_collector("mdadm", fixture_paths("mdadm"))
    assert sample(families, "node_md_disks_required", device="md1") == 2
    assert sample(families, "node_md_disks", device="md1", state="active") == 1
    assert sample(families, "node_md_disks", device="md1", state="failed") == 1
    assert sample(families, "node_md_disks", device="md1", state="spare") == 1
    assert sample(families, "node_md_state", device="md1", state="recovering") == 1
    assert sample(families, "node_md_state", device="md1", state="active") == 0
    assert sample(families, "node_md_blocks_synced", device="md1") == 131072
    assert sample(families, "node_md_disks", device="md0", state="active") == 2
    assert sample(families, "node_md_blocks", device="md0") == 2097152
    assert sample(families, "node_md_state", device="md2", state="inactive") == 1
    assert sample(families, "node_md_disks_required", device="md2") == 0
    assert sample(families, "node_md_raid_disks", device="md0") == 2
    assert sample(families, "node_md_degraded", device="md0") == 0
    assert sample(families, "node_md_degraded", device="md1") == 1
    assert {f.type for f in families} == {"gauge"}
    assert set(by_name(families)) == {
        "node_md_disks_required", "node_md_disks", "node_md_state", "node_md_blocks",
        "node_md_blocks_synced", "node_md_raid_disks", "node_md_degraded",
    }


def test_absent_md_yields_nothing(tmp_path: Path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("mdadm", Paths.under(str(tmp_path)))


def test_malformed_mdstat_fails(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "mdstat").write_text("md0 : active raid1 sda[0]\n      junk\n\n\n")
    with pytest.raises(Exception, match="status line"):
        run_collector("mdadm", Paths.under(str(tmp_path)))


MDSTAT_ONE = "md0 : active raid1 sda[0] sdb[1]\n      1024 blocks super 1.2 [2/2] [UU]\n\n\n"


def _md_tree(tmp_path: Path, raid_disks: str, degraded: str | None, level: str = "raid1",
             extra: dict[str, str] | None = None) -> Paths:
    """A /sys/block/md0/md as sysfs's Mdraids reads it, plus a one-array /proc/mdstat."""
    files = {
        "proc/mdstat": MDSTAT_ONE,
        "sys/block/md0/md/level": level + "\n",
        "sys/block/md0/md/array_state": "clean\n",
        "sys/block/md0/md/metadata_version": "1.2\n",
        "sys/block/md0/md/raid_disks": raid_disks,
        "sys/block/md0/md/uuid": "u\n",
        "sys/block/md0/md/dev-sda/state": "in_sync\n",
        "sys/block/md0/md/sync_action": "idle\n",
        "sys/block/md0/md/sync_completed": "none\n",
        "sys/block/md0/md/chunk_size": "524288\n",
    }
    if degraded is not None:
        files["sys/block/md0/md/degraded"] = degraded
    files.update(extra or {})
    return write_tree(tmp_path, files)


def test_sysfs_counts_as_read_uint_from_file(tmp_path: Path) -> None:
    """sysfs Mdraids: raid_disks and degraded as util.ReadUintFromFile reads them (trimmed)."""
    families = run_collector("mdadm", _md_tree(tmp_path, " 4\n", "0\n"))
    assert sample(families, "node_md_raid_disks", device="md0") == 4
    assert sample(families, "node_md_degraded", device="md0") == 0


@pytest.mark.parametrize(("raid_disks", "degraded"), [
    ("\n", "0\n"), ("+2\n", "0\n"), ("2\n", "-1\n"), ("2\n", ""), ("2\n", None),
    ("11 10\n", "0\n"), ("11 (x)\n", "0\n"),
])
def test_sysfs_counts_go_refuses_fail(tmp_path: Path, raid_disks: str, degraded: str | None) -> None:
    """sysfs Mdraids / ReadUintFromFile: the trimmed file as strconv.ParseUint(x, 10, 64); empty
    is an error, and degraded is required for raid1/4/5/6/10."""
    with pytest.raises(CollectorError):
        run_collector("mdadm", _md_tree(tmp_path, raid_disks, degraded))


def test_raid_disks_during_reshape(tmp_path: Path) -> None:
    """md raid_disks reads `11 (10)` while a reshape grows an array from 10 to 11 disks
    (sysfs Mdraids; node_exporter issue #3528): the new count, and the collector works."""
    families = run_collector("mdadm", _md_tree(tmp_path, "11 (10)\n", "0\n", level="raid6"))
    assert sample(families, "node_md_raid_disks", device="md0") == 11
    assert sample(families, "node_md_disks_required", device="md0") == 2


@pytest.mark.parametrize("level", ["container", "imsm", "ddf"])
def test_container_has_no_raid_disks(tmp_path: Path, level: str) -> None:
    """sysfs Mdraids (procfs #777): a container's raid_disks is not read (it may be empty) and
    Disks stays nil, so node_exporter emits no node_md_raid_disks; degraded is 0."""
    families = run_collector("mdadm", _md_tree(tmp_path, "\n", None, level=level))
    assert not any(f.name == "node_md_raid_disks" for f in families)
    assert sample(families, "node_md_degraded", device="md0") == 0


def test_level_decides_degraded(tmp_path: Path) -> None:
    """sysfs Mdraids: degraded is read for raid1/4/5/6/10 only; raid0 and linear report 0."""
    families = run_collector("mdadm", _md_tree(tmp_path / "a", "2\n", "7\n", level="raid0"))
    assert sample(families, "node_md_degraded", device="md0") == 0
    families = run_collector("mdadm", _md_tree(tmp_path / "b", "2\n", None, level="linear"))
    assert sample(families, "node_md_degraded", device="md0") == 0


@pytest.mark.parametrize("missing", [
    "level", "array_state", "metadata_version", "uuid", "dev-sda/state", "sync_action",
    "sync_completed", "chunk_size",
])
def test_required_sysfs_files(tmp_path: Path, missing: str) -> None:
    """sysfs Mdraids returns an error for each required file that cannot be read."""
    root = _md_tree(tmp_path, "2\n", "0\n", level="raid5")
    os.remove(os.path.join(root.sysfs, "block/md0/md", missing))
    with pytest.raises(CollectorError):
        run_collector("mdadm", root)


@pytest.mark.parametrize(("value", "ok"), [
    ("none", True), ("1234 / 5678", True), ("1234/5678", True), ("delayed", True),
    ("1234", False), ("x / 1", False),
])
def test_sync_completed(tmp_path: Path, value: str, ok: bool) -> None:
    """sysfs Mdraids: sync_completed is `none` or fmt.Sscanf(val, "%d / %d"); the kernel's
    `delayed` (a resync waiting for another array) is accepted here, refused upstream."""
    root = _md_tree(tmp_path, "2\n", "0\n", extra={"sys/block/md0/md/sync_completed": value + "\n"})
    if ok:
        assert sample(run_collector("mdadm", root), "node_md_degraded", device="md0") == 0
    else:
        with pytest.raises(CollectorError):
            run_collector("mdadm", root)


def test_no_mdstat_reports_nothing(tmp_path: Path) -> None:
    """mdadm_linux.go Update: without /proc/mdstat it returns ErrNoData before reading sysfs."""
    root = _md_tree(tmp_path, "2\n", "0\n")
    os.remove(os.path.join(root.procfs, "mdstat"))
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("mdadm", root)


def test_empty_mdstat_no_families(tmp_path: Path) -> None:
    """An mdstat without arrays and no md devices: no families at all."""
    root = write_tree(tmp_path, {"proc/mdstat": "Personalities : \nunused devices: <none>\n"})
    assert run_collector("mdadm", root) == []
