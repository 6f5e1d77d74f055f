import pytest

from pyexporter.paths import Paths
from tests.helpers import fixture_paths, run_collector, sample


def test_bonding_from_fixture() -> None:
    families = run_collector("bonding", fixture_paths("bonding"))
    assert sample(families, "node_bonding_slaves", master="bond0") == 2
    assert sample(families, "node_bonding_active", master="bond0") == 1
    assert {f.type for f in families} == {"gauge"}


def test_absent_bonding_yields_nothing(tmp_path) -> None:
    assert run_collector("bonding", Paths.under(str(tmp_path))) == []


def test_master_without_slaves_file_fails(tmp_path) -> None:
    net = tmp_path / "sys" / "class" / "net"
    net.mkdir(parents=True)
    (net / "bonding_masters").write_text("bond7\n")
    with pytest.raises(OSError):
        run_collector("bonding", Paths.under(str(tmp_path)))
