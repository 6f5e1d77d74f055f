from pathlib import Path

import pytest

from pyexporter.collectors.bonding import count_slaves


def test_count_slaves(tmp_path: Path) -> None:
    (tmp_path / "bonding").mkdir()
    (tmp_path / "bonding" / "slaves").write_text("eth0 eth1\n")
    for prefix, slave, state in (("lower_", "eth0", "up\n"), ("slave_", "eth1", "up\n")):
        d = tmp_path / f"{prefix}{slave}" / "bonding_slave"
        d.mkdir(parents=True)
        (d / "mii_status").write_text(state)
    assert count_slaves(str(tmp_path)) == (2, 2)


def test_empty_slaves(tmp_path: Path) -> None:
    (tmp_path / "bonding").mkdir()
    (tmp_path / "bonding" / "slaves").write_text("\n")
    assert count_slaves(str(tmp_path)) == (0, 0)


def test_missing_slave_status_raises(tmp_path: Path) -> None:
    (tmp_path / "bonding").mkdir()
    (tmp_path / "bonding" / "slaves").write_text("eth9\n")
    with pytest.raises(OSError):
        count_slaves(str(tmp_path))
