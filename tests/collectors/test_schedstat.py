import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
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


def test_malformed_file(tmp_path) -> None:
    (tmp_path / "schedstat").write_text("version 15\ncpu0 1 2\n")
    with pytest.raises(CollectorError):
        run_collector("schedstat", Paths(procfs=str(tmp_path)))
