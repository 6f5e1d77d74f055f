import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples


def test_filefd_from_fixture() -> None:
    families = run_collector("filefd", fixture_paths("filefd"))
    assert samples(families) == {
        ("node_filefd_allocated", frozenset()): 2048.0,
        ("node_filefd_maximum", frozenset()): 9223372036854775807.0,
    }
    assert {f.type for f in families} == {"gauge"}


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("filefd", Paths(procfs=str(tmp_path)))


def test_malformed_file(tmp_path) -> None:
    (tmp_path / "sys" / "fs").mkdir(parents=True)
    (tmp_path / "sys" / "fs" / "file-nr").write_text("garbage\n")
    with pytest.raises(CollectorError):
        run_collector("filefd", Paths(procfs=str(tmp_path)))
