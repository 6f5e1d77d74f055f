import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, samples, write_tree

NAME = "node_cpu_vulnerabilities_info"


def test_vulnerabilities_from_fixture() -> None:
    families = run_collector("cpu_vulnerabilities", fixture_paths("cpu_vulnerabilities"))
    assert by_name(families)[NAME].type == "gauge"
    found = {
        (labels["codename"], labels["state"], labels["mitigation"]): value
        for (name, frozen), value in samples(families).items()
        if name == NAME
        for labels in [dict(frozen)]
    }
    assert found == {
        ("gather_data_sampling", "unknown", "No mitigations"): 1,
        ("mds", "vulnerable", "Clear CPU buffers attempted, no microcode; SMT vulnerable"): 1,
        ("meltdown", "not affected", ""): 1,
        ("spectre_v1", "mitigation", "__user pointer sanitization"): 1,
        ("srbds", "vulnerable", ""): 1,
    }


def test_absent_directory_yields_nothing(tmp_path) -> None:
    assert run_collector("cpu_vulnerabilities", Paths.under(str(tmp_path))) == []


def test_malformed_file_is_a_collector_error(tmp_path) -> None:
    paths = write_tree(tmp_path, {"sys/devices/system/cpu/vulnerabilities/mds": "who knows\n"})
    with pytest.raises(CollectorError):
        run_collector("cpu_vulnerabilities", paths)
