import pytest

from pyexporter.collectors.drm import AMDGPUStats, is_amdgpu, parse_card
from pyexporter.toolkit.collector import CollectorError

AMD_UEVENT = "DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_ID=1002:67DF"


def test_amdgpu_card() -> None:
    """parseClassDRMAMDGPUCard: each readable attribute in its field."""
    stats = parse_card("card0", AMD_UEVENT, {
        "gpu_busy_percent": "4", "mem_info_gtt_total": "8573157376", "mem_info_gtt_used": "144560128",
        "mem_info_vis_vram_total": "268435456", "mem_info_vis_vram_used": "1490378752",
        "mem_info_vram_total": "8573157376", "mem_info_vram_used": "1490378752",
        "mem_info_vram_vendor": "samsung", "power_dpm_force_performance_level": "manual",
        "unique_id": "0123456789abcdef",
    })
    assert stats == AMDGPUStats(
        "card0", 4, 8573157376, 144560128, 268435456, 1490378752, 8573157376, 1490378752,
        "samsung", "manual", "0123456789abcdef",
    )


def test_missing_attributes_are_zero_and_empty() -> None:
    assert parse_card("card0", AMD_UEVENT, {"gpu_busy_percent": "7"}) == AMDGPUStats("card0", gpu_busy_percent=7)


def test_other_driver_has_only_its_name() -> None:
    """parseClassDRMAMDGPUCard returns an empty struct for another driver; ClassDRMCardAMDGPUStats
    still appends it, named."""
    assert parse_card("card1", "DRIVER=i915", {"gpu_busy_percent": "50"}) == AMDGPUStats("card1")


@pytest.mark.parametrize(("uevent", "amd"), [
    ("DRIVER=amdgpu", True),
    ("PCI_CLASS=30000\nDRIVER=amdgpu", True),
    ("DRIVER=amdgpu_legacy", True),  # regexp.MatchString finds it anywhere
    ("XDRIVER=amdgpu", True),
    ("DRIVER=radeon", False),
    ("driver=amdgpu", False),
    ("", False),
])
def test_driver_match(uevent: str, amd: bool) -> None:
    assert is_amdgpu(uevent) is amd


@pytest.mark.parametrize(("text", "value"), [
    ("0x10", 16), ("010", 8), ("0b11", 3), ("0o17", 15), ("1_000", 1000), ("18446744073709551615", 2**64 - 1),
])
def test_numbers_base_0(text: str, value: int) -> None:
    """util.ValueParser.PUInt64: strconv.ParseUint(v, 0, 64)."""
    assert parse_card("card0", AMD_UEVENT, {"mem_info_vram_used": text}).memory_vram_used == value


@pytest.mark.parametrize("text", ["", "-1", "1.5", "lots", "18446744073709551616", "09", "1_"])
def test_bad_number_fails(text: str) -> None:
    """PUInt64 returns nil for these and procfs dereferences it (node_exporter panics); here the
    collector fails."""
    with pytest.raises(CollectorError, match="card0: mem_info_gtt_used"):
        parse_card("card0", AMD_UEVENT, {"mem_info_gtt_used": text})


def test_bad_number_of_other_driver_ignored() -> None:
    assert parse_card("card1", "DRIVER=nouveau", {"mem_info_gtt_used": "lots"}) == AMDGPUStats("card1")
