import os
import shutil
from pathlib import Path

import pytest

from pyexporter.collectors import load_all
from pyexporter.collectors import namedprocess as module
from pyexporter.collectors.namedprocess import PAGE_SIZE
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import exposition, fixture_paths, run_collector, samples

BOOT = 1700000000

# Per group: (procs, resident pages, virtual, swapped, oldest start or None, fds, user s, system s,
#             read, write, major faults, minor faults, voluntary, nonvoluntary, threads, states R S D Z O)
FIXTURE_GROUPS = {
    "systemd": (1, 2507, 109604864, 128 * 1024, BOOT, 4, 0.36, 0.98,
                4096000, 8192000, 94, 9061, 2000, 300, 1, (0, 1, 0, 0, 0)),
    # no io file and no fd directory: neither is counted
    "kthreadd": (1, 0, 0, 0, BOOT, 0, 0.0, 0.12, 0, 0, 0, 0, 500, 5, 1, (0, 1, 0, 0, 0)),
    # two processes; the oldest started 1200 s after boot
    "python3": (2, 15000, 350000000, 64 * 1024, BOOT + 1200, 9, 3.0, 0.75,
                1500, 2000, 4, 6000, 50, 62, 6, (1, 1, 0, 0, 0)),
    "my (odd) name": (1, 0, 0, 0, BOOT + 1300, 0, 0.07, 0.03, 0, 12, 0, 10, 3, 1, 1, (0, 0, 0, 1, 0)),
    # state I (idle kernel worker) counts as Other
    "kworker/0:1-events": (1, 0, 0, 0, BOOT, 0, 0.0, 0.4, 0, 0, 0, 0, 100, 0, 1, (0, 0, 0, 0, 1)),
}


def expected(groups: dict[str, tuple]) -> dict:
    out: dict = {}
    for name, row in groups.items():
        (procs, rss, virtual, swapped, oldest, fds, user, system, read, write, major, minor, vol, nonvol,
         threads, states) = row
        g = ("groupname", name)

        def put(metric: str, value: float, *extra: tuple[str, str], g: tuple[str, str] = g) -> None:
            out[(f"namedprocess_namegroup_{metric}", frozenset({g, *extra}))] = value

        put("num_procs", procs)
        put("memory_bytes", rss * PAGE_SIZE, ("memtype", "resident"))
        put("memory_bytes", virtual, ("memtype", "virtual"))
        put("memory_bytes", swapped, ("memtype", "swapped"))
        if oldest is not None:
            put("oldest_start_time_seconds", oldest)
        put("open_filedesc", fds)
        put("cpu_seconds_total", user, ("mode", "user"))
        put("cpu_seconds_total", system, ("mode", "system"))
        put("read_bytes_total", read)
        put("write_bytes_total", write)
        put("major_page_faults_total", major)
        put("minor_page_faults_total", minor)
        put("context_switches_total", vol, ("ctxswitchtype", "voluntary"))
        put("context_switches_total", nonvol, ("ctxswitchtype", "nonvoluntary"))
        put("num_threads", threads)
        for state, count in zip(("Running", "Sleeping", "Waiting", "Zombie", "Other"), states, strict=True):
            put("states", count, ("state", state))
    return out


def with_row(name: str, **changes: object) -> dict[str, tuple]:
    """FIXTURE_GROUPS with some fields of one group's row replaced."""
    fields = ["procs", "rss", "virtual", "swapped", "oldest", "fds", "user", "system", "read", "write",
              "major", "minor", "vol", "nonvol", "threads", "states"]
    row = list(FIXTURE_GROUPS[name])
    for field, value in changes.items():
        row[fields.index(field)] = value
    return {**FIXTURE_GROUPS, name: tuple(row)}


def approx(values: dict) -> dict:
    # CPU seconds are tick sums divided by 100: compare them rounded.
    return {key: round(value, 9) for key, value in values.items()}


@pytest.fixture
def proc_copy(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    shutil.copytree(fixture_paths("namedprocess").proc(), root)
    return root


def rewrite_stat(root: Path, pid: int, **fields: int) -> None:
    """Change numeric fields of /proc/PID/stat, numbered as after the comm (utime=11, starttime=19...)."""
    positions = {"utime": 11, "stime": 12, "starttime": 19}
    text = (root / str(pid) / "stat").read_text()
    head, tail = text.rsplit(")", 1)
    parts = tail.split()
    for name, value in fields.items():
        parts[positions[name]] = str(value)
    (root / str(pid) / "stat").write_text(f"{head}) {' '.join(parts)}\n")


def test_fixture_exact_values() -> None:
    families = run_collector("namedprocess", fixture_paths("namedprocess"))
    assert approx(samples(families)) == approx(expected(FIXTURE_GROUPS))


def test_types_help_and_names_are_process_exporters() -> None:
    text = exposition(run_collector("namedprocess", fixture_paths("namedprocess")))
    for line in (
        "# HELP namedprocess_namegroup_num_procs number of processes in this group",
        "# TYPE namedprocess_namegroup_num_procs gauge",
        "# HELP namedprocess_namegroup_cpu_seconds_total Cpu user usage in seconds",
        "# TYPE namedprocess_namegroup_cpu_seconds_total counter",
        "# HELP namedprocess_namegroup_memory_bytes number of bytes of memory in use",
        "# TYPE namedprocess_namegroup_memory_bytes gauge",
        "# HELP namedprocess_namegroup_num_threads Number of threads",
        "# TYPE namedprocess_namegroup_num_threads gauge",
        "# HELP namedprocess_namegroup_open_filedesc number of open file descriptors for this group",
        "# TYPE namedprocess_namegroup_open_filedesc gauge",
        "# HELP namedprocess_namegroup_read_bytes_total number of bytes read by this group",
        "# TYPE namedprocess_namegroup_read_bytes_total counter",
        "# HELP namedprocess_namegroup_write_bytes_total number of bytes written by this group",
        "# TYPE namedprocess_namegroup_write_bytes_total counter",
        "# HELP namedprocess_namegroup_context_switches_total Context switches",
        "# TYPE namedprocess_namegroup_context_switches_total counter",
        "# HELP namedprocess_namegroup_oldest_start_time_seconds start time in seconds since 1970/01/01 of oldest "
        "process in group",
        "# TYPE namedprocess_namegroup_oldest_start_time_seconds gauge",
        "# HELP namedprocess_namegroup_states Number of processes in states Running, Sleeping, Waiting, Zombie, or "
        "Other",
        "# TYPE namedprocess_namegroup_states gauge",
        "# TYPE namedprocess_namegroup_major_page_faults_total counter",
        "# TYPE namedprocess_namegroup_minor_page_faults_total counter",
        'namedprocess_namegroup_cpu_seconds_total{groupname="python3",mode="user"} 3.0',
        'namedprocess_namegroup_states{groupname="my (odd) name",state="Zombie"} 1.0',
    ):
        assert line in text.splitlines(), line


def test_off_by_default_with_include_flag() -> None:
    spec = load_all()["namedprocess"]
    assert spec.default_enabled is False
    assert [(f.name, f.kind, f.default) for f in spec.flags] == [("include", "regex", "")]


def test_include_is_an_unanchored_regex_on_the_name() -> None:
    values = samples(run_collector("namedprocess", fixture_paths("namedprocess"), {"include": "python|odd"}))
    groups = {dict(labels)["groupname"] for _, labels in values}
    assert groups == {"python3", "my (odd) name"}
    only = {k: v for k, v in expected(FIXTURE_GROUPS).items() if ("groupname", "python3") in k[1]}
    assert approx({k: v for k, v in values.items() if ("groupname", "python3") in k[1]}) == approx(only)


def test_counters_do_not_go_backwards_when_processes_exit(proc_copy: Path) -> None:
    coll = load_all()["namedprocess"].build(Paths(procfs=str(proc_copy)))
    assert approx(samples(coll.collect())) == approx(expected(FIXTURE_GROUPS))

    # pid 101 exits; pid 100 uses 1 s more user time and reads 500 more bytes.
    shutil.rmtree(proc_copy / "101")
    rewrite_stat(proc_copy, 100, utime=350)
    (proc_copy / "100" / "io").write_text((proc_copy / "100" / "io").read_text().replace("read_bytes: 1000",
                                                                                          "read_bytes: 1500"))
    groups = with_row(
        "python3", procs=1, rss=10000, virtual=200000000, swapped=0, oldest=BOOT + 1200, fds=6, user=4.0,
        read=2000, threads=4, states=(1, 0, 0, 0, 0),
    )
    assert approx(samples(coll.collect())) == approx(expected(groups))

    # The group's last process exits: its totals stay, its gauges drop to zero, no start time.
    shutil.rmtree(proc_copy / "100")
    gone = with_row(
        "python3", procs=0, rss=0, virtual=0, swapped=0, oldest=None, fds=0, user=4.0, read=2000,
        threads=0, states=(0, 0, 0, 0, 0),
    )
    assert approx(samples(coll.collect())) == approx(expected(gone))


def test_reused_pid_is_a_new_process(proc_copy: Path) -> None:
    coll = load_all()["namedprocess"].build(Paths(procfs=str(proc_copy)))
    list(coll.collect())
    # pid 1 is now another process (a later start time) that has used 5 ticks so far: those are added,
    # rather than the drop from 36 to 5 being taken for a decrease.
    rewrite_stat(proc_copy, 1, utime=5, starttime=50000)
    values = samples(coll.collect())
    assert round(values[("namedprocess_namegroup_cpu_seconds_total",
                         frozenset({("groupname", "systemd"), ("mode", "user")}))], 9) == 0.41
    assert values[("namedprocess_namegroup_oldest_start_time_seconds",
                   frozenset({("groupname", "systemd")}))] == BOOT + 500


def test_process_moves_to_its_new_name(proc_copy: Path) -> None:
    coll = load_all()["namedprocess"].build(Paths(procfs=str(proc_copy)))
    list(coll.collect())
    stat = proc_copy / "2" / "stat"
    stat.write_text(stat.read_text().replace("(kthreadd)", "(renamed)").replace(" 0 12 0 0 ", " 0 20 0 0 "))
    values = samples(coll.collect())
    system = "namedprocess_namegroup_cpu_seconds_total"
    # What it used under the old name stays there; only the growth goes to the new name.
    assert round(values[(system, frozenset({("groupname", "kthreadd"), ("mode", "system")}))], 9) == 0.12
    assert round(values[(system, frozenset({("groupname", "renamed"), ("mode", "system")}))], 9) == 0.08
    assert values[("namedprocess_namegroup_num_procs", frozenset({("groupname", "kthreadd")}))] == 0
    assert values[("namedprocess_namegroup_num_procs", frozenset({("groupname", "renamed")}))] == 1


def test_unreadable_io_and_fd_are_not_counted(monkeypatch: pytest.MonkeyPatch, proc_copy: Path) -> None:
    real_read = module._read
    real_count = module._count_entries
    denied = {"io": True}

    def read(path: str) -> bytes:
        if path.endswith("/100/io") and denied["io"]:
            raise PermissionError(13, "Permission denied", path)
        return real_read(path)

    def count(path: str) -> int:
        if path.endswith("/100/fd"):
            raise PermissionError(13, "Permission denied", path)
        return real_count(path)

    monkeypatch.setattr(module, "_read", read)
    monkeypatch.setattr(module, "_count_entries", count)
    coll = load_all()["namedprocess"].build(Paths(procfs=str(proc_copy)))
    first = samples(coll.collect())
    assert approx(first) == approx(expected(with_row("python3", read=500, write=0, fds=3)))

    # Readable again with 1600 read bytes: only now are they counted, in full, as a first sighting.
    io = proc_copy / "100" / "io"
    io.write_text(io.read_text().replace("read_bytes: 1000", "read_bytes: 1600"))
    denied["io"] = False
    assert approx(samples(coll.collect())) == approx(expected(with_row("python3", read=2100, fds=3)))

    # Unreadable again, then readable at 1700: the growth since the last readable value is added once.
    denied["io"] = True
    assert approx(samples(coll.collect())) == approx(expected(with_row("python3", read=2100, fds=3)))
    io.write_text(io.read_text().replace("read_bytes: 1600", "read_bytes: 1700"))
    denied["io"] = False
    assert approx(samples(coll.collect())) == approx(expected(with_row("python3", read=2200, fds=3)))


def test_process_vanishing_mid_scrape_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    real_read = module._read

    def read(path: str) -> bytes:
        if path.endswith("/101/status"):
            raise ProcessLookupError(3, "No such process")
        if path.endswith("/1/stat"):
            return b""  # opened before the process was reaped, read after
        return real_read(path)

    monkeypatch.setattr(module, "_read", read)
    values = samples(run_collector("namedprocess", fixture_paths("namedprocess")))
    assert values[("namedprocess_namegroup_num_procs", frozenset({("groupname", "python3")}))] == 1
    assert ("namedprocess_namegroup_num_procs", frozenset({("groupname", "systemd")})) not in values


def test_missing_file_of_a_live_process_is_not_counted(proc_copy: Path) -> None:
    # node_exporter's fixtures, for one, have stat files only.
    (proc_copy / "101" / "status").unlink()
    values = samples(run_collector("namedprocess", Paths(procfs=str(proc_copy))))
    assert approx(values) == approx(expected(with_row("python3", swapped=0, vol=40, nonvol=60)))


def test_missing_file_of_an_exited_process_skips_it(monkeypatch: pytest.MonkeyPatch, proc_copy: Path) -> None:
    real_count = module._count_entries

    def count(path: str) -> int:
        if path.endswith("/101/fd"):
            # The process exits between its io and its fd directory.
            shutil.rmtree(proc_copy / "101")
            raise FileNotFoundError(2, "No such file or directory", path)
        return real_count(path)

    monkeypatch.setattr(module, "_count_entries", count)
    values = samples(run_collector("namedprocess", Paths(procfs=str(proc_copy))))
    assert values[("namedprocess_namegroup_num_procs", frozenset({("groupname", "python3")}))] == 1
    assert values[("namedprocess_namegroup_open_filedesc", frozenset({("groupname", "python3")}))] == 6


def test_malformed_process_stat_skips_that_process(proc_copy: Path) -> None:
    (proc_copy / "101" / "stat").write_text("101 garbage\n")
    values = samples(run_collector("namedprocess", Paths(procfs=str(proc_copy))))
    assert values[("namedprocess_namegroup_num_procs", frozenset({("groupname", "python3")}))] == 1


def test_missing_boot_time_fails(proc_copy: Path) -> None:
    (proc_copy / "stat").write_text("cpu 1 2 3\n")
    with pytest.raises(CollectorError):
        run_collector("namedprocess", Paths(procfs=str(proc_copy)))


def test_missing_procfs_fails(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        run_collector("namedprocess", Paths(procfs=os.fspath(tmp_path / "nothing")))


def test_live_proc_sees_this_process() -> None:
    values = samples(run_collector("namedprocess", Paths()))
    with open("/proc/self/stat", "rb") as fh:
        comm = module.parse_stat(fh.read()).comm
    assert values[("namedprocess_namegroup_num_procs", frozenset({("groupname", comm)}))] >= 1
