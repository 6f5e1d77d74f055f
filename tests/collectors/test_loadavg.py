import pytest

from pyexporter.collectors.loadavg import parse_loadavg
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, sample


def test_loadavg_from_fixture() -> None:
    families = run_collector("loadavg", fixture_paths("basic"))
    assert sample(families, "node_load1") == 0.21
    assert sample(families, "node_load5") == 0.37
    assert sample(families, "node_load15") == 0.39
    assert {f.type for f in families} == {"gauge"}


@pytest.mark.parametrize("text", ["", "0.1 0.2", "a b c 1/2 3"])
def test_malformed_loadavg_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_loadavg(text)


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("loadavg", Paths(procfs=str(tmp_path)))
