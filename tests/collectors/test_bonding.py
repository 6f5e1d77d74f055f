from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import NoDataError
from tests.helpers import fixture_paths, run_collector, sample, write_tree


def test_bonding_from_fixture() -> None:
    families = run_collector("bonding", fixture_paths("bonding"))
    assert sample(families, "node_bonding_slaves", master="bond0") == 2
    assert sample(families, "node_bonding_active", master="bond0") == 1
    assert {f.type for f in families} == {"gauge"}


def test_absent_bonding_yields_nothing(tmp_path: Path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("bonding", Paths.under(str(tmp_path)))


def test_master_without_slaves_file_is_no_data(tmp_path: Path) -> None:
    net = tmp_path / "sys" / "class" / "net"
    net.mkdir(parents=True)
    (net / "bonding_masters").write_text("bond7\n")
    # node_exporter: a missing bonding/slaves is ErrNoData, not a failure.
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("bonding", Paths.under(str(tmp_path)))


def _bond_tree(tmp_path: Path, files: dict[str, str]) -> Paths:
    return write_tree(tmp_path, {"sys/class/net/bonding_masters": "bond0 bond1\n", **files})


BOND = {
    "sys/class/net/bond0/bonding/slaves": "eth0 eth1\n",
    "sys/class/net/bond0/lower_eth0/bonding_slave/mii_status": "up\n",
    # Older kernels link a slave as slave_<name> (readBondingStats' fallback).
    "sys/class/net/bond0/slave_eth1/bonding_slave/mii_status": "down\n",
    "sys/class/net/bond1/bonding/slaves": "\n",
}


def test_slave_prefixes_and_empty_master(tmp_path: Path) -> None:
    """readBondingStats: lower_<slave>, else slave_<slave>; a master without slaves is 0/0."""
    families = run_collector("bonding", _bond_tree(tmp_path, BOND))
    assert sample(families, "node_bonding_slaves", master="bond0") == 2
    assert sample(families, "node_bonding_active", master="bond0") == 1
    assert sample(families, "node_bonding_slaves", master="bond1") == 0
    assert sample(families, "node_bonding_active", master="bond1") == 0


@pytest.mark.parametrize("missing", [
    "sys/class/net/bond1/bonding/slaves", "sys/class/net/bond0/slave_eth1/bonding_slave/mii_status",
])
def test_missing_file_is_no_data(tmp_path: Path, missing: str) -> None:
    """Update: a missing file anywhere is ErrNoData: nothing for any master."""
    files = {k: v for k, v in BOND.items() if k != missing}
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("bonding", _bond_tree(tmp_path, files))


def test_duplicate_master_is_one_series(tmp_path: Path) -> None:
    """readBondingStats keeps a map by master name."""
    root = write_tree(tmp_path, {**BOND, "sys/class/net/bonding_masters": "bond0 bond0\n"})
    families = run_collector("bonding", root)
    assert len([s for f in families for s in f.samples if f.name == "node_bonding_slaves"]) == 1
