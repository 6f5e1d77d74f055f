
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree


def test_buddyinfo_from_fixture() -> None:
    families = run_collector("buddyinfo", fixture_paths("buddyinfo"))
    assert by_name(families)["node_buddyinfo_blocks"].type == "gauge"
    assert sample(families, "node_buddyinfo_blocks", node="0", zone="DMA", size="0") == 3
    assert sample(families, "node_buddyinfo_blocks", node="0", zone="Normal", size="2") == 25
    assert sample(families, "node_buddyinfo_blocks", node="1", zone="Normal", size="1") == 0
    assert len(samples(families)) == 9


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("buddyinfo", Paths.under(str(tmp_path)))


def test_malformed_file_is_a_collector_error(tmp_path) -> None:
    paths = write_tree(tmp_path, {"proc/buddyinfo": "Node 0, zone DMA 1 2\nNode 0, zone Normal 1\n"})
    with pytest.raises(CollectorError):
        run_collector("buddyinfo", paths)
