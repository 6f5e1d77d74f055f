import pytest

from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree

OPTIONS = {
    "include": ["fs.file-nr", "fs.file-nr:total,current,max", "kernel.threads-max"],
    "include-info": ["kernel.seccomp.actions_avail", "net.ipv4.ip_forward"],
}


def test_sysctl_from_fixture() -> None:
    families = run_collector("sysctl", fixture_paths("sysctl"), OPTIONS)
    assert sample(families, "node_sysctl_fs_file_nr", index="0") == 2048
    assert sample(families, "node_sysctl_fs_file_nr", index="1") == 0
    assert sample(families, "node_sysctl_fs_file_nr", index="2") == 9223372036854775807
    assert sample(families, "node_sysctl_fs_file_nr_total") == 2048
    assert sample(families, "node_sysctl_fs_file_nr_current") == 0
    assert sample(families, "node_sysctl_fs_file_nr_max") == 9223372036854775807
    assert sample(families, "node_sysctl_kernel_threads_max") == 12345
    info = {labels: v for (name, labels), v in samples(families).items() if name == "node_sysctl_info"}
    assert info == {
        frozenset({("name", "kernel.seccomp.actions_avail"), ("value", "kill_process"), ("index", "0")}): 1,
        frozenset({("name", "kernel.seccomp.actions_avail"), ("value", "kill_thread"), ("index", "1")}): 1,
        frozenset({("name", "kernel.seccomp.actions_avail"), ("value", "allow"), ("index", "2")}): 1,
        frozenset({("name", "net.ipv4.ip_forward"), ("value", "1"), ("index", "0")}): 1,
    }
    named = by_name(families)
    assert named["node_sysctl_fs_file_nr_max"].documentation == "sysctl fs.file-nr, field 2"
    assert named["node_sysctl_kernel_threads_max"].documentation == "sysctl kernel.threads-max"
    assert named["node_sysctl_kernel_threads_max"].type == "unknown"
    assert named["node_sysctl_info"].type == "gauge"


def test_sysctl_nothing_selected() -> None:
    assert run_collector("sysctl", fixture_paths("sysctl")) == []


def test_sysctl_absent_sysctl_fails() -> None:
    with pytest.raises(OSError):
        run_collector("sysctl", fixture_paths("sysctl"), {"include": ["kernel.no_such_thing"]})


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"include": ["a.b"]}, "one\n"),
        ({"include": ["a.b"]}, "\n"),
        ({"include": ["a.b:x,y"]}, "1\n"),
        ({"include": ["a.b:x,y"]}, "1 2 3\n"),
        ({"include-info": ["a.b:x,y"]}, "p q\n"),
    ],
)
def test_sysctl_malformed(tmp_path, options: dict[str, list[str]], text: str) -> None:
    paths = write_tree(tmp_path, {"proc/sys/a/b": text})
    with pytest.raises(CollectorError):
        run_collector("sysctl", paths, options)
