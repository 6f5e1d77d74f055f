import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import NoDataError
from tests.helpers import fixture_paths, run_collector, samples


def test_schedstat_from_fixture() -> None:
    families = run_collector("schedstat", fixture_paths("schedstat"))
    assert samples(families) == {
        ("node_schedstat_running_seconds_total", frozenset({("cpu", "0")})): 1.5,
        ("node_schedstat_running_seconds_total", frozenset({("cpu", "3")})): 3.0,
        ("node_schedstat_waiting_seconds_total", frozenset({("cpu", "0")})): 0.25,
        ("node_schedstat_waiting_seconds_total", frozenset({("cpu", "3")})): 0.0,
        ("node_schedstat_timeslices_total", frozenset({("cpu", "0")})): 77.0,
        ("node_schedstat_timeslices_total", frozenset({("cpu", "3")})): 5.0,
    }
    assert {f.type for f in families} == {"counter"}


def test_absent_file_is_no_data(tmp_path) -> None:
    """schedstatCollector.Update: os.ErrNotExist is ErrNoData."""
    with pytest.raises(NoDataError):
        run_collector("schedstat", Paths(procfs=str(tmp_path)))


def test_cpu_lines_procfs_does_not_match_are_left_out(tmp_path) -> None:
    """FS.Schedstat skips a truncated or tab-separated cpu line; Update then succeeds with the
    CPUs that did match, or with nothing at all."""
    (tmp_path / "schedstat").write_text("version 15\ncpu0 1 2\n")
    assert run_collector("schedstat", Paths(procfs=str(tmp_path))) == []
    (tmp_path / "schedstat").write_text(
        "version 15\ncpu0\t1\t0\t2\t3\t4\t5\t6\t7\t8\ncpu1 1 0 2 3 4 5 2000000000 0 9\n")
    assert samples(run_collector("schedstat", Paths(procfs=str(tmp_path)))) == {
        ("node_schedstat_running_seconds_total", frozenset({("cpu", "1")})): 2.0,
        ("node_schedstat_waiting_seconds_total", frozenset({("cpu", "1")})): 0.0,
        ("node_schedstat_timeslices_total", frozenset({("cpu", "1")})): 9.0,
    }
