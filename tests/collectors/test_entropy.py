from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples


def test_entropy_from_fixture() -> None:
    families = run_collector("entropy", fixture_paths("entropy"))
    assert samples(families) == {
        ("node_entropy_available_bits", frozenset()): 256.0,
        ("node_entropy_pool_size_bits", frozenset()): 4096.0,
    }


def test_missing_files_are_a_collector_error(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        run_collector("entropy", Paths(procfs=str(tmp_path)))


def test_malformed_file(tmp_path: Path) -> None:
    random = tmp_path / "sys" / "kernel" / "random"
    random.mkdir(parents=True)
    (random / "entropy_avail").write_text("plenty\n")
    (random / "poolsize").write_text("4096\n")
    with pytest.raises(CollectorError):
        run_collector("entropy", Paths(procfs=str(tmp_path)))
