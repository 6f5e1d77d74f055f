import os
import threading
import time

import pytest

from pyexporter.collectors import load_all
from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import Collector, CollectorError
from tests.helpers import samples

FAKE = os.statvfs_result((4096, 4096, 1000, 600, 500, 2000, 1500, 1500, 0, 255))


def _tree(tmp_path, lines: list[str], pid: str = "1") -> Paths:
    """A rootfs in tmp_path whose mountinfo lists real directories below it."""
    for name in ("data", "backup", "nfs"):
        (tmp_path / name).mkdir(exist_ok=True)
    proc = tmp_path / "proc" / pid
    proc.mkdir(parents=True, exist_ok=True)
    root = str(tmp_path)
    (proc / "mountinfo").write_text("".join(line.replace("ROOT", root) + "\n" for line in lines))
    return Paths.under(root)


MOUNTS = [
    "1 0 8:1 / ROOT/data rw,relatime - ext4 /dev/sda1 rw",
    "2 0 8:2 / ROOT/backup ro,relatime - xfs /dev/sda2 rw",
    "3 0 0:5 / ROOT/proc rw - proc proc rw",
    "4 0 0:6 / ROOT/sysfs rw - sysfs sysfs rw",
    "5 0 0:50 / ROOT/nfs rw - nfs4 server:/export rw",
]


def _build(paths: Paths, options: dict | None = None) -> Collector:
    return load_all()["filesystem"].build(paths, options)


def _labels(device: str, mountpoint: str, fstype: str, error: str = "") -> frozenset:
    return frozenset({"device": device, "mountpoint": mountpoint, "fstype": fstype, "device_error": error}.items())


def test_exact_values_with_default_excludes(tmp_path) -> None:
    c = _build(_tree(tmp_path, MOUNTS))
    called: list[str] = []

    def fake(path: str) -> os.statvfs_result:
        called.append(path)
        return FAKE

    c.statvfs = fake  # type: ignore[attr-defined]
    got = samples(c.collect())
    data = _labels("/dev/sda1", "/data", "ext4")
    assert got[("node_filesystem_size_bytes", data)] == 4096000
    assert got[("node_filesystem_free_bytes", data)] == 2457600
    assert got[("node_filesystem_avail_bytes", data)] == 2048000
    assert got[("node_filesystem_files", data)] == 2000
    assert got[("node_filesystem_files_free", data)] == 1500
    assert got[("node_filesystem_readonly", data)] == 0
    assert got[("node_filesystem_device_error", data)] == 0
    info = frozenset({"device": "/dev/sda1", "major": "8", "minor": "1", "mountpoint": "/data"}.items())
    assert got[("node_filesystem_mount_info", info)] == 1
    assert got[("node_filesystem_readonly", _labels("/dev/sda2", "/backup", "xfs"))] == 1
    mountpoints = {dict(labels)["mountpoint"] for (name, labels) in got if name == "node_filesystem_device_error"}
    assert mountpoints == {"/data", "/backup", "/nfs"}  # /proc by mount point, sysfs by type
    assert sorted(called) == sorted(os.path.join(str(tmp_path), p) for p in ("data", "backup", "nfs"))


def test_real_statvfs_on_real_directories(tmp_path) -> None:
    got = samples(_build(_tree(tmp_path, MOUNTS[:1])).collect())
    data = _labels("/dev/sda1", "/data", "ext4")
    assert got[("node_filesystem_size_bytes", data)] > 0
    assert got[("node_filesystem_files", data)] >= got[("node_filesystem_files_free", data)]


def test_falls_back_to_self_mountinfo(tmp_path) -> None:
    c = _build(_tree(tmp_path, MOUNTS[:1], pid="self"))
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]
    assert ("node_filesystem_size_bytes", _labels("/dev/sda1", "/data", "ext4")) in samples(c.collect())


def test_statfs_error_is_a_device_error(tmp_path) -> None:
    lines = [*MOUNTS[:2], "6 0 8:3 / ROOT/gone rw - ext4 /dev/sda3 rw"]
    got = samples(_build(_tree(tmp_path, lines)).collect())
    gone = _labels("/dev/sda3", "/gone", "ext4", "no such file or directory")
    assert got[("node_filesystem_device_error", gone)] == 1
    assert got[("node_filesystem_readonly", gone)] == 0
    assert ("node_filesystem_size_bytes", gone) not in got
    assert got[("node_filesystem_device_error", _labels("/dev/sda1", "/data", "ext4"))] == 0


def test_duplicate_mounts_reported_once(tmp_path) -> None:
    c = _build(_tree(tmp_path, [MOUNTS[0], MOUNTS[0].replace("1 0", "9 0", 1)]))
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]
    families = list(c.collect())
    size = next(f for f in families if f.name == "node_filesystem_size_bytes")
    assert len(size.samples) == 1


def test_include_flags_replace_default_excludes(tmp_path) -> None:
    c = _build(_tree(tmp_path, MOUNTS), {"mount-points-include": "^/(proc|data)$", "fs-types-include": "^(proc|ext4)$"})
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]
    got = samples(c.collect())
    assert {dict(labels)["mountpoint"] for (name, labels) in got if name == "node_filesystem_device_error"} == {
        "/proc", "/data",
    }


def test_exclude_flags(tmp_path) -> None:
    c = _build(_tree(tmp_path, MOUNTS), {"mount-points-exclude": "^/backup", "fs-types-exclude": "^nfs"})
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]
    got = samples(c.collect())
    assert {dict(labels)["mountpoint"] for (name, labels) in got if name == "node_filesystem_device_error"} == {
        "/data", "/proc", "/sysfs",
    }


def test_include_and_exclude_are_mutually_exclusive(tmp_path) -> None:
    with pytest.raises(FlagValueError):
        _build(Paths.under(str(tmp_path)), {"fs-types-include": "ext4", "fs-types-exclude": "xfs"})


class HungMount:
    """A statvfs that blocks on one path until released, as an NFS mount whose server is gone."""

    def __init__(self, hung: str) -> None:
        self.hung = hung
        self.release = threading.Event()
        self.calls: list[str] = []

    def __call__(self, path: str) -> os.statvfs_result:
        self.calls.append(path)
        if path == self.hung:
            self.release.wait(10)
        return FAKE


@pytest.mark.parametrize("workers", [1, 4])
def test_hung_mount_times_out_is_skipped_and_recovers(tmp_path, workers: int) -> None:
    # The hung mount comes first, so with one worker everything else waits behind it.
    paths = _tree(tmp_path, [MOUNTS[4], *MOUNTS[:4]])
    c = _build(paths, {"mount-timeout": "50ms", "stat-workers": workers})
    nfs_path = os.path.join(str(tmp_path), "nfs")
    hung = HungMount(nfs_path)
    c.statvfs = hung  # type: ignore[attr-defined]
    nfs = _labels("server:/export", "/nfs", "nfs4")
    stuck = _labels("server:/export", "/nfs", "nfs4", "mountpoint timeout")
    try:
        started = time.monotonic()
        got = samples(c.collect())
        assert time.monotonic() - started < 5
        assert got[("node_filesystem_device_error", stuck)] == 1
        assert ("node_filesystem_size_bytes", stuck) not in got
        # The healthy mounts are unaffected, even with one worker (the hung one is replaced).
        assert got[("node_filesystem_size_bytes", _labels("/dev/sda1", "/data", "ext4"))] == 4096000
        assert got[("node_filesystem_size_bytes", _labels("/dev/sda2", "/backup", "xfs"))] == 4096000

        # Still hung: the next scrape does not stat it again and reports it at once.
        got = samples(c.collect())
        assert hung.calls.count(nfs_path) == 1
        assert got[("node_filesystem_device_error", stuck)] == 1
    finally:
        hung.release.set()
    # The released call returns in its worker thread, which marks the mount point healthy.
    deadline = time.monotonic() + 5
    while c._stuck and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert not c._stuck  # type: ignore[attr-defined]

    got = samples(c.collect())
    assert hung.calls.count(nfs_path) == 2
    assert got[("node_filesystem_device_error", nfs)] == 0
    assert got[("node_filesystem_size_bytes", nfs)] == 4096000


def test_hung_mount_amid_the_batch_leaves_the_rest_to_a_fresh_worker(tmp_path) -> None:
    # One worker takes the mount points in turn; the ones after the hung one are still statted.
    paths = _tree(tmp_path, [MOUNTS[0], MOUNTS[4], MOUNTS[1]])
    c = _build(paths, {"mount-timeout": "50ms", "stat-workers": 1})
    hung = HungMount(os.path.join(str(tmp_path), "nfs"))
    c.statvfs = hung  # type: ignore[attr-defined]
    try:
        got = samples(c.collect())
        stuck = _labels("server:/export", "/nfs", "nfs4", "mountpoint timeout")
        assert got[("node_filesystem_device_error", stuck)] == 1
        assert got[("node_filesystem_size_bytes", _labels("/dev/sda1", "/data", "ext4"))] == 4096000
        assert got[("node_filesystem_size_bytes", _labels("/dev/sda2", "/backup", "xfs"))] == 4096000
    finally:
        hung.release.set()


def test_slow_mounts_are_shared_among_the_stat_workers(tmp_path) -> None:
    # Each statfs takes 50 ms, as on a struggling NFS server: after the first slow call the
    # rest are spread over stat-workers threads, not answered one after another.
    lines = [f"{i} 0 0:{60 + i} / ROOT/m{i} rw - nfs4 server:/e{i} rw" for i in range(8)]
    for i in range(8):
        (tmp_path / f"m{i}").mkdir()
    c = _build(_tree(tmp_path, lines), {"stat-workers": 4})
    threads: set[int] = set()

    def slow(path: str) -> os.statvfs_result:
        threads.add(threading.get_ident())
        time.sleep(0.05)
        return FAKE

    c.statvfs = slow  # type: ignore[attr-defined]
    started = time.monotonic()
    got = samples(c.collect())
    assert time.monotonic() - started < 0.3  # 8 calls one after another would take 0.4 s
    assert 1 < len(threads) <= 4
    assert sum(1 for name, _ in got if name == "node_filesystem_size_bytes") == 8


def test_quick_mounts_keep_one_worker_thread(tmp_path) -> None:
    # A job goes to an idle worker, and a thread is started only when none is: quick calls never
    # need a second one.
    c = _build(_tree(tmp_path, MOUNTS), {"stat-workers": 4})
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]
    for _ in range(20):
        got = samples(c.collect())
        # The worker that recorded the last result goes idle an instant after the scrape woke.
        deadline = time.monotonic() + 5
        while not c._pool._idle and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.001)
    assert got[("node_filesystem_size_bytes", _labels("/dev/sda1", "/data", "ext4"))] == 4096000
    assert c._pool._live == 1  # type: ignore[attr-defined]


def test_a_job_waiting_for_a_full_pool_gets_a_worker_when_one_is_abandoned() -> None:
    from pyexporter.collectors.filesystem import _StatJob, _StatPool

    pool = _StatPool(1)
    started, release, ran = threading.Event(), threading.Event(), threading.Event()

    def hang(job: _StatJob) -> None:
        started.set()
        release.wait(10)

    hung = _StatJob(hang)
    pool.submit(hung)
    try:
        assert started.wait(5)
        pool.submit(_StatJob(lambda job: ran.set()))
        assert not ran.wait(0.05)  # the pool's one worker is busy
        pool.abandon(hung)
        assert ran.wait(5)
    finally:
        release.set()


def test_mountinfo_lines_remembered_across_scrapes_give_the_same_families(tmp_path) -> None:
    paths = _tree(tmp_path, MOUNTS)
    c = _build(paths)
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]
    first = list(c.collect())
    second = list(c.collect())
    assert second == first
    # A changed table is read as changed: a mount gone, another come.
    _tree(tmp_path, [MOUNTS[1], MOUNTS[4]])
    got = samples(c.collect())
    assert ("node_filesystem_size_bytes", _labels("/dev/sda1", "/data", "ext4")) not in got
    assert got[("node_filesystem_size_bytes", _labels("server:/export", "/nfs", "nfs4"))] == 4096000


def test_missing_mountinfo_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        list(_build(Paths.under(str(tmp_path))).collect())


def test_no_mounts_left_after_filtering(tmp_path) -> None:
    got = samples(_build(_tree(tmp_path, MOUNTS[2:4])).collect())
    assert got == {}


def test_malformed_mountinfo_is_a_collector_error(tmp_path) -> None:
    paths = _tree(tmp_path, ["1 0 8:1 / ROOT/data rw relatime ext4 /dev/sda1 rw"])
    with pytest.raises(CollectorError):
        list(_build(paths).collect())


def test_second_device_on_one_mount_point_keeps_its_mount_info(tmp_path) -> None:
    # filesystem_common.go Update dedups on every label (major and minor too); the registry
    # then drops series already sent: the first mount wins node_filesystem_size_bytes, and the
    # second device (another minor) still gets its node_filesystem_mount_info.
    over = MOUNTS[0].replace("8:1", "8:17", 1).replace("1 0", "9 0", 1)
    c = _build(_tree(tmp_path, [MOUNTS[0], over, MOUNTS[0].replace("1 0", "8 0", 1)]))
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]
    families = list(c.collect())
    size = next(f for f in families if f.name == "node_filesystem_size_bytes")
    assert len(size.samples) == 1
    info = next(f for f in families if f.name == "node_filesystem_mount_info")
    assert sorted((s.labels["major"], s.labels["minor"]) for s in info.samples) == [("8", "1"), ("8", "17")]


def test_mount_table_follows_the_file_from_scrape_to_scrape(tmp_path) -> None:
    # The mounts are remembered by the whole file's text, and its lines by their text.
    c = _build(_tree(tmp_path, MOUNTS[:1]))
    c.statvfs = lambda path: FAKE  # type: ignore[attr-defined]

    def mountpoints() -> set[str]:
        return {dict(labels)["mountpoint"] for name, labels in samples(c.collect())
                if name == "node_filesystem_size_bytes"}

    assert mountpoints() == {"/data"}
    assert mountpoints() == {"/data"}
    _tree(tmp_path, MOUNTS[:2])
    assert mountpoints() == {"/data", "/backup"}
    _tree(tmp_path, MOUNTS[1:2])
    assert mountpoints() == {"/backup"}
    _tree(tmp_path, [*MOUNTS[:1], "1 0 8:1 / ROOT/data"])
    for _ in range(2):  # a refused file is refused every time
        with pytest.raises(CollectorError, match="too few fields"):
            list(c.collect())
    _tree(tmp_path, MOUNTS[:1])
    assert mountpoints() == {"/data"}
