import pytest

from pyexporter.paths import Paths
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
