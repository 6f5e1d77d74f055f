import os
import shutil
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import SHARED_FIXTURES, fixture_paths, run_collector, sample, samples, write_tree

STATES = ("connecting", "dead", "deleting", "live", "new", "resetting", "unknown")


def _path_states(families: list, subsystem: str, controller: str, transport: str) -> dict[str, float]:
    return {
        state: sample(families, "node_nvmesubsystem_path_state", subsystem=subsystem, controller=controller,
                      transport=transport, state=state)
        for state in STATES
    }


def _one_hot(state: str | None) -> dict[str, float]:
    return {s: 1.0 if s == state else 0.0 for s in STATES}


def test_nvmesubsystem_from_fixture() -> None:
    """nvmeSubsystemCollector.Update: one info sample per subsystem, a namespace_info sample per
    namespace block device (nvme0n1; nvme0c1n1, a path's hidden device, is neither namespace nor
    controller), seven path_state samples per controller (subsystem-notes is no subsystem)."""
    families = run_collector("nvmesubsystem", fixture_paths("nvmesubsystem"))
    assert [f.name for f in families] == [
        "node_nvmesubsystem_info", "node_nvmesubsystem_namespace_info", "node_nvmesubsystem_path_state",
        "node_nvmesubsystem_paths", "node_nvmesubsystem_paths_live",
    ]
    assert {dict(labels)["device"] for name, labels in samples(families)
            if name == "node_nvmesubsystem_namespace_info"} == {"nvme0n1"}
    assert {f.type for f in families} == {"gauge"}
    assert sample(families, "node_nvmesubsystem_info", subsystem="nvme-subsys0",
                  nqn="nqn.2014-08.org.nvmexpress:uuid:5a0d1a2b-0c3d-4e5f-8a9b-0c1d2e3f4a5b", model="Linux",
                  serial="8c3f2a1b9d0e7f6a", iopolicy="numa") == 1
    assert sample(families, "node_nvmesubsystem_info", subsystem="nvme-subsys1",
                  nqn="nqn.2014-08.com.example:array-7", model="Example Array 7000", serial="SN-0007",
                  iopolicy="round-robin") == 1
    assert _path_states(families, "nvme-subsys0", "nvme0", "tcp") == _one_hot("live")
    assert _path_states(families, "nvme-subsys0", "nvme1", "tcp") == _one_hot("connecting")
    # normalizeControllerState: `deleting (no IO)` is reported as deleting.
    assert _path_states(families, "nvme-subsys1", "nvme2", "fc") == _one_hot("deleting")
    assert _path_states(families, "nvme-subsys1", "nvme3", "fc") == _one_hot("dead")
    assert _path_states(families, "nvme-subsys1", "nvme4", "fc") == _one_hot("live")
    assert _path_states(families, "nvme-subsys1", "nvme5", "fc") == _one_hot("unknown")
    assert sum(1 for name, _ in samples(families) if name == "node_nvmesubsystem_path_state") == 6 * 7
    assert sample(families, "node_nvmesubsystem_paths", subsystem="nvme-subsys0") == 2
    assert sample(families, "node_nvmesubsystem_paths_live", subsystem="nvme-subsys0") == 1
    assert sample(families, "node_nvmesubsystem_paths", subsystem="nvme-subsys1") == 4
    assert sample(families, "node_nvmesubsystem_paths_live", subsystem="nvme-subsys1") == 1
    helps = {f.name: f.documentation for f in families}
    assert helps["node_nvmesubsystem_path_state"] == \
        "Current NVMe controller path state (1 for the current state, 0 for all others)."


def test_nvmesubsystem_on_node_exporter_fixture() -> None:
    """node_exporter's sys/class/nvme-subsystem (its e2e run does not enable the collector):
    four fc controllers, three live, nvme3 dead, as its TestNVMeSubsystemMetrics has them."""
    if not os.path.isdir(os.path.join(SHARED_FIXTURES, "sys", "class", "nvme-subsystem")):
        pytest.skip("node_exporter's fixtures are not available")
    families = run_collector("nvmesubsystem", Paths.under(SHARED_FIXTURES))
    assert sample(families, "node_nvmesubsystem_info", subsystem="nvme-subsys0",
                  nqn="nqn.2014-08.org.nvmexpress:uuid:a34c4f3a-0d6f-5cec-dead-beefcafebabe",
                  model="Dell PowerStore", serial="SN12345678", iopolicy="round-robin") == 1
    for ctrl in ("nvme0", "nvme1", "nvme2"):
        assert _path_states(families, "nvme-subsys0", ctrl, "fc") == _one_hot("live")
    assert _path_states(families, "nvme-subsys0", "nvme3", "fc") == _one_hot("dead")
    assert sample(families, "node_nvmesubsystem_namespace_info", subsystem="nvme-subsys0", device="nvme0n1") == 1
    assert sample(families, "node_nvmesubsystem_paths", subsystem="nvme-subsys0") == 4
    assert sample(families, "node_nvmesubsystem_paths_live", subsystem="nvme-subsys0") == 3


def test_no_class_is_no_data(tmp_path: Path) -> None:
    """Update: os.ErrNotExist from NVMeSubsystemClass is ErrNoData."""
    with pytest.raises(NoDataError):
        run_collector("nvmesubsystem", Paths.under(str(tmp_path)))


def test_empty_class_is_success_with_nothing(tmp_path: Path) -> None:
    (tmp_path / "class" / "nvme-subsystem").mkdir(parents=True)
    assert run_collector("nvmesubsystem", Paths(sysfs=str(tmp_path))) == []


@pytest.mark.parametrize("missing", ["nvme-subsys1/iopolicy", "nvme-subsys1/nvme4/address", "nvme-subsys0/nvme1/state"])
def test_missing_attribute_is_no_data(tmp_path: Path, missing: str) -> None:
    """parseNVMeSubsystem/parseNVMeSubsystemController wrap the read error with %w, so a missing
    attribute anywhere is os.ErrNotExist to Update: ErrNoData, nothing at all."""
    shutil.copytree(fixture_paths("nvmesubsystem").sys(), tmp_path, dirs_exist_ok=True)
    os.remove(tmp_path / "class" / "nvme-subsystem" / missing)
    with pytest.raises(NoDataError, match=os.path.basename(missing)):
        run_collector("nvmesubsystem", Paths(sysfs=str(tmp_path)))


def test_other_read_error_fails(tmp_path: Path) -> None:
    """A plain file named nvme-subsys*: reading nvme-subsys9/subsysnqn is ENOTDIR, neither
    ErrNotExist nor ErrPermission, so the collector fails (not ErrNoData)."""
    root = write_tree(tmp_path, {"sys/class/nvme-subsystem/nvme-subsys9": "stray\n"})
    with pytest.raises(CollectorError) as info:
        run_collector("nvmesubsystem", root)
    assert not isinstance(info.value, NoDataError)


def test_attribute_directory_fails(tmp_path: Path) -> None:
    """Reading a directory where an attribute belongs is EISDIR: a failure, not ErrNoData."""
    shutil.copytree(fixture_paths("nvmesubsystem").sys(), tmp_path, dirs_exist_ok=True)
    model = tmp_path / "class" / "nvme-subsystem" / "nvme-subsys0" / "model"
    model.unlink()
    model.mkdir()
    with pytest.raises(CollectorError) as info:
        run_collector("nvmesubsystem", Paths(sysfs=str(tmp_path)))
    assert not isinstance(info.value, NoDataError)


def test_unreadable_attribute_is_no_data(tmp_path: Path) -> None:
    """os.ErrPermission is ErrNoData as well."""
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    shutil.copytree(fixture_paths("nvmesubsystem").sys(), tmp_path, dirs_exist_ok=True)
    os.chmod(tmp_path / "class" / "nvme-subsystem" / "nvme-subsys0" / "serial", 0)
    with pytest.raises(NoDataError):
        run_collector("nvmesubsystem", Paths(sysfs=str(tmp_path)))


def test_subsystem_without_controllers(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        f"sys/class/nvme-subsystem/nvme-subsys3/{attr}": f"{value}\n"
        for attr, value in (("subsysnqn", "nqn.x"), ("model", "M"), ("serial", "S"), ("iopolicy", "numa"))
    })
    families = run_collector("nvmesubsystem", root)
    assert samples(families) == {
        ("node_nvmesubsystem_info", frozenset({("subsystem", "nvme-subsys3"), ("nqn", "nqn.x"), ("model", "M"),
                                               ("serial", "S"), ("iopolicy", "numa")})): 1,
        ("node_nvmesubsystem_paths", frozenset({("subsystem", "nvme-subsys3")})): 0,
        ("node_nvmesubsystem_paths_live", frozenset({("subsystem", "nvme-subsys3")})): 0,
    }
