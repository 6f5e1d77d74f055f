
import pytest

from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples, write_tree


def test_cgroups_from_fixture() -> None:
    families = run_collector("cgroups", fixture_paths("cgroups"))
    assert samples(families) == {
        ("node_cgroups_cgroups", frozenset({("subsys_name", "cpuset")})): 47,
        ("node_cgroups_cgroups", frozenset({("subsys_name", "memory")})): 234,
        ("node_cgroups_enabled", frozenset({("subsys_name", "cpuset")})): 1,
        ("node_cgroups_enabled", frozenset({("subsys_name", "memory")})): 0,
    }
    assert {f.type for f in families} == {"gauge"}


def test_cgroups_absent_fails_as_cgroup_summarys(tmp_path) -> None:
    # CgroupSummarys returns ReadFileNoStat's error: the collector fails.
    with pytest.raises(FileNotFoundError):
        run_collector("cgroups", write_tree(tmp_path, {"proc/stat": ""}))


def test_cgroups_header_only_gives_nothing(tmp_path) -> None:
    # parseCgroupSummary skips `#` lines; an extra column (a future kernel's) is ignored.
    paths = write_tree(tmp_path, {"proc/cgroups": "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"})
    assert run_collector("cgroups", paths) == []
    paths = write_tree(tmp_path, {"proc/cgroups": "#h\ncpu\t3\t172\t1\t9\n"})
    assert samples(run_collector("cgroups", paths))[
        ("node_cgroups_cgroups", frozenset({("subsys_name", "cpu")}))] == 172


def test_cgroups_malformed(tmp_path) -> None:
    paths = write_tree(tmp_path, {"proc/cgroups": "cpu 1 two 1\n"})
    with pytest.raises(CollectorError):
        run_collector("cgroups", paths)
