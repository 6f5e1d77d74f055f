import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree


def test_softirqs_from_fixture() -> None:
    families = run_collector("softirqs", fixture_paths("softirqs"))
    assert by_name(families)["node_softirqs_functions_total"].type == "counter"
    name = "node_softirqs_functions_total"
    assert sample(families, name, cpu="0", type="HI") == 1
    assert sample(families, name, cpu="2", type="TIMER") == 300
    assert sample(families, name, cpu="1", type="NET_RX") == 0
    assert sample(families, name, cpu="1", type="RCU") == 5000
    assert len(samples(families)) == 12  # NEWVEC is not one of node_exporter's vectors


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("softirqs", Paths.under(str(tmp_path)))


def test_malformed_file_is_a_collector_error(tmp_path) -> None:
    paths = write_tree(tmp_path, {"proc/softirqs": "   CPU0\n   HI:   seven\n"})
    with pytest.raises(CollectorError):
        run_collector("softirqs", paths)
