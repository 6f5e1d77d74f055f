"""The container collector on cgroup v1 and v2 fixture trees (tests/fixtures/container), and live on
this machine's own cgroups.

The trees hold what a pid-sharing sidecar sees: its own process (pid 1, /proc/self) and the API's
two processes, each in a Docker cgroup; v1 has cpu and cpuacct co-mounted (`cpu,cpuacct`, with
the `cpu` and `cpuacct` links), v2 is the unified hierarchy, seen from the host's cgroup
namespace (v2/proc) and from a private one (v2/proc_private), where the API's cgroup reads
`/../docker-ID.scope`. The values follow cAdvisor's derivations (see the collector's docstring).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, exposition, fixture_paths, run_collector, samples, write_tree

API = "4f1c2a9e7b3d" + "0" * 52
EXPORTER = "9a8b7c6d5e4f" + "1" * 52
V1_API = f"/docker/{API}"
V1_EXPORTER = f"/docker/{EXPORTER}"
V2_API = f"/system.slice/docker-{API}.scope"
V2_EXPORTER = f"/system.slice/docker-{EXPORTER}.scope"


def _of(families: list, cgroup_id: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples of one cgroup, with its id and name labels left out."""
    found = {}
    for (name, labels), value in samples(families).items():
        label_map = dict(labels)
        if label_map.pop("id") == cgroup_id:
            label_map.pop("name")
            found[(name, frozenset(label_map.items()))] = value
    return found


NO_LABELS: frozenset[tuple[str, str]] = frozenset()


def test_v1_api_cgroup_gives_cadvisors_families() -> None:
    families = run_collector("container", fixture_paths("container/v1"))
    assert _of(families, V1_API) == {
        ("container_spec_cpu_period", NO_LABELS): 100000,
        ("container_spec_cpu_quota", NO_LABELS): 50000,
        ("container_spec_cpu_shares", NO_LABELS): 512,
        ("container_spec_memory_limit_bytes", NO_LABELS): 268435456,
        # cpuacct.stat is in USER_HZ ticks.
        ("container_cpu_user_seconds_total", NO_LABELS): 90.0,
        ("container_cpu_system_seconds_total", NO_LABELS): 20.0,
        ("container_cpu_usage_seconds_total", frozenset({("cpu", "total")})): 123.456789012,
        ("container_cpu_cfs_periods_total", NO_LABELS): 5000,
        ("container_cpu_cfs_throttled_periods_total", NO_LABELS): 1200,
        ("container_cpu_cfs_throttled_seconds_total", NO_LABELS): 34.567890123,
        # A hierarchical memory.stat: the total_* keys, not the cgroup's own.
        ("container_memory_cache", NO_LABELS): 20971520,
        ("container_memory_rss", NO_LABELS): 31457280,
        ("container_memory_swap", NO_LABELS): 1048576,
        ("container_memory_failcnt", NO_LABELS): 3,
        ("container_memory_usage_bytes", NO_LABELS): 52428800,
        # usage less total_inactive_file.
        ("container_memory_working_set_bytes", NO_LABELS): 52428800 - 12582912,
        ("container_oom_events_total", NO_LABELS): 2,
        # The CFQ file holds only `Total 0`, so the throttle file counts; 253:0 is unknown to sysfs.
        ("container_fs_reads_bytes_total", frozenset({("device", "/dev/sda")})): 4096000,
        ("container_fs_writes_bytes_total", frozenset({("device", "/dev/sda")})): 8192000,
        ("container_fs_reads_bytes_total", frozenset({("device", "")})): 1024,
        ("container_fs_writes_bytes_total", frozenset({("device", "")})): 0,
        ("container_processes", NO_LABELS): 2,
        ("container_threads", NO_LABELS): 14,
    }


def test_v1_cgroup_without_quota_or_limit() -> None:
    """No CPU quota: no container_spec_cpu_quota and no CFS families, as cAdvisor's condition;
    the kernel's unlimited memory (2^63 rounded to pages) is reported as 0, as specMemoryValue."""
    families = run_collector("container", fixture_paths("container/v1"))
    own = _of(families, V1_EXPORTER)
    assert ("container_spec_cpu_quota", NO_LABELS) not in own
    assert not any(name.startswith("container_cpu_cfs_") for name, _ in own)
    assert own[("container_spec_memory_limit_bytes", NO_LABELS)] == 0
    # Usage below inactive file: the working set is floored at 0.
    assert own[("container_memory_working_set_bytes", NO_LABELS)] == 0
    assert own[("container_cpu_usage_seconds_total", frozenset({("cpu", "total")}))] == 2.0


def test_one_series_set_per_cgroup_and_vanished_cgroups_skipped() -> None:
    families = run_collector("container", fixture_paths("container/v1"))
    ids = {dict(labels)["id"] for _, labels in samples(families)}
    # Pids 7 and 8 share the API's cgroup; pid 9's cgroup has gone.
    assert ids == {V1_API, V1_EXPORTER}
    assert {f.type for f in families} <= {"gauge", "counter"}


def test_families_are_cadvisors_names_and_types() -> None:
    text = exposition(run_collector("container", fixture_paths("container/v1")))
    assert "# TYPE container_memory_failcnt counter\n" in text
    assert f'container_memory_failcnt{{id="{V1_API}",name=""}} 3.0\n' in text
    assert "# TYPE container_cpu_usage_seconds_total counter\n" in text
    assert "# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.\n" in text
    assert "# TYPE container_memory_working_set_bytes gauge\n" in text
    assert "# HELP container_oom_events_total Count of out of memory events observed for the container\n" in text


V2_API_EXPECTED = {
    ("container_spec_cpu_period", NO_LABELS): 100000,
    ("container_spec_cpu_quota", NO_LABELS): 50000,
    # cpu.weight 39 (Docker's default 1024 shares) back to shares.
    ("container_spec_cpu_shares", NO_LABELS): 998,
    ("container_spec_memory_limit_bytes", NO_LABELS): 268435456,
    ("container_cpu_user_seconds_total", NO_LABELS): 70.0,
    ("container_cpu_system_seconds_total", NO_LABELS): 28.765432,
    ("container_cpu_usage_seconds_total", frozenset({("cpu", "total")})): 98.765432,
    ("container_cpu_cfs_periods_total", NO_LABELS): 4000,
    ("container_cpu_cfs_throttled_periods_total", NO_LABELS): 900,
    ("container_cpu_cfs_throttled_seconds_total", NO_LABELS): 25.0,
    ("container_memory_cache", NO_LABELS): 25165824,
    ("container_memory_rss", NO_LABELS): 41943040,
    ("container_memory_swap", NO_LABELS): 2097152,
    ("container_memory_usage_bytes", NO_LABELS): 73400320,
    ("container_memory_working_set_bytes", NO_LABELS): 73400320 - 8388608,
    # memory.events oom_kill, not `oom` (allocations that hit the limit).
    ("container_oom_events_total", NO_LABELS): 1,
    ("container_fs_reads_bytes_total", frozenset({("device", "/dev/sda")})): 4096000,
    ("container_fs_writes_bytes_total", frozenset({("device", "/dev/sda")})): 8192000,
    ("container_fs_reads_bytes_total", frozenset({("device", "/dev/dm-0")})): 1024,
    ("container_fs_writes_bytes_total", frozenset({("device", "/dev/dm-0")})): 0,
    ("container_pressure_cpu_waiting_seconds_total", NO_LABELS): 2.5,
    ("container_pressure_cpu_stalled_seconds_total", NO_LABELS): 1.2,
    ("container_pressure_memory_waiting_seconds_total", NO_LABELS): 0.003,
    ("container_pressure_memory_stalled_seconds_total", NO_LABELS): 0.001,
    ("container_pressure_io_waiting_seconds_total", NO_LABELS): 0.45,
    ("container_pressure_io_stalled_seconds_total", NO_LABELS): 0.4,
    ("container_processes", NO_LABELS): 2,
    ("container_threads", NO_LABELS): 9,
}


def test_v2_api_cgroup_gives_cadvisors_families() -> None:
    families = run_collector("container", fixture_paths("container/v2"))
    assert _of(families, V2_API) == V2_API_EXPECTED


def test_v2_without_failcnt_limit_or_cpu_full_line() -> None:
    families = run_collector("container", fixture_paths("container/v2"))
    own = _of(families, V2_EXPORTER)
    # v2 has no failcnt: left out, not 0.
    assert not any(name == "container_memory_failcnt" for name, _ in samples(families))
    assert own[("container_spec_memory_limit_bytes", NO_LABELS)] == 0  # memory.max "max"
    assert ("container_spec_cpu_quota", NO_LABELS) not in own  # cpu.max "max 100000"
    assert own[("container_spec_cpu_shares", NO_LABELS)] == 2597  # cpu.weight 100
    # A kernel before 5.13 writes no `full` line for cpu; no io.stat lines, no fs samples.
    assert ("container_pressure_cpu_waiting_seconds_total", NO_LABELS) in own
    assert ("container_pressure_cpu_stalled_seconds_total", NO_LABELS) not in own
    assert not any(name.startswith("container_fs_") for name, _ in own)


def test_v2_private_cgroup_namespace_is_resolved() -> None:
    """In its own cgroup namespace the exporter sees itself at "/" and the API at
    "/../docker-ID.scope"; both resolve to their host paths through the mounted hierarchy."""
    paths = dataclasses.replace(fixture_paths("container/v2"),
                                procfs=os.path.join(fixture_paths("container/v2").rootfs, "proc_private"))
    private = samples(run_collector("container", paths))
    host = samples(run_collector("container", fixture_paths("container/v2")))
    assert private == host
    assert {dict(labels)["id"] for _, labels in private} == {V2_API, V2_EXPORTER}


def test_relative_paths_without_the_exporter_in_the_tree_are_skipped(tmp_path: Path) -> None:
    """A namespace root that cannot be found (the exporter's cgroup is not in the mounted tree)
    leaves "/.." paths unresolved: those cgroups are skipped, never guessed."""
    tree = tmp_path / "v2"
    shutil.copytree(fixture_paths("container/v2").rootfs, tree, symlinks=True)
    (tree / f"sys/fs/cgroup{V2_EXPORTER}/cgroup.procs").write_text("")
    paths = dataclasses.replace(Paths.under(str(tree)), procfs=str(tree / "proc_private"))
    ids = {dict(labels)["id"] for _, labels in samples(run_collector("container", paths))}
    assert ids == {"/"}


def test_name_rules() -> None:
    paths = fixture_paths("container/v1")
    # A bare name: every cgroup but the exporter's own.
    families = run_collector("container", paths, {"name": ("server",)})
    names = {dict(labels)["id"]: dict(labels)["name"] for _, labels in samples(families)}
    assert names == {V1_API: "server", V1_EXPORTER: ""}
    # ID_REGEX=NAME rules, the first match winning.
    families = run_collector("container", paths, {"name": (f"/docker/{EXPORTER[:12]}.*=exporter", "/docker/.*=api")})
    names = {dict(labels)["id"]: dict(labels)["name"] for _, labels in samples(families)}
    assert names == {V1_API: "api", V1_EXPORTER: "exporter"}


def test_bad_name_rule_stops_start_up() -> None:
    with pytest.raises(FlagValueError, match=r"--collector\.container\.name"):
        run_collector("container", fixture_paths("container/v1"), {"name": ("(unclosed=api",)})


def test_name_from_environment(tmp_path: Path) -> None:
    tree = tmp_path / "v1"
    shutil.copytree(fixture_paths("container/v1").rootfs, tree, symlinks=True)
    (tree / "proc/7/environ").write_bytes(b"PATH=/usr/bin\0SERVICE_NAME=orders\0")
    families = run_collector("container", Paths.under(str(tree)), {"name-env": "SERVICE_NAME"})
    assert samples(families)[("container_processes", frozenset({("id", V1_API), ("name", "orders")}))] == 2


def test_cgroup_include_walks_the_hierarchy() -> None:
    families = run_collector("container", fixture_paths("container/v2"), {"cgroup-include": "/system.slice/.*"})
    assert {dict(labels)["id"] for _, labels in samples(families)} == {V2_API, V2_EXPORTER}
    families = run_collector("container", fixture_paths("container/v1"), {"cgroup-include": f"/docker/{API}"})
    assert _of(families, V1_API)[("container_threads", NO_LABELS)] == 14
    assert {dict(labels)["id"] for _, labels in samples(families)} == {V1_API}


def test_garbage_fails_the_collector_naming_the_cgroup(tmp_path: Path) -> None:
    tree = tmp_path / "v2"
    shutil.copytree(fixture_paths("container/v2").rootfs, tree, symlinks=True)
    (tree / f"sys/fs/cgroup{V2_API}/memory.stat").write_text("anon lots\n")
    with pytest.raises(CollectorError, match=f"cgroup {V2_API}.*memory.stat"):
        run_collector("container", Paths.under(str(tree)))


def test_no_cgroup_filesystem_fails(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "sys/fs/cgroup").mkdir(parents=True)
    with pytest.raises(CollectorError, match="no cgroup controller"):
        run_collector("container", Paths.under(str(tmp_path)))


def test_counters_are_typed_counters() -> None:
    families = by_name(run_collector("container", fixture_paths("container/v2")))
    assert families["container_cpu_usage_seconds_total"].type == "counter"
    assert families["container_oom_events_total"].type == "counter"
    assert families["container_memory_usage_bytes"].type == "gauge"


def test_v1_controllers_are_read_at_the_cgroups_own_path(tmp_path: Path) -> None:
    """A v1 cgroup is one path read in every hierarchy, as cAdvisor reads a container: a process
    whose memory cgroup lies elsewhere does not lend that cgroup's memory to the cpu path's id."""
    paths = write_tree(tmp_path, {
        "proc/1/cgroup": "3:memory:/a\n2:cpuacct:/\n1:cpu:/\n",
        "proc/2/cgroup": "3:memory:/\n2:cpuacct:/\n1:cpu:/\n",
        "sys/fs/cgroup/cpu/cgroup.procs": "1\n2\n",
        "sys/fs/cgroup/cpuacct/cgroup.procs": "1\n2\n",
        "sys/fs/cgroup/memory/cgroup.procs": "2\n",
        "sys/fs/cgroup/cpu/cpu.shares": "1024\n",
        "sys/fs/cgroup/cpuacct/cpuacct.usage": "1000000000\n",
        "sys/fs/cgroup/memory/memory.usage_in_bytes": "999999\n",
        "sys/fs/cgroup/memory/a/memory.usage_in_bytes": "111\n",
    })
    families = run_collector("container", paths)
    assert samples(families)[("container_memory_usage_bytes", frozenset({("id", "/"), ("name", "")}))] == 999999
    assert {dict(labels)["id"] for _, labels in samples(families)} == {"/"}


def test_v1_empty_co_mount_directories_are_no_hierarchy(tmp_path: Path) -> None:
    """systemd in a container given the host's cgroupfs read-write leaves empty directories such
    as `cpu,cpuacct` beside the real `cpu` and `cpuacct` mounts; only a directory holding
    cgroup.procs is a hierarchy, and a controller's own name comes first."""
    paths = write_tree(tmp_path, {
        "proc/1/cgroup": "2:cpuacct:/\n1:cpu:/\n",
        "sys/fs/cgroup/cpu/cgroup.procs": "1\n",
        "sys/fs/cgroup/cpu/cpu.shares": "1024\n",
        "sys/fs/cgroup/cpuacct/cgroup.procs": "1\n",
        "sys/fs/cgroup/cpuacct/cpuacct.usage": "2500000000\n",
        "sys/fs/cgroup/cpu,cpuacct/.left-behind": "",
    })
    families = run_collector("container", paths)
    labels = frozenset({("id", "/"), ("name", ""), ("cpu", "total")})
    assert samples(families)[("container_cpu_usage_seconds_total", labels)] == 2.5
