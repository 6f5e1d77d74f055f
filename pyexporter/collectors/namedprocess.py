"""namedprocess: processes grouped by name, with ncabatoff/process-exporter's metric names (off by default).

Every process is put in the group named by its comm (the name in /proc/[pid]/stat) and the group's
processes are summed: counts, memory, threads, open files, states, and the counters CPU time, I/O
bytes, page faults and context switches. Names, HELP texts, types and labels are process-exporter's
(collector/process_collector.go), so its Grafana dashboards work unchanged.

Counters never go backwards when a process exits. As process-exporter's Grouper does, the
collector remembers each process's last counter values, keyed by (pid, start time) so that a
reused pid is a new process, and adds only the growth since the previous scrape to its group's
running totals. A process that exits keeps what it contributed; a group whose last process exited
keeps reporting its totals, with zero processes. Where this collector differs from process-exporter:

- A process seen for the first time contributes its whole usage so far, also at the first scrape
  (process-exporter takes its first scrape as a baseline for processes already running then), so
  `pyexporter --once` reports meaningful totals. Rates are the same either way.
- The group is the process's current comm, read on every scrape; process-exporter fixes the name
  when it first sees a process. A process that renames itself or execs moves to the new name's
  group from then on; what it used before stays credited to the old group.
- States and context switches are per process: the state in /proc/[pid]/stat and the main
  thread's switches from /proc/[pid]/status. process-exporter's thread tracking also sums every
  thread's switches; reading each thread's status would multiply the cost of a scrape.
- `namedprocess_namegroup_oldest_start_time_seconds` is left out for a group with no process
  (process-exporter reports Go's zero time there, year 1), and the per-thread, wchan, fd-ratio and
  namedprocess_scrape_* families are not reported.

A process that exits mid-scrape is skipped. /proc/[pid]/io and /proc/[pid]/fd are unreadable for
other users' processes when the exporter is unprivileged (a sidecar sharing a PID namespace): those
fields are then simply not counted for that process, which is never a failure; so too for a missing
status, io or fd of a process whose stat is still there (node_exporter's fixtures have stat alone).
Only an unreadable procfs root or /proc/stat without btime fails the collector.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_generated, read_text
from pyexporter.toolkit.numbers import USER_HZ, NumberError
from pyexporter.toolkit.procpid import PAGE_SIZE, parse_boot_time, parse_stat, uint_field

T = TypeVar("T")

# A pid that exits between listing and reading shows as ENOENT, or ESRCH on an already open file.
_VANISHED = (FileNotFoundError, ProcessLookupError, NotADirectoryError)

STATES = ("Running", "Sleeping", "Waiting", "Zombie", "Other")
_STATE_INDEX = {"R": 0, "S": 1, "D": 2, "Z": 3}

# Indexes into a process's counter list; None marks a value that could not be read.
_UTIME_I, _STIME_I, _READ_I, _WRITE_I, _MAJFLT_I, _MINFLT_I, _VOL_I, _NONVOL_I = range(8)
_NCOUNTERS = 8


class ProcStatus(NamedTuple):
    swap_bytes: int
    voluntary_ctxt_switches: int | None
    nonvoluntary_ctxt_switches: int | None


class ProcIO(NamedTuple):
    read_bytes: int | None
    write_bytes: int | None


def _field(data: bytes, key: bytes) -> int | None:
    """The first word after `KEY` at the start of a line (KEY includes its ":") as
    strconv.ParseUint(word, 10, 64) (procfs's reading of status, and of io's %d), or None."""
    at = data.find(b"\n" + key)
    if at < 0:
        if not data.startswith(key):
            return None
        at = 0
    else:
        at += 1
    end = data.find(b"\n", at)
    parts = data[at + len(key):end if end >= 0 else len(data)].split()
    if not parts:
        return None
    try:
        return uint_field(parts[0])
    except NumberError:
        return None


def parse_status(data: bytes) -> ProcStatus:
    """/proc/[pid]/status: swap (absent for kernel threads, so 0) and the context switch counts."""
    swap_kb = _field(data, b"VmSwap:")
    return ProcStatus(
        swap_bytes=(swap_kb or 0) * 1024,
        voluntary_ctxt_switches=_field(data, b"voluntary_ctxt_switches:"),
        nonvoluntary_ctxt_switches=_field(data, b"nonvoluntary_ctxt_switches:"),
    )


def parse_io(data: bytes) -> ProcIO:
    """/proc/[pid]/io: bytes read from and written to storage (process-exporter's read/write bytes)."""
    return ProcIO(read_bytes=_field(data, b"read_bytes:"), write_bytes=_field(data, b"write_bytes:"))


_read = read_generated


class _Exited(Exception):
    """The process went away while it was being read."""


def _optional(base: str, name: str, reader: Callable[[str], T]) -> T | None:
    """READER applied to the process file BASE+NAME; None when it cannot be read, _Exited when the
    process has gone."""
    try:
        return reader(base + name)
    except ProcessLookupError:
        raise _Exited from None
    except _VANISHED:
        # Only on this rare path: the file may be absent while the process lives (no I/O accounting).
        if not os.path.exists(base + "stat"):
            raise _Exited from None
        return None
    except OSError:
        return None


def _read_status(path: str) -> ProcStatus:
    return parse_status(_read(path))


def _read_io(path: str) -> ProcIO:
    return parse_io(_read(path))


def _count_entries(path: str) -> int:
    return len(os.listdir(path))


class _Tracked(NamedTuple):
    starttime: int
    counters: list[int | None]


class _Live:
    """One group's gauges in the current scrape."""

    __slots__ = ("fds", "num_threads", "oldest", "procs", "rss_bytes", "states", "swap_bytes", "virtual_bytes")

    def __init__(self) -> None:
        self.procs = 0
        self.rss_bytes = 0
        self.virtual_bytes = 0
        self.swap_bytes = 0
        self.num_threads = 0
        self.fds = 0
        self.oldest: int | None = None
        self.states = [0, 0, 0, 0, 0]


@dataclass(frozen=True, slots=True)
class NamedprocessOptions:
    include: re.Pattern[str] | None = flag(
        "include",
        "Regexp of process names (comm) to report; empty reports every process.",
        "")


@collector("namedprocess", default=False, options=NamedprocessOptions)
class NamedProcessCollector(Collector[NamedprocessOptions]):
    # psutil reads one process-global PROCFS_PATH, so it cannot honour this collector's procfs root
    # (tests and sidecars point it elsewhere) without racing other collectors; the files are parsed
    # directly instead.

    def __init__(self, ctx: CollectorContext[NamedprocessOptions]) -> None:
        super().__init__(ctx)
        self.include: re.Pattern[str] | None = self.options.include
        self._included: dict[str, bool] = {}
        self._boot_time: int | None = None
        # Per process: its identity and last counter values; per group: running counter totals.
        self._tracked: dict[int, _Tracked] = {}
        self._totals: dict[str, list[int]] = {}

    def collect(self) -> Iterable[Metric]:
        return self._families(self._update())

    def _wanted(self, name: str) -> bool:
        if self.include is None:
            return True
        wanted = self._included.get(name)
        if wanted is None:
            if len(self._included) > 10000:
                self._included.clear()
            # Unanchored, like node_exporter's regex flags (Go's MatchString).
            wanted = self._included[name] = self.include.search(name) is not None
        return wanted

    def _update(self) -> dict[str, _Live]:
        if self._boot_time is None:
            # Fixed for the life of the host, as process-exporter reads it once.
            self._boot_time = parse_boot_time(read_text(self.paths.proc("stat")))
        root = self.paths.proc()
        entries = os.listdir(root)
        previous = self._tracked
        tracked: dict[int, _Tracked] = {}
        live: dict[str, _Live] = {}
        for entry in entries:
            if not entry.isdigit():
                continue
            base = f"{root}/{entry}/"
            try:
                data = _read(base + "stat")
            except _VANISHED:
                continue
            except OSError as err:
                # hidepid or a security module: the process cannot be seen at all.
                self.log.debug("unreadable process", extra={"kv": {"pid": entry, "err": str(err)}})
                continue
            if not data:
                continue  # exited after open: the kernel returns nothing
            try:
                stat = parse_stat(data)
            except CollectorError as err:
                self.log.debug("malformed process stat", extra={"kv": {"pid": entry, "err": str(err)}})
                continue
            group = stat.comm
            if not self._wanted(group):
                continue
            # Unreadable (another user's process, a kernel without I/O accounting, a fixture without
            # the file): that field is not counted. Missing because the process exited: skip it.
            try:
                status = _optional(base, "status", _read_status)
                io = _optional(base, "io", _read_io)
                fds = _optional(base, "fd", _count_entries)
            except _Exited:
                continue

            pid = int(entry)
            counters: list[int | None] = [
                stat.utime, stat.stime,
                io.read_bytes if io else None, io.write_bytes if io else None,
                stat.majflt, stat.minflt,
                status.voluntary_ctxt_switches if status else None,
                status.nonvoluntary_ctxt_switches if status else None,
            ]
            before = previous.get(pid)
            last = before.counters if before is not None and before.starttime == stat.starttime else None
            totals = self._totals.get(group)
            if totals is None:
                totals = self._totals[group] = [0] * _NCOUNTERS
            for i in range(_NCOUNTERS):
                value = counters[i]
                old = last[i] if last is not None else None
                if value is None:
                    # Not readable this time: remember the last value so that the growth is
                    # counted once it is readable again.
                    counters[i] = old
                elif old is None:
                    totals[i] += value
                elif value > old:
                    totals[i] += value - old
            tracked[pid] = _Tracked(stat.starttime, counters)

            group_live = live.get(group)
            if group_live is None:
                group_live = live[group] = _Live()
            group_live.procs += 1
            group_live.rss_bytes += stat.rss * PAGE_SIZE
            group_live.virtual_bytes += stat.vsize
            if status is not None:
                group_live.swap_bytes += status.swap_bytes
            group_live.num_threads += stat.num_threads
            if fds is not None:
                group_live.fds += fds
            if group_live.oldest is None or stat.starttime < group_live.oldest:
                group_live.oldest = stat.starttime
            group_live.states[_STATE_INDEX.get(stat.state, 4)] += 1
        # Processes not seen this time have exited; their contributions stay in the totals.
        self._tracked = tracked
        return live

    def _families(self, live: dict[str, _Live]) -> list[Metric]:
        label = ["groupname"]
        num_procs = GaugeMetricFamily(
            "namedprocess_namegroup_num_procs", "number of processes in this group", labels=label
        )
        cpu = CounterMetricFamily(
            "namedprocess_namegroup_cpu_seconds_total", "Cpu user usage in seconds", labels=["groupname", "mode"]
        )
        read_bytes = CounterMetricFamily(
            "namedprocess_namegroup_read_bytes_total", "number of bytes read by this group", labels=label
        )
        write_bytes = CounterMetricFamily(
            "namedprocess_namegroup_write_bytes_total", "number of bytes written by this group", labels=label
        )
        major = CounterMetricFamily("namedprocess_namegroup_major_page_faults_total", "Major page faults", labels=label)
        minor = CounterMetricFamily("namedprocess_namegroup_minor_page_faults_total", "Minor page faults", labels=label)
        switches = CounterMetricFamily(
            "namedprocess_namegroup_context_switches_total", "Context switches", labels=["groupname", "ctxswitchtype"]
        )
        memory = GaugeMetricFamily(
            "namedprocess_namegroup_memory_bytes", "number of bytes of memory in use", labels=["groupname", "memtype"]
        )
        open_fds = GaugeMetricFamily(
            "namedprocess_namegroup_open_filedesc", "number of open file descriptors for this group", labels=label
        )
        start = GaugeMetricFamily(
            "namedprocess_namegroup_oldest_start_time_seconds",
            "start time in seconds since 1970/01/01 of oldest process in group",
            labels=label,
        )
        threads = GaugeMetricFamily("namedprocess_namegroup_num_threads", "Number of threads", labels=label)
        states = GaugeMetricFamily(
            "namedprocess_namegroup_states",
            "Number of processes in states Running, Sleeping, Waiting, Zombie, or Other",
            labels=["groupname", "state"],
        )
        empty = _Live()
        boot_time = self._boot_time or 0
        for name in sorted(self._totals):
            totals = self._totals[name]
            group = live.get(name, empty)
            num_procs.add_metric([name], group.procs)
            memory.add_metric([name, "resident"], group.rss_bytes)
            memory.add_metric([name, "virtual"], group.virtual_bytes)
            memory.add_metric([name, "swapped"], group.swap_bytes)
            if group.oldest is not None:
                # Whole seconds, as process-exporter reports time.Time.Unix().
                start.add_metric([name], boot_time + group.oldest // USER_HZ)
            open_fds.add_metric([name], group.fds)
            cpu.add_metric([name, "user"], totals[_UTIME_I] / USER_HZ)
            cpu.add_metric([name, "system"], totals[_STIME_I] / USER_HZ)
            read_bytes.add_metric([name], totals[_READ_I])
            write_bytes.add_metric([name], totals[_WRITE_I])
            major.add_metric([name], totals[_MAJFLT_I])
            minor.add_metric([name], totals[_MINFLT_I])
            switches.add_metric([name, "voluntary"], totals[_VOL_I])
            switches.add_metric([name, "nonvoluntary"], totals[_NONVOL_I])
            threads.add_metric([name], group.num_threads)
            for state, count in zip(STATES, group.states, strict=True):
                states.add_metric([name, state], count)
        return [
            num_procs, memory, start, open_fds, cpu, read_bytes, write_bytes, major, minor, switches, threads, states
        ]
