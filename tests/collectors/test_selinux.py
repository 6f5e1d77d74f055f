import pytest

from pyexporter.paths import Paths
from tests.helpers import fixture_paths, run_collector, samples


def test_selinux_enabled_from_fixture() -> None:
    families = run_collector("selinux", fixture_paths("selinux"))
    assert samples(families) == {
        ("node_selinux_enabled", frozenset()): 1.0,
        ("node_selinux_config_mode", frozenset()): 1.0,
        ("node_selinux_current_mode", frozenset()): 0.0,
    }
    assert {f.type for f in families} == {"gauge"}


def test_selinux_absent_reports_disabled(tmp_path) -> None:
    families = run_collector("selinux", Paths(procfs=str(tmp_path), sysfs=str(tmp_path), rootfs=str(tmp_path)))
    assert samples(families) == {("node_selinux_enabled", frozenset()): 0.0}


def test_kernel_context_means_disabled(tmp_path) -> None:
    (tmp_path / "self" / "attr").mkdir(parents=True)
    (tmp_path / "self" / "attr" / "current").write_text("kernel\x00")
    paths = fixture_paths("selinux")
    families = run_collector("selinux", Paths(procfs=str(tmp_path), sysfs=paths.sysfs, rootfs=paths.rootfs))
    assert samples(families) == {("node_selinux_enabled", frozenset()): 0.0}


def test_no_config_file_is_disabled_config(tmp_path) -> None:
    paths = fixture_paths("selinux")
    families = run_collector("selinux", Paths(procfs=str(tmp_path), sysfs=paths.sysfs, rootfs=str(tmp_path)))
    assert samples(families)[("node_selinux_config_mode", frozenset())] == -1.0


@pytest.mark.parametrize(("text", "mode"), [("maybe", -1.0), ("1\n", -1.0), ("1", 1.0)])
def test_enforce_read_as_go_selinux(tmp_path, text: str, mode: float) -> None:
    # EnforceMode reads the file whole and untrimmed through strconv.Atoi; -1 when Atoi refuses it.
    (tmp_path / "fs" / "selinux").mkdir(parents=True)
    (tmp_path / "fs" / "selinux" / "enforce").write_text(text)
    families = run_collector("selinux", Paths(procfs=str(tmp_path), sysfs=str(tmp_path), rootfs=str(tmp_path)))
    assert samples(families)[("node_selinux_current_mode", frozenset())] == mode
