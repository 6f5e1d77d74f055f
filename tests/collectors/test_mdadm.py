import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample


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


def test_absent_md_yields_nothing(tmp_path) -> None:
    assert run_collector("mdadm", Paths.under(str(tmp_path))) == []


def test_malformed_mdstat_fails(tmp_path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "mdstat").write_text("md0 : active raid1 sda[0]\n      junk\n\n\n")
    with pytest.raises(Exception, match="status line"):
        run_collector("mdadm", Paths.under(str(tmp_path)))


def _md_tree(tmp_path, raid_disks: str, degraded: str | None) -> Paths:
    md = tmp_path / "sys" / "block" / "md0" / "md"
    md.mkdir(parents=True)
    (md / "raid_disks").write_text(raid_disks)
    if degraded is not None:
        (md / "degraded").write_text(degraded)
    return Paths.under(str(tmp_path))


def test_sysfs_counts_as_read_uint_from_file(tmp_path) -> None:
    families = run_collector("mdadm", _md_tree(tmp_path, " 4\n", None))
    assert sample(families, "node_md_raid_disks", device="md0") == 4
    assert sample(families, "node_md_degraded", device="md0") == 0


@pytest.mark.parametrize(("raid_disks", "degraded"), [("\n", "0\n"), ("+2\n", "0\n"), ("2\n", "-1\n"), ("2\n", "")])
def test_sysfs_counts_go_refuses_fail(tmp_path, raid_disks: str, degraded: str) -> None:
    # sysfs's ReadUintFromFile: the trimmed file as strconv.ParseUint(x, 10, 64); empty is an error.
    with pytest.raises(CollectorError):
        run_collector("mdadm", _md_tree(tmp_path, raid_disks, degraded))
