import os
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import SHARED_FIXTURES, fixture_paths, run_collector, samples, write_tree


def _labels(device: str, swap_type: str) -> frozenset[tuple[str, str]]:
    return frozenset({("device", device), ("swap_type", swap_type)})


def test_swap_from_fixture() -> None:
    """swapCollector.Update: size and used in bytes (KiB * 1024), priority as written."""
    families = run_collector("swap", fixture_paths("swap"))
    dm, swapfile = _labels("/dev/dm-1", "partition"), _labels("/swapfile", "file")
    zram = _labels("/dev/zram0", "partition")
    assert samples(families) == {
        ("node_swap_size_bytes", dm): 8388604 * 1024,
        ("node_swap_size_bytes", swapfile): 2097148 * 1024,
        ("node_swap_size_bytes", zram): 16777212 * 1024,
        ("node_swap_used_bytes", dm): 131072 * 1024,
        ("node_swap_used_bytes", swapfile): 0,
        ("node_swap_used_bytes", zram): 76 * 1024,
        ("node_swap_priority", dm): -2,
        ("node_swap_priority", swapfile): 10,
        ("node_swap_priority", zram): 100,
    }
    assert [(f.name, f.type, f.documentation) for f in families] == [
        ("node_swap_size_bytes", "gauge", "Swap device size in bytes."),
        ("node_swap_used_bytes", "gauge", "Swap device used in bytes."),
        ("node_swap_priority", "gauge", "Swap device priority."),
    ]


def test_swap_on_node_exporter_fixture() -> None:
    """node_exporter's own proc/swaps (its e2e run does not enable swap): one zram device."""
    if not os.path.isfile(os.path.join(SHARED_FIXTURES, "proc", "swaps")):
        pytest.skip("node_exporter's fixtures are not available")
    families = run_collector("swap", Paths.under(SHARED_FIXTURES))
    zram = _labels("/dev/zram0", "partition")
    assert samples(families) == {
        ("node_swap_size_bytes", zram): 8589930496.0,
        ("node_swap_used_bytes", zram): 77824.0,
        ("node_swap_priority", zram): 100.0,
    }


def test_no_swap_devices(tmp_path: Path) -> None:
    """A host without active swap: the header only, nothing reported, success."""
    root = write_tree(tmp_path, {"proc/swaps": "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"})
    assert run_collector("swap", root) == []


def test_missing_proc_swaps_fails(tmp_path: Path) -> None:
    """fs.Swaps' error is returned as is (not ErrNoData): a kernel without CONFIG_SWAP fails."""
    (tmp_path / "proc").mkdir()
    with pytest.raises(CollectorError) as info:
        run_collector("swap", Paths.under(str(tmp_path)))
    assert not isinstance(info.value, NoDataError)


def test_malformed_line_fails(tmp_path: Path) -> None:
    """parseSwapString's error fails the whole collector, the good lines included."""
    text = "Filename Type Size Used Priority\n/dev/sda2 partition 10 1 -2\n/dev/sdb2 partition\n"
    root = write_tree(tmp_path, {"proc/swaps": text})
    with pytest.raises(CollectorError, match="too few fields"):
        run_collector("swap", root)
