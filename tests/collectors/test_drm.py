import errno
import os
import shutil
from pathlib import Path

import pytest

import pyexporter.collectors.drm as drm
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples, write_tree

C0 = frozenset({("card", "card0")})
C1 = frozenset({("card", "card1")})


def test_drm_from_fixture() -> None:
    """updateAMDCards on card0 (amdgpu) and card1 (i915): card1 is reported with zeros and
    vendor="amd" as node_exporter reports it; card10, card0-DP-1 and renderD128 are not
    matched by the glob card[0-9]."""
    families = run_collector("drm", fixture_paths("drm"))
    assert samples(families) == {
        ("node_drm_card_info", frozenset({("card", "card0"), ("memory_vendor", "samsung"),
                                          ("power_performance_level", "manual"),
                                          ("unique_id", "0123456789abcdef"), ("vendor", "amd")})): 1,
        ("node_drm_card_info", frozenset({("card", "card1"), ("memory_vendor", ""), ("power_performance_level", ""),
                                          ("unique_id", ""), ("vendor", "amd")})): 1,
        ("node_drm_gpu_busy_percent", C0): 4,
        ("node_drm_gpu_busy_percent", C1): 0,
        ("node_drm_memory_gtt_size_bytes", C0): 8573157376,
        ("node_drm_memory_gtt_size_bytes", C1): 0,
        ("node_drm_memory_gtt_used_bytes", C0): 144560128,
        ("node_drm_memory_gtt_used_bytes", C1): 0,
        ("node_drm_memory_vram_size_bytes", C0): 8573157376,
        ("node_drm_memory_vram_size_bytes", C1): 0,
        ("node_drm_memory_vram_used_bytes", C0): 1490378752,
        ("node_drm_memory_vram_used_bytes", C1): 0,
        ("node_drm_memory_vis_vram_size_bytes", C0): 268435456,
        ("node_drm_memory_vis_vram_size_bytes", C1): 0,
        ("node_drm_memory_vis_vram_used_bytes", C0): 0x5AD5B000,  # written in hex, ParseUint base 0
        ("node_drm_memory_vis_vram_used_bytes", C1): 0,
    }
    assert {f.type for f in families} == {"gauge"}
    helps = {f.name: f.documentation for f in families}
    assert helps["node_drm_card_info"] == "Card information"
    assert helps["node_drm_memory_gtt_used_bytes"] == \
        "The used amount of the graphics translation table (GTT) block in bytes."


def test_no_drm_class_is_success_with_nothing(tmp_path: Path) -> None:
    """filepath.Glob finds no card: no stats, Update returns nil (not ErrNoData)."""
    assert run_collector("drm", Paths.under(str(tmp_path))) == []
    (tmp_path / "sys" / "class" / "drm").mkdir(parents=True)
    assert run_collector("drm", Paths.under(str(tmp_path))) == []


def test_card_without_uevent_fails(tmp_path: Path) -> None:
    """parseClassDRMAMDGPUCard: a uevent read error other than ENODATA is returned (1.5.0 too:
    `collector failed ... open .../device/uevent: no such file or directory`)."""
    root = write_tree(tmp_path, {"sys/class/drm/card0/device/gpu_busy_percent": "3\n"})
    with pytest.raises(CollectorError, match="uevent"):
        run_collector("drm", root)


def test_enodata_uevent_skips_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ClassDRMCardAMDGPUStats: errors.Is(err, syscall.ENODATA) skips the card."""
    shutil.copytree(fixture_paths("drm").sys(), tmp_path, dirs_exist_ok=True)
    real = drm.sys_read_file

    def reader(path: str, size: int = 4096) -> str:
        if path.endswith(os.path.join("card0", "device", "uevent")):
            raise OSError(errno.ENODATA, "No data available", path)
        return real(path, size)

    monkeypatch.setattr(drm, "sys_read_file", reader)
    families = run_collector("drm", Paths(sysfs=str(tmp_path)))
    assert {labels for name, labels in samples(families) if name == "node_drm_gpu_busy_percent"} == {C1}


def test_unreadable_attributes_are_zero(tmp_path: Path) -> None:
    """readDRMCardField errors are dropped: the field keeps 0 (or "")."""
    device = tmp_path / "class" / "drm" / "card3" / "device"
    device.mkdir(parents=True)
    (device / "uevent").write_text("DRIVER=amdgpu\n")
    (device / "gpu_busy_percent").write_text("12\n")
    (device / "mem_info_vram_total").mkdir()  # EISDIR when read: dropped as well
    got = samples(run_collector("drm", Paths(sysfs=str(tmp_path))))
    card3 = frozenset({("card", "card3")})
    assert got[("node_drm_gpu_busy_percent", card3)] == 12
    assert got[("node_drm_memory_vram_size_bytes", card3)] == 0


def test_malformed_number_fails(tmp_path: Path) -> None:
    """A value PUInt64 refuses: node_exporter dereferences nil and crashes (seen with 1.5.0);
    here the collector fails alone."""
    shutil.copytree(fixture_paths("drm").sys(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "class" / "drm" / "card0" / "device" / "gpu_busy_percent").write_text("lots\n")
    with pytest.raises(CollectorError, match="gpu_busy_percent"):
        run_collector("drm", Paths(sysfs=str(tmp_path)))
