import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample


def test_kernel_hung_from_fixture() -> None:
    families = run_collector("kernel_hung", fixture_paths("kernel_hung"))
    assert sample(families, "node_kernel_hung_tasks_total") == 7.0
    assert by_name(families)["node_kernel_hung_tasks_total"].type == "counter"


def test_absent_file_is_no_data(tmp_path) -> None:
    """kernelHungCollector.Update: no hung_task_detect_count is ErrNoData."""
    with pytest.raises(NoDataError):
        run_collector("kernel_hung", Paths(procfs=str(tmp_path)))


def test_malformed_file(tmp_path) -> None:
    (tmp_path / "sys" / "kernel").mkdir(parents=True)
    (tmp_path / "sys" / "kernel" / "hung_task_detect_count").write_text("many\n")
    with pytest.raises(CollectorError):
        run_collector("kernel_hung", Paths(procfs=str(tmp_path)))
