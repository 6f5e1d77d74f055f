"""filesystem: space and inode usage of mounted filesystems, as node_exporter's filesystem
collector. Mounts come from /proc/1/mountinfo (or /proc/self/mountinfo when pid 1 is hidden),
mount points are reported relative to --path.rootfs, and statfs runs in a small pool of worker
threads so that a hung mount (an NFS server gone away) cannot hang the scrape.

psutil.disk_partitions reads a process-global PROCFS_PATH and gives no major:minor, so the
mountinfo file is parsed here directly through self.paths.

Follows collector/filesystem_linux.go and filesystem_common.go (node_exporter 1.12: read-only
when `ro` is among the mount or the super options, now that mountOptionsString joins them with
commas) and procfs mountinfo.go (parseMountInfoString: at least 10 space-separated fields, the
`-` fourth from the end, any number of optional fields, possibly none or one empty one).
"""

from __future__ import annotations

import collections
import errno
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily, add_row
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.filters import exclusive_filter
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import parse_int

DEFAULT_MOUNT_POINTS_EXCLUDE = (
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
)
DEFAULT_FS_TYPES_EXCLUDE = (
    r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|"
    r"mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$"
)
STUCK_ERROR = "mountpoint timeout"
# A statfs call running this long is slow (local filesystems answer in microseconds): the mount
# points left are then shared among more workers, up to stat-workers.
SLOW_SECONDS = 0.01

# What fmt.Sscanf(field, "%d:%d", &major, &minor) reads: a signed decimal each side of the
# colon, at the start of the field (Sscanf ignores what follows its last verb).
_MAJOR_MINOR = re.compile(r"([+-]?[0-9]+):([+-]?[0-9]+)")


class MountInfo(NamedTuple):
    major: int
    minor: int
    mount_point: str
    options: frozenset[str]  # option names of the mount, e.g. {"ro", "relatime"}
    fs_type: str
    source: str
    super_options: frozenset[str]


def _option_names(field: str) -> frozenset[str]:
    return frozenset(opt.partition("=")[0] for opt in field.split(","))


def mountinfo_lines(text: str) -> list[str]:
    """The lines of a /proc/<pid>/mountinfo file."""
    # bufio.Scanner's lines end at \n only: the kernel leaves other control characters of a
    # mount point (form feed, \x1c...) unescaped, and str.splitlines would split at them.
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def parse_mountinfo_line(line: str) -> MountInfo:
    """One line of a /proc/<pid>/mountinfo file. Fields are single-space separated; the
    optional fields end at a lone `-`, followed by fstype, source and super options.

    procfs reads the mount and parent ids with strconv.Atoi; node_exporter reads major:minor
    with fmt.Sscanf's "%d:%d" into ints."""
    fields = line.split(" ")
    if len(fields) < 10:
        raise CollectorError(f"too few fields in mountinfo line: {line[:200]!r}")
    if fields[-4] != "-":
        raise CollectorError(f"no separator in mountinfo line: {line[:200]!r}")
    parse_int(fields[0])
    parse_int(fields[1])
    device = _MAJOR_MINOR.match(fields[2])
    if device is None:
        raise CollectorError(f"malformed mount point MajorMinorVer: {fields[2][:40]!r}")
    return MountInfo(
        major=parse_int(device.group(1)),
        minor=parse_int(device.group(2)),
        mount_point=fields[4],
        options=_option_names(fields[5]),
        fs_type=fields[-3],
        source=fields[-2],
        super_options=_option_names(fields[-1]),
    )


def parse_mountinfo(text: str) -> list[MountInfo]:
    """The mounts of a /proc/<pid>/mountinfo file (see parse_mountinfo_line)."""
    return [parse_mountinfo_line(line) for line in mountinfo_lines(text)]


def unescape_mount_point(path: str) -> str:
    """The two escapes node_exporter undoes in mount points (space and tab, as in fstab(5))."""
    return path.replace("\\040", " ").replace("\\011", "\t")


def strip_rootfs(path: str, rootfs: str) -> str:
    """A mount point as seen from inside --path.rootfs ("/" when it is the rootfs itself)."""
    rootfs = rootfs.rstrip("/")
    if not rootfs:
        return path
    stripped = path.removeprefix(rootfs)
    return stripped or "/"


# Go's error text for the errnos statfs commonly returns, where it differs from C's strerror.
_GO_ERRNO_TEXT = {errno.ESTALE: "stale NFS file handle"}


def error_text(err: OSError) -> str:
    """An OSError worded as node_exporter's device_error label (Go's lower-case errno text)."""
    if err.errno is None:
        return str(err)
    if err.errno in _GO_ERRNO_TEXT:
        return _GO_ERRNO_TEXT[err.errno]
    text = os.strerror(err.errno)
    return text[:1].lower() + text[1:]


def fs_stat(result: os.statvfs_result) -> tuple[float, float, float, float, float]:
    """Size, free and available bytes, files and free files, as node_exporter reports them."""
    # node_exporter multiplies by the statfs block size (f_bsize), not the fragment size.
    bsize = float(result.f_bsize)
    return (
        result.f_blocks * bsize,
        result.f_bfree * bsize,
        result.f_bavail * bsize,
        float(result.f_files),
        float(result.f_ffree),
    )


class _Mount(NamedTuple):
    """What each scrape needs of a mountinfo line, worked out once (see FilesystemCollector._mount)."""

    mount_point: str  # relative to the rootfs
    stat_path: str  # where statfs looks: the mount point below the rootfs
    labels: tuple[str, str, str, str]  # _LABELS, device_error empty
    device: tuple[str, str]  # major and minor
    readonly: float
    info: tuple[str, str, str, str]  # node_filesystem_mount_info's labels


# What a statfs gave: its result, or the device_error text.
_Result = os.statvfs_result | str


_FAMILIES = (
    ("node_filesystem_size_bytes", "Filesystem size in bytes."),
    ("node_filesystem_free_bytes", "Filesystem free space in bytes."),
    ("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes."),
    ("node_filesystem_files", "Filesystem total file nodes."),
    ("node_filesystem_files_free", "Filesystem total free file nodes."),
)
_LABELS = ["device", "mountpoint", "fstype", "device_error"]


@dataclass(frozen=True, slots=True)
class FilesystemOptions:
    mount_points_exclude: re.Pattern[str] | None = flag(
        "mount-points-exclude",
        "Regexp of mount points to exclude for filesystem collector. (mutually exclusive to mount-points-include)",
        DEFAULT_MOUNT_POINTS_EXCLUDE)
    mount_points_include: re.Pattern[str] | None = flag(
        "mount-points-include",
        "Regexp of mount points to include for filesystem collector. (mutually exclusive to mount-points-exclude)",
        "")
    fs_types_exclude: re.Pattern[str] | None = flag(
        "fs-types-exclude",
        "Regexp of filesystem types to exclude for filesystem collector. (mutually exclusive to fs-types-include)",
        DEFAULT_FS_TYPES_EXCLUDE)
    fs_types_include: re.Pattern[str] | None = flag(
        "fs-types-include",
        "Regexp of filesystem types to exclude for filesystem collector. (mutually exclusive to fs-types-exclude)",
        "")
    mount_timeout: float = flag(
        "mount-timeout",
        "how long to wait for a mount to respond before marking it as stale",
        "5s",
        duration=True)
    stat_workers: int = flag("stat-workers", "how many stat calls to process simultaneously", 4)


@collector("filesystem", options=FilesystemOptions)
class FilesystemCollector(Collector[FilesystemOptions]):
    def __init__(self, ctx: CollectorContext[FilesystemOptions]) -> None:
        super().__init__(ctx)
        self._mount_points = exclusive_filter(
            "collector.filesystem", self.options.mount_points_exclude, self.options.mount_points_include,
            default_exclude=DEFAULT_MOUNT_POINTS_EXCLUDE, names=("mount-points-exclude", "mount-points-include"),
        )
        self._fs_types = exclusive_filter(
            "collector.filesystem", self.options.fs_types_exclude, self.options.fs_types_include,
            default_exclude=DEFAULT_FS_TYPES_EXCLUDE, names=("fs-types-exclude", "fs-types-include"),
        )
        self._timeout: float = self.options.mount_timeout
        # Mount tables change rarely: the whole file recurs from one scrape to the next, and when
        # it changes, most of its lines do not.
        self._tables: RecurringMemo[str, tuple[_Mount, ...]] = RecurringMemo(self._mount_table)
        self._mounts: RecurringMemo[str, _Mount | None] = RecurringMemo(self._mount)
        self._workers = max(int(self.options.stat_workers), 1)
        self._pool = _StatPool(self._workers)
        # Replaceable so that tests can inject a slow or failing statfs.
        self.statvfs: Callable[[str], os.statvfs_result] = os.statvfs
        # One lock guards the stuck set and every scrape's bookkeeping, so that a late statfs
        # result and a timeout can never both win for the same call.
        self._lock = threading.Lock()
        self._stuck: set[str] = set()

    def _read_mounts(self) -> tuple[_Mount, ...]:
        try:
            text = read_text(self.paths.proc("1", "mountinfo"))
        except FileNotFoundError:
            # hidepid hides pid 1 from us; our own mount namespace is the next best thing.
            text = read_text(self.paths.proc("self", "mountinfo"))
        self._tables.rotate()
        return self._tables(text)

    def _mount_table(self, text: str) -> tuple[_Mount, ...]:
        """The mounts of a mountinfo file that this collector reports: a function of the file's
        text alone, as _mount is of a line; a tuple, as every scrape of the same text shares it.
        The lines are remembered from this text and the one before it."""
        self._mounts.rotate()
        return tuple(mount for line in mountinfo_lines(text) if (mount := self._mounts(line)) is not None)

    def _mount(self, line: str) -> _Mount | None:
        """A mountinfo line as this collector reports it, or None when the filters leave it out.
        A function of the line alone (the rootfs and the filters are fixed), so it is remembered
        from scrape to scrape by line."""
        mount = parse_mountinfo_line(line)
        mount_point = strip_rootfs(unescape_mount_point(mount.mount_point), self.paths.rootfs)
        if self._mount_points.ignored(mount_point) or self._fs_types.ignored(mount.fs_type):
            return None
        major, minor = str(mount.major), str(mount.minor)
        return _Mount(
            mount_point=mount_point,
            stat_path=self.paths.root(mount_point),
            labels=(mount.source, mount_point, mount.fs_type, ""),
            device=(major, minor),
            readonly=1.0 if "ro" in mount.options or "ro" in mount.super_options else 0.0,
            info=(mount.source, major, minor, mount_point),
        )

    def collect(self) -> Iterable[Metric]:
        mounts = self._read_mounts()
        results = self._stat_all(mounts)

        device_error = GaugeMetricFamily(
            "node_filesystem_device_error",
            "Whether an error occurred while getting statistics for the given device.",
            labels=_LABELS,
        )
        readonly = GaugeMetricFamily("node_filesystem_readonly", "Filesystem read-only status.", labels=_LABELS)
        values = [GaugeMetricFamily(name, help_text, labels=_LABELS) for name, help_text in _FAMILIES]
        mount_info = GaugeMetricFamily(
            "node_filesystem_mount_info",
            "Filesystem mount information.",
            labels=["device", "major", "minor", "mountpoint"],
        )
        # A mount's row: the families of a mount statted, and the two of one that failed.
        statted = [device_error, readonly, *values]
        failed = [device_error, readonly]
        # filesystem_common.go Update skips a mount whose labels (major and minor included) it
        # has seen; the registry then drops any series whose label set was already sent, so the
        # first mount wins each series while a second device at the same place still gets its
        # own mount_info.
        seen_mounts: set[tuple[tuple[str, ...], tuple[str, str]]] = set()
        seen: set[tuple[str, ...]] = set()
        seen_info: set[tuple[str, ...]] = set()
        for mount, result in zip(mounts, results, strict=True):
            labels: tuple[str, ...] = (*mount.labels[:3], result) if isinstance(result, str) else mount.labels
            full = (labels, mount.device)
            if full in seen_mounts:
                continue
            seen_mounts.add(full)
            first = labels not in seen
            if isinstance(result, str):
                if first:
                    seen.add(labels)
                    add_row(failed, labels, (1.0, 0.0 if result == STUCK_ERROR else mount.readonly))
                continue
            if first:
                seen.add(labels)
                add_row(statted, labels, (0.0, mount.readonly, *fs_stat(result)))
            if mount.info not in seen_info:
                seen_info.add(mount.info)
                mount_info.add_metric(mount.info, 1.0)
        # node_exporter prints no HELP/TYPE for a family without samples (no mount left, or
        # every statfs failed).
        for family in (*statted, mount_info):
            if family.samples:
                yield family

    def _stat_all(self, mounts: Sequence[_Mount]) -> list[_Result]:
        """statfs every mount point with at most stat-workers calls at a time. A call still
        running after mount-timeout is abandoned to its thread and its mount point marked stuck;
        stuck mount points are not statted again until that call returns.

        One worker takes the mount points in turn, and the scrape is woken once, when the last
        call is done: a job and a wake-up for every mount point cost more than the calls
        themselves (measurements.md). The scrape also wakes at the earliest deadline of the calls
        running, to mark a hung one stuck and hand what is left to a fresh worker, and when a
        call has been running for SLOW_SECONDS, to bring in more workers while calls are slow
        (a struggling NFS server), as node_exporter's stat-workers goroutines share them.

        The hand-off is what a scrape of a few mounts mostly pays for (measurements.md), so it
        is kept to the least: jobs are queued with self._lock released, so that a worker never
        wakes only to wait for it; a worker takes the lock once a call, to record the call's
        result and take the next; and the scrape sleeps on a lock of the batch's own, released
        once, by the worker that records the last result."""
        count = len(mounts)
        results: list[_Result | None] = [None] * count
        running: dict[_StatJob, tuple[int, float]] = {}  # job -> (index, started)
        pending: list[int] = []  # indexes not taken yet, last first
        remaining = 0
        workers = 0  # jobs at work on this batch, not abandoned
        lock = self._lock
        done = threading.Lock()
        done.acquire()
        statvfs = self.statvfs
        monotonic = time.monotonic

        def stat(mount: _Mount) -> _Result:
            try:
                return statvfs(mount.stat_path)
            except OSError as err:
                self.log.debug("Error on statfs() system call",
                               extra={"kv": {"rootfs": mount.mount_point, "err": str(err)}})
                return error_text(err)

        def run(job: _StatJob) -> None:
            nonlocal remaining, workers
            index = -1
            result: _Result = ""
            while True:
                with lock:
                    if index >= 0:
                        mount_point = mounts[index].mount_point
                        if mount_point in self._stuck:
                            self.log.debug("Mount point has recovered, monitoring will resume",
                                           extra={"kv": {"mountpoint": mount_point}})
                            self._stuck.discard(mount_point)
                        if results[index] is None:
                            results[index] = result
                            remaining -= 1
                            if remaining == 0:
                                done.release()
                    if job.abandoned or not pending:
                        running.pop(job, None)
                        if not job.abandoned:
                            workers -= 1
                        return
                    index = pending.pop()
                    running[job] = (index, monotonic())
                result = stat(mounts[index])

        with lock:
            for index, mount in enumerate(mounts):
                if mount.mount_point in self._stuck:
                    self.log.debug("Mount point is in an unresponsive state",
                                   extra={"kv": {"mountpoint": mount.mount_point}})
                    results[index] = STUCK_ERROR
                else:
                    pending.append(index)
            pending.reverse()
            remaining = len(pending)
            if not remaining:
                return [result for result in results if result is not None]
            workers = starting = 1
        # Until a call has started there is no deadline yet: look again shortly.
        look_again = wait = min(SLOW_SECONDS, self._timeout)
        while True:
            for _ in range(starting):
                self._pool.submit(_StatJob(run))
            if done.acquire(timeout=wait):
                break  # the last result is in
            with lock:
                if not remaining:
                    break  # the last result came in as the wait ended
                now = monotonic()
                next_wake = now + (self._timeout if running else look_again)
                slow = False
                for job, (index, started) in list(running.items()):
                    deadline = started + self._timeout
                    if now < deadline:
                        next_wake = min(next_wake, deadline)
                        if now - started >= SLOW_SECONDS:
                            slow = True
                        elif workers < self._workers:
                            next_wake = min(next_wake, started + SLOW_SECONDS)
                        continue
                    mount_point = mounts[index].mount_point
                    self.log.debug("Mount point timed out, it is being labeled as stale and will not be monitored",
                                   extra={"kv": {"mountpoint": mount_point}})
                    self._stuck.add(mount_point)
                    results[index] = STUCK_ERROR
                    remaining -= 1
                    del running[job]
                    # The hung thread is lost to this scrape: what is left of the batch goes on
                    # in another job, on another thread.
                    self._pool.abandon(job)
                    workers -= 1
                if not remaining:
                    break  # the last calls were marked stuck
                starting = 1 if pending and workers == 0 else 0
                while slow and pending and workers + starting < self._workers:
                    starting += 1
                workers += starting
            wait = max(next_wake - now, 0.0)
        return [result for result in results if result is not None]


class _StatJob:
    __slots__ = ("abandoned", "run")

    def __init__(self, run: Callable[[_StatJob], None]) -> None:
        self.run = run
        self.abandoned = False


class _StatPool:
    """Worker threads kept from scrape to scrape (starting threads on every scrape cost more than
    the statfs calls themselves). A job goes to the worker that went idle last, else to a new
    worker while the pool is not full, else to the first worker that finishes. An idle worker
    sleeps on a lock of its own, so that a job wakes one thread (threads idle on one shared queue
    made every hand-off dearer, measurements.md), and quick statfs calls keep a single worker.
    A worker stuck in a hung call no longer counts (a job waiting for a worker then gets a new
    one); when its call finally returns, it leaves if the pool is full again."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._live = 0  # workers not known to be stuck
        self._idle: list[_Worker] = []  # the last to go idle last
        self._backlog: collections.deque[_StatJob] = collections.deque()

    def submit(self, job: _StatJob) -> None:
        with self._lock:
            if self._idle:
                self._idle.pop().hand(job)
                return
            if self._live >= self._size:
                self._backlog.append(job)
                return
            self._live += 1
        self._start(job)

    def abandon(self, job: _StatJob) -> None:
        with self._lock:
            if job.abandoned:
                return
            job.abandoned = True
            self._live -= 1
            if not self._backlog:
                return
            job = self._backlog.popleft()
            self._live += 1
        self._start(job)

    def _start(self, job: _StatJob) -> None:
        threading.Thread(target=self._work, args=(job,), name="filesystem-statfs", daemon=True).start()

    def _work(self, job: _StatJob) -> None:
        worker = _Worker()
        while True:
            job.run(job)
            with self._lock:
                if job.abandoned:
                    if self._live >= self._size:
                        return
                    self._live += 1
                if self._backlog:
                    job = self._backlog.popleft()
                    continue
                self._idle.append(worker)
            job = worker.wait()


class _Worker:
    """An idle worker's wake-up: a lock held until a job is handed over."""

    __slots__ = ("_job", "_wake")

    def __init__(self) -> None:
        self._job: _StatJob | None = None
        self._wake = threading.Lock()
        self._wake.acquire()

    def hand(self, job: _StatJob) -> None:
        self._job = job
        self._wake.release()

    def wait(self) -> _StatJob:
        self._wake.acquire()
        job, self._job = self._job, None
        assert job is not None
        return job
