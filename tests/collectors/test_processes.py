import shutil

import pytest

from pyexporter.collectors import load_all
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples


def test_processes_from_fixture() -> None:
    families = run_collector("processes", fixture_paths("processes"))
    assert samples(families) == {
        ("node_processes_threads", frozenset()): 5.0,
        ("node_processes_max_threads", frozenset()): 7801.0,
        ("node_processes_state", frozenset({("state", "S")})): 1.0,
        ("node_processes_state", frozenset({("state", "R")})): 1.0,
        ("node_processes_state", frozenset({("state", "I")})): 1.0,
        ("node_processes_threads_state", frozenset({("thread_state", "S")})): 2.0,
        ("node_processes_threads_state", frozenset({("thread_state", "R")})): 1.0,
        ("node_processes_threads_state", frozenset({("thread_state", "D")})): 1.0,
        ("node_processes_pids", frozenset()): 3.0,
        ("node_processes_max_processes", frozenset()): 4194304.0,
    }
    assert {f.type for f in families} == {"gauge"}


def test_off_by_default() -> None:
    assert load_all()["processes"].default_enabled is False


def test_vanished_process_and_thread_are_skipped(tmp_path, monkeypatch) -> None:
    shutil.copytree(fixture_paths("processes").proc(), tmp_path, dirs_exist_ok=True)
    real_read = __import__("pyexporter.toolkit.files", fromlist=["read_bytes"]).read_bytes

    def flaky(path: str) -> bytes:
        if path.endswith("/100/stat"):
            raise FileNotFoundError(path)
        if path.endswith("/task/43/stat"):
            raise ProcessLookupError(3, "No such process")
        return real_read(path)

    monkeypatch.setattr("pyexporter.collectors.processes.read_bytes", flaky)
    values = samples(run_collector("processes", Paths(procfs=str(tmp_path))))
    assert values[("node_processes_pids", frozenset())] == 2.0
    assert ("node_processes_state", frozenset({("state", "I")})) not in values
    assert ("node_processes_threads_state", frozenset({("thread_state", "D")})) not in values


def test_missing_limits_raise(tmp_path) -> None:
    shutil.copytree(fixture_paths("processes").proc(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "sys" / "kernel" / "threads-max").unlink()
    with pytest.raises(OSError):
        list(run_collector("processes", Paths(procfs=str(tmp_path))))


def test_malformed_stat(tmp_path) -> None:
    (tmp_path / "5").mkdir()
    (tmp_path / "5" / "stat").write_text("5 garbage\n")
    with pytest.raises(CollectorError):
        run_collector("processes", Paths(procfs=str(tmp_path)))


@pytest.mark.parametrize("text", ["-1\n", "+5\n", "1_000\n", "\x1c5\n", "5\n6\n"])
def test_limits_read_as_read_uint_from_file(tmp_path, text: str) -> None:
    # node_exporter's readUintFromFile: strconv.ParseUint(strings.TrimSpace(file), 10, 64).
    shutil.copytree(fixture_paths("processes").proc(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "sys" / "kernel" / "pid_max").write_text(text)
    with pytest.raises(CollectorError, match=r"strconv\.ParseUint"):
        list(run_collector("processes", Paths(procfs=str(tmp_path))))
    (tmp_path / "sys" / "kernel" / "pid_max").write_text("\u2003 4194304 \n")
    values = samples(run_collector("processes", Paths(procfs=str(tmp_path))))
    assert values[("node_processes_max_processes", frozenset())] == 4194304
