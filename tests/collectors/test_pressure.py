import errno
import os
import shutil
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, collect_as_scrape, fixture_paths, run_collector, sample, samples


def test_pressure_from_fixture() -> None:
    families = run_collector("pressure", fixture_paths("pressure"))
    assert samples(families) == {
        ("node_pressure_cpu_waiting_seconds_total", frozenset()): 2.5,
        ("node_pressure_io_waiting_seconds_total", frozenset()): 1.0,
        ("node_pressure_io_stalled_seconds_total", frozenset()): 0.5,
        ("node_pressure_memory_waiting_seconds_total", frozenset()): 0.25,
        ("node_pressure_memory_stalled_seconds_total", frozenset()): 0.125,
        ("node_pressure_irq_stalled_seconds_total", frozenset()): 0.0625,
    }
    assert {f.type for f in families} == {"counter"}
    assert by_name(families)["node_pressure_irq_stalled_seconds_total"].documentation == (
        "Total time in seconds no process could make progress due to IRQ congestion"
    )


def test_no_psi_is_no_data(tmp_path: Path) -> None:
    """pressureStatsCollector.Update: no resource file at all is ErrNoData."""
    with pytest.raises(NoDataError):
        run_collector("pressure", Paths(procfs=str(tmp_path)))


def test_kernel_before_irq_psi(tmp_path: Path) -> None:
    shutil.copytree(fixture_paths("pressure").proc(), tmp_path, dirs_exist_ok=True)
    os.remove(tmp_path / "pressure" / "irq")
    families = run_collector("pressure", Paths(procfs=str(tmp_path)))
    assert len(families) == 5
    assert sample(families, "node_pressure_cpu_waiting_seconds_total") == 2.5


def test_missing_full_line_stops_collection(tmp_path: Path) -> None:
    shutil.copytree(fixture_paths("pressure").proc(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "pressure" / "io").write_text("some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n")
    # pressureStatsCollector.Update: what was sent stays, then ErrNoData.
    families, failure = collect_as_scrape("pressure", Paths(procfs=str(tmp_path)))
    assert [f.name for f in families] == ["node_pressure_cpu_waiting_seconds"]
    assert isinstance(failure, NoDataError)


def test_psi_disabled_yields_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(path: str) -> str:
        raise OSError(errno.EOPNOTSUPP, "Operation not supported", path)

    monkeypatch.setattr("pyexporter.collectors.pressure.read_value_text", unsupported)
    # pressureStatsCollector.Update: ENOTSUP (booted without psi=1) is ErrNoData.
    families, failure = collect_as_scrape("pressure", fixture_paths("pressure"))
    assert families == [] and isinstance(failure, NoDataError)


def test_malformed_file(tmp_path: Path) -> None:
    (tmp_path / "pressure").mkdir()
    (tmp_path / "pressure" / "cpu").write_text("some avg10=garbage\n")
    with pytest.raises(CollectorError):
        run_collector("pressure", Paths(procfs=str(tmp_path)))


def test_cpu_full_line_of_newer_kernels_is_not_reported(tmp_path: Path) -> None:
    """pressureStatsCollector.Update: for `cpu` only Some.Total is sent; the `full` line Linux 5.13+
    prints in /proc/pressure/cpu is parsed (PSIStatsForResource) but never reported."""
    shutil.copytree(fixture_paths("pressure").proc(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "pressure" / "cpu").write_text(
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=3000000\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=7000000\n"
    )
    families = run_collector("pressure", Paths(procfs=str(tmp_path)))
    assert sample(families, "node_pressure_cpu_waiting_seconds_total") == 3.0
    assert "node_pressure_cpu_stalled_seconds_total" not in by_name(families)


def test_each_missing_resource_file_is_skipped_alone(tmp_path: Path) -> None:
    """Update (node_exporter 1.9+): os.ErrNotExist for one resource `continue`s to the next one
    (1.5 returned ErrNoData at the first missing file)."""
    shutil.copytree(fixture_paths("pressure").proc(), tmp_path, dirs_exist_ok=True)
    os.remove(tmp_path / "pressure" / "cpu")
    families = run_collector("pressure", Paths(procfs=str(tmp_path)))
    assert "node_pressure_cpu_waiting_seconds_total" not in by_name(families)
    assert sample(families, "node_pressure_io_stalled_seconds_total") == 0.5
    assert sample(families, "node_pressure_irq_stalled_seconds_total") == 0.0625


@pytest.mark.parametrize("line", [
    "some avg10=48.35 avg60=78.65 avg300=61.56 total=6964128531",
    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0",
    "some avg10=1e2 avg60=0.00 avg300=0.00 total=18446744073709551615",
    "some avg10=0.00 avg60=0.00 avg300=0.00 total=007 ",
    "full avg10=100.00 avg60=.5 avg300=5. total=1",
])
def test_usual_lines_parse_as_the_careful_path(line: str) -> None:
    """The fast path for the kernel's own form (_USUAL_PSI_LINE) gives what the strconv path gives."""
    from pyexporter.collectors import pressure

    careful = pressure._PSI_LINE.match(line)
    assert careful is not None
    expected = pressure.PSILine(*map(pressure.parse_float, careful.group(2, 3, 4)),
                                pressure.parse_uint(careful.group(5)))
    stats = pressure.parse_psi(line + "\n")
    assert (stats.some if line.startswith("some") else stats.full) == expected


def test_usual_line_out_of_range_total_fails() -> None:
    from pyexporter.collectors import pressure

    with pytest.raises(CollectorError):
        pressure.parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\n")
