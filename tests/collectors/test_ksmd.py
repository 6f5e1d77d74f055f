import os
from pathlib import Path

import pytest

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.files import read_text
from tests.helpers import by_name, collect_as_scrape, fixture_paths, run_collector, sample, write_tree


def test_ksmd_from_fixture() -> None:
    families = run_collector("ksmd", fixture_paths("ksmd"))
    assert sample(families, "node_ksmd_full_scans_total") == 12
    assert sample(families, "node_ksmd_general_profit_bytes") == -4096
    assert sample(families, "node_ksmd_merge_across_nodes") == 1
    assert sample(families, "node_ksmd_pages_shared") == 3
    assert sample(families, "node_ksmd_pages_sharing") == 9
    assert sample(families, "node_ksmd_pages_to_scan") == 100
    assert sample(families, "node_ksmd_pages_unshared") == 2
    assert sample(families, "node_ksmd_pages_volatile") == 1
    assert sample(families, "node_ksmd_run") == 1
    assert sample(families, "node_ksmd_sleep_seconds") == 0.2
    types = {name: f.type for name, f in by_name(families).items()}
    assert types["node_ksmd_full_scans_total"] == "counter"
    assert types["node_ksmd_run"] == "gauge"
    assert len(families) == 10


def test_no_ksm_fails(tmp_path: Path) -> None:
    """ksmdCollector.Update returns readUintFromFile's error for full_scans when there is no
    kernel/mm/ksm at all (node_exporter 1.5 logs `open .../full_scans: no such file`)."""
    with pytest.raises(CollectorError, match="ksm"):
        run_collector("ksmd", write_tree(tmp_path, {"sys/kernel/mm/other": "1\n"}))


def test_older_kernel_without_general_profit(tmp_path: Path) -> None:
    files = {f"sys/kernel/mm/ksm/{name}": "1\n" for name in (
        "full_scans", "merge_across_nodes", "pages_shared", "pages_sharing", "pages_to_scan",
        "pages_unshared", "pages_volatile", "run", "sleep_millisecs")}
    families = run_collector("ksmd", write_tree(tmp_path, files))
    assert "node_ksmd_general_profit_bytes" not in by_name(families)
    assert len(families) == 9


def test_missing_required_file_raises(tmp_path: Path) -> None:
    paths = write_tree(tmp_path, {"sys/kernel/mm/ksm/general_profit": "1\n"})
    with pytest.raises(OSError):
        run_collector("ksmd", paths)


def test_malformed_file(tmp_path: Path) -> None:
    src = os.path.join(fixture_paths("ksmd").sysfs, "kernel", "mm", "ksm")
    files = {f"sys/kernel/mm/ksm/{n}": read_text(os.path.join(src, n)) for n in os.listdir(src)}
    files["sys/kernel/mm/ksm/run"] = "running\n"
    with pytest.raises(CollectorError):
        run_collector("ksmd", write_tree(tmp_path, files))


def test_a_bad_file_leaves_the_ones_before_it_served(tmp_path: Path) -> None:
    """node_exporter sends each ksm metric as it reads its file: when one fails, those read before
    it are still in the scrape."""
    src = os.path.join(fixture_paths("ksmd").sysfs, "kernel", "mm", "ksm")
    files = {f"sys/kernel/mm/ksm/{n}": read_text(os.path.join(src, n)) for n in os.listdir(src)}
    files["sys/kernel/mm/ksm/pages_shared"] = "\n"
    families, err = collect_as_scrape("ksmd", write_tree(tmp_path, files))
    assert isinstance(err, CollectorError)
    assert sample(families, "node_ksmd_full_scans_total") == 12
    assert sample(families, "node_ksmd_merge_across_nodes") == 1
    assert "node_ksmd_pages_shared" not in by_name(families)
