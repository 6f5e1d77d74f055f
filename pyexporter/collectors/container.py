"""container: the cgroups of the processes the exporter can see, under cAdvisor's metric names
(off by default).

node_exporter has no counterpart (it declined cgroup metrics); the names, HELP texts, types,
labels, units and derivations are cAdvisor's, so that its dashboards and alerts work:

- metrics/prometheus.go: the families, `container_cpu_usage_seconds_total{cpu="total"}` (per-CPU
  usage is off by default in cAdvisor), the CFS families only for a cgroup with a CPU quota, the
  spec families, and `specMemoryValue` (a limit above 2^62 is "unlimited" and reported as 0);
- container/libcontainer/handler.go: setCPUStats, setMemoryStats (RSS, cache and swap from the
  `total_*` keys of a hierarchical v1 memory.stat, from anon/file and memory.swap.current on v2;
  the working set is usage minus inactive file, never below 0), setDiskIOStats, the PSI totals,
  and processStatsFromProcs (processes counted from cgroup.procs, threads from pids.current);
- container/common/helpers.go getSpecInternal: cpu.shares, cpu.cfs_quota_us (-1: no quota) and
  cpu.cfs_period_us on v1; cpu.weight (turned back into shares as cAdvisor does) and cpu.max
  ("max": no quota) on v2; memory.limit_in_bytes or memory.max;
- runc's libcontainer/cgroups/fs (v1) and fs2 (v2) readers that cAdvisor calls: cpuacct.usage and
  cpuacct.stat (USER_HZ ticks), cpu.stat, memory.stat, memory.failcnt, blkio's BFQ, CFQ and
  throttle `io_service_bytes_recursive` files in that order, io.stat.

Where this collector differs from cAdvisor:

- `container_oom_events_total` is the kernel's own count, `oom_kill` in memory.oom_control (v1,
  Linux 4.13+) or memory.events (v2); cAdvisor counts the OOM kills it sees in the kernel log,
  which needs /dev/kmsg. A kernel without the count gets no sample.
- `container_memory_failcnt` exists on v1 only; the PSI families on v2 only; a value whose file is
  absent is left out, never reported as 0.
- When the pids controller is not there, `container_threads` counts the cgroup's `tasks` (v1) or
  `cgroup.threads` (v2) instead of reading pids.current.
- `container_fs_*_bytes_total` name a device `/dev/NAME` from /sys/dev/block/MAJ:MIN/uevent, as
  cAdvisor's machine-info namer does; a device sysfs does not know is named "".

Which cgroups: by default, those of the processes visible in procfs (/proc/PID/cgroup); in a
sidecar sharing a PID namespace, the neighbour's and the exporter's own. One series set per
cgroup, never per process. `--collector.container.cgroup-include` reports instead every cgroup
under the cgroup filesystem whose id matches. On cgroup v1 the id is the path in the cpu
hierarchy (cpuacct, then memory, when there is none), on v2 the unified path.

A process in a private cgroup namespace (Docker's default on cgroup v2) sees other containers'
paths relative to its own namespace root, as "/../docker-ID.scope". They are resolved against the
host's hierarchy mounted at `--path.cgroupfs`: the exporter's own cgroup is found there once, as
the directory whose cgroup.procs lists the exporter's pid, which fixes where its namespace root is.

The `name` label: a `--collector.container.name` rule when one matches; otherwise the hostname of
a process of the cgroup that has a UTS namespace of its own (a container), read through
/proc/PID/root/etc/hostname, or the variable named by `--collector.container.name-env` in
/proc/PID/environ. Both need the right to look into the process (same user, or CAP_SYS_PTRACE);
without it the name is "".
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import FlagValueError, flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily, VerbatimFamily
from pyexporter.toolkit.files import decode, read_bytes, read_generated, read_text
from pyexporter.toolkit.numbers import USER_HZ, NumberError, parse_uint

# The v1 controllers this collector reads, and the hierarchy whose path is a cgroup's id.
_V1_CONTROLLERS = ("cpu", "cpuacct", "memory", "blkio", "pids")
_V1_ID_CONTROLLERS = ("cpu", "cpuacct", "memory")
# cAdvisor's specMemoryValue: a limit above this is the kernel's "unlimited", reported as 0.
_UNLIMITED_MEMORY = 1 << 62
# A cgroup that vanishes while it is read (its last process exited, its container stopped).
_VANISHED = (FileNotFoundError, ProcessLookupError, NotADirectoryError)
# How many cgroup directories a walk of the hierarchy may visit (an include regex, or looking for
# the exporter's own cgroup); a host has a few hundred.
_MAX_WALK = 20000
_PSI_RESOURCES = ("cpu", "memory", "io")


# -- parsing: text in, records out -----------------------------------------------------------------

class CgroupLine(NamedTuple):
    """One line of /proc/PID/cgroup: `hierarchy-ID:controller-list:path`."""

    hierarchy: str
    controllers: tuple[str, ...]
    path: str


def parse_proc_cgroup(text: str) -> list[CgroupLine]:
    """/proc/PID/cgroup. The v2 line is `0::PATH`; v1 lines list their controllers (`cpu,cpuacct`)
    or a named hierarchy (`name=systemd`). A path may itself hold colons."""
    lines: list[CgroupLine] = []
    for line in text.splitlines():
        if not line:
            continue
        parts = line.split(":", 2)
        if len(parts) != 3 or not parts[2].startswith("/"):
            raise CollectorError(f"unexpected cgroup line: {line[:120]!r}")
        controllers = tuple(c for c in parts[1].split(",") if c)
        lines.append(CgroupLine(parts[0], controllers, parts[2]))
    return lines


def parse_flat_keyed(text: str, path: str = "", keys: AbstractSet[str] | None = None) -> dict[str, int]:
    """`key value` lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control),
    as runc's fscommon.ParseKeyValue reads them: two fields, the value an unsigned integer. With
    KEYS, only those keys' values are read (memory.stat has some fifty lines, three of them used)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise CollectorError(f"{path}: unexpected line {line[:120]!r}")
        if keys is not None and fields[0] not in keys:
            continue
        try:
            values[fields[0]] = parse_uint(fields[1])
        except NumberError as err:
            raise CollectorError(f"{path}: {err}") from None
    return values


def parse_single_uint(text: str, path: str = "") -> int:
    """A one-value cgroup file (memory.usage_in_bytes, cpu.shares): runc's GetCgroupParamUint,
    which reads "max" as the largest value."""
    value = text.strip()
    if value == "max":
        return (1 << 64) - 1
    if not value:
        raise CollectorError(f"{path}: empty")
    try:
        return parse_uint(value)
    except NumberError as err:
        raise CollectorError(f"{path}: {err}") from None


def parse_cpu_max(text: str) -> tuple[int, int]:
    """cgroup v2 cpu.max, `QUOTA PERIOD`: (quota, period), quota 0 for "max" (no quota), as
    cAdvisor's getSpecInternal reads it."""
    fields = text.split()
    if len(fields) != 2:
        raise CollectorError(f"unexpected cpu.max content: {text[:80]!r}")
    quota = 0 if fields[0] == "max" else parse_uint(fields[0])
    return quota, parse_uint(fields[1])


def parse_cfs_quota(text: str) -> int:
    """cgroup v1 cpu.cfs_quota_us: microseconds, or -1 for none (0, as cAdvisor keeps it)."""
    value = text.strip()
    if value == "-1":
        return 0
    return parse_uint(value)


def shares_from_weight(weight: int) -> int:
    """cgroup v2 cpu.weight (1-10000) back to v1 cpu.shares (2-262144), as cAdvisor's
    convertCPUWeightToCPULimit inverts runc's linear conversion; 0 for a weight out of range."""
    if not 1 <= weight <= 10000:
        return 0
    return 2 + ((weight - 1) * 262142) // 9999


Device = tuple[int, int]


def _device(text: str, line: str) -> Device:
    major, sep, minor = text.partition(":")
    if not sep:
        raise CollectorError(f"unexpected device in line {line[:120]!r}")
    return parse_uint(major), parse_uint(minor)


def parse_blkio(text: str) -> dict[Device, dict[str, int]]:
    """A v1 blkio `io_service_bytes` file: `MAJ:MIN Op VALUE` lines and a last `Total VALUE`
    (runc's fs getBlkioStat)."""
    devices: dict[Device, dict[str, int]] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields or (len(fields) == 2 and fields[0] == "Total"):
            continue
        if len(fields) != 3:
            raise CollectorError(f"unexpected blkio line {line[:120]!r}")
        devices.setdefault(_device(fields[0], line), {})[fields[1]] = parse_uint(fields[2])
    return devices


def parse_io_stat(text: str) -> dict[Device, dict[str, int]]:
    """cgroup v2 io.stat: `MAJ:MIN rbytes=N wbytes=N rios=N ...` (runc's fs2 statIo). Only the
    six byte and operation counts are read; what else a controller appends (iocost's
    `cost.vrate=100.00`, iolatency's `depth=max`) is skipped, as runc skips it."""
    devices: dict[Device, dict[str, int]] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        device = _device(fields[0], line)
        counters: dict[str, int] = {}
        for item in fields[1:]:
            key, sep, value = item.partition("=")
            if sep and key in _IO_STAT_KEYS:
                counters[key] = parse_uint(value)
        # A device line with nothing counted yet is skipped, as runc skips it.
        if counters:
            devices[device] = counters
    return devices


_IO_STAT_KEYS = frozenset({"rbytes", "wbytes", "rios", "wios", "dbytes", "dios"})


def parse_psi_totals(text: str) -> dict[str, int]:
    """A PSI file (cpu.pressure, ...): the `total=` microseconds of its `some` and `full` lines."""
    totals: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if fields[0] not in ("some", "full"):
            raise CollectorError(f"unexpected pressure line {line[:120]!r}")
        for item in fields[1:]:
            key, _, value = item.partition("=")
            if key == "total":
                totals[fields[0]] = parse_uint(value)
    return totals


def count_ids(text: str) -> int:
    """Lines of cgroup.procs, tasks or cgroup.threads: one id each."""
    return sum(1 for line in text.splitlines() if line.strip())


# -- reading one cgroup ------------------------------------------------------------------------------

@dataclass(slots=True)
class CgroupStats:
    """What one cgroup holds; None where its file is absent (a controller not enabled for it, a
    kernel without the count)."""

    usage_seconds: float | None = None
    user_seconds: float | None = None
    system_seconds: float | None = None
    cfs_periods: int | None = None
    cfs_throttled_periods: int | None = None
    cfs_throttled_seconds: float | None = None
    memory_usage: int | None = None
    working_set: int | None = None
    rss: int | None = None
    cache: int | None = None
    swap: int | None = None
    failcnt: int | None = None
    oom_kills: int | None = None
    memory_limit: int | None = None
    cpu_quota: int = 0
    cpu_period: int | None = None
    cpu_shares: int | None = None
    io: dict[Device, tuple[int, int]] = field(default_factory=dict)
    pressure: dict[tuple[str, str], float] = field(default_factory=dict)
    processes: int | None = None
    threads: int | None = None


def _optional_text(path: str) -> str | None:
    try:
        return read_text(path)
    except FileNotFoundError:
        return None


def _optional_uint(path: str) -> int | None:
    text = _optional_text(path)
    return None if text is None else parse_single_uint(text, path)


def _optional_keyed(path: str, keys: AbstractSet[str] | None = None) -> dict[str, int] | None:
    text = _optional_text(path)
    return None if text is None else parse_flat_keyed(text, path, keys)


def _working_set(usage: int, stat: Mapping[str, int], inactive_key: str) -> int:
    inactive = stat.get(inactive_key)
    if inactive is None:
        return usage
    return max(usage - inactive, 0)


def read_v1(dirs: Mapping[str, str]) -> CgroupStats:
    """A cgroup on v1, from its directory in each controller's hierarchy (DIRS: controller ->
    directory, only the controllers it has)."""
    stats = CgroupStats()
    cpuacct = dirs.get("cpuacct")
    if cpuacct is not None:
        usage = _optional_uint(f"{cpuacct}/cpuacct.usage")
        if usage is not None:
            stats.usage_seconds = usage / 1e9
        times = _optional_keyed(f"{cpuacct}/cpuacct.stat")
        if times is not None:
            if "user" in times:
                stats.user_seconds = times["user"] / USER_HZ
            if "system" in times:
                stats.system_seconds = times["system"] / USER_HZ
    cpu = dirs.get("cpu")
    if cpu is not None:
        throttling = _optional_keyed(f"{cpu}/cpu.stat")
        if throttling is not None:
            stats.cfs_periods = throttling.get("nr_periods")
            stats.cfs_throttled_periods = throttling.get("nr_throttled")
            if "throttled_time" in throttling:
                stats.cfs_throttled_seconds = throttling["throttled_time"] / 1e9
        stats.cpu_shares = _optional_uint(f"{cpu}/cpu.shares")
        stats.cpu_period = _optional_uint(f"{cpu}/cpu.cfs_period_us")
        quota = _optional_text(f"{cpu}/cpu.cfs_quota_us")
        if quota is not None:
            stats.cpu_quota = parse_cfs_quota(quota)
    memory = dirs.get("memory")
    if memory is not None:
        _read_v1_memory(memory, stats)
    blkio = dirs.get("blkio")
    if blkio is not None:
        for name in ("blkio.bfq.io_service_bytes_recursive", "blkio.io_service_bytes_recursive",
                     "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes"):
            text = _optional_text(f"{blkio}/{name}")
            # An I/O scheduler's file is there but empty when that scheduler is not in use.
            devices = parse_blkio(text) if text is not None else {}
            if devices:
                stats.io = {dev: (ops.get("Read", 0), ops.get("Write", 0)) for dev, ops in devices.items()}
                break
    base = dirs.get("cpu") or dirs.get("cpuacct") or dirs.get("memory")
    if base is not None:
        procs = _optional_text(f"{base}/cgroup.procs")
        stats.processes = None if procs is None else count_ids(procs)
    pids = dirs.get("pids")
    threads = _optional_uint(f"{pids}/pids.current") if pids is not None else None
    if threads is None and base is not None:
        tasks = _optional_text(f"{base}/tasks")
        threads = None if tasks is None else count_ids(tasks)
    stats.threads = threads
    return stats


_V1_MEMORY_KEYS = frozenset({
    "rss", "cache", "swap", "total_rss", "total_cache", "total_swap", "total_inactive_file",
})
_V2_MEMORY_KEYS = frozenset({"anon", "file", "inactive_file"})


def _read_v1_memory(memory: str, stats: CgroupStats) -> None:
    usage = _optional_uint(f"{memory}/memory.usage_in_bytes")
    stat = _optional_keyed(f"{memory}/memory.stat", _V1_MEMORY_KEYS) or {}
    hierarchy = _optional_text(f"{memory}/memory.use_hierarchy")
    hierarchical = hierarchy.strip() == "1" if hierarchy is not None else "total_cache" in stat
    prefix = "total_" if hierarchical else ""
    if usage is not None:
        stats.memory_usage = usage
        stats.working_set = _working_set(usage, stat, "total_inactive_file")
    stats.rss = stat.get(prefix + "rss")
    stats.cache = stat.get(prefix + "cache")
    stats.swap = stat.get(prefix + "swap")
    stats.failcnt = _optional_uint(f"{memory}/memory.failcnt")
    oom = _optional_keyed(f"{memory}/memory.oom_control")
    if oom is not None:
        stats.oom_kills = oom.get("oom_kill")
    stats.memory_limit = _optional_uint(f"{memory}/memory.limit_in_bytes")


def read_v2(directory: str) -> CgroupStats:
    """A cgroup on the unified hierarchy, from its directory."""
    stats = CgroupStats()
    cpu = _optional_keyed(f"{directory}/cpu.stat")
    if cpu is not None:
        if "usage_usec" in cpu:
            stats.usage_seconds = cpu["usage_usec"] / 1e6
        if "user_usec" in cpu:
            stats.user_seconds = cpu["user_usec"] / 1e6
        if "system_usec" in cpu:
            stats.system_seconds = cpu["system_usec"] / 1e6
        stats.cfs_periods = cpu.get("nr_periods")
        stats.cfs_throttled_periods = cpu.get("nr_throttled")
        if "throttled_usec" in cpu:
            stats.cfs_throttled_seconds = cpu["throttled_usec"] / 1e6
    cpu_max = _optional_text(f"{directory}/cpu.max")
    if cpu_max is not None:
        stats.cpu_quota, stats.cpu_period = parse_cpu_max(cpu_max)
        weight = _optional_uint(f"{directory}/cpu.weight")
        stats.cpu_shares = shares_from_weight(weight) if weight is not None else 0
    usage = _optional_uint(f"{directory}/memory.current")
    stat = _optional_keyed(f"{directory}/memory.stat", _V2_MEMORY_KEYS) or {}
    if usage is not None:
        stats.memory_usage = usage
        stats.working_set = _working_set(usage, stat, "inactive_file")
    stats.rss = stat.get("anon")
    stats.cache = stat.get("file")
    stats.swap = _optional_uint(f"{directory}/memory.swap.current")
    events = _optional_keyed(f"{directory}/memory.events")
    if events is not None:
        stats.oom_kills = events.get("oom_kill")
    stats.memory_limit = _optional_uint(f"{directory}/memory.max")
    io = _optional_text(f"{directory}/io.stat")
    if io is not None:
        stats.io = {dev: (c.get("rbytes", 0), c.get("wbytes", 0)) for dev, c in parse_io_stat(io).items()}
    for resource in _PSI_RESOURCES:
        text = _optional_text(f"{directory}/{resource}.pressure")
        if text is not None:
            for kind, micros in parse_psi_totals(text).items():
                stats.pressure[(resource, kind)] = micros / 1e6
    procs = _optional_text(f"{directory}/cgroup.procs")
    stats.processes = None if procs is None else count_ids(procs)
    threads = _optional_uint(f"{directory}/pids.current")
    if threads is None:
        listed = _optional_text(f"{directory}/cgroup.threads")
        threads = None if listed is None else count_ids(listed)
    stats.threads = threads
    return stats


# -- finding the cgroups ---------------------------------------------------------------------------

def _walk(root: str, limit: int = _MAX_WALK) -> Iterator[str]:
    """Directories below ROOT (ROOT itself first), as paths relative to it with a leading "/"."""
    pending = ["/"]
    seen = 0
    while pending and seen < limit:
        rel = pending.pop()
        seen += 1
        yield rel
        try:
            with os.scandir(root + rel if rel != "/" else root) as entries:
                children = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
        except OSError:
            continue
        base = rel.rstrip("/")
        pending.extend(f"{base}/{name}" for name in reversed(children))


@dataclass(frozen=True, slots=True)
class NameRule:
    """`[ID_REGEX=]NAME`: NAME for the cgroups whose id fully matches, or (no regex) for every
    cgroup but the exporter's own."""

    pattern: re.Pattern[str] | None
    name: str


def parse_name_rule(text: str) -> NameRule:
    pattern_text, sep, name = text.rpartition("=")
    if not sep:
        return NameRule(None, text)
    try:
        return NameRule(re.compile(pattern_text), name)
    except re.error as err:
        raise FlagValueError(f"--collector.container.name: invalid regular expression "
                             f"{pattern_text!r}: {err}") from None


@dataclass(frozen=True, slots=True)
class ContainerOptions:
    cgroup_include: re.Pattern[str] | None = flag(
        "cgroup-include",
        "Report every cgroup under --path.cgroupfs whose id (its path) fully matches this regex, "
        "instead of the cgroups of the processes the exporter can see.",
    )
    names: tuple[str, ...] = flag(
        "name",
        "[ID_REGEX=]NAME: the name label of the cgroups whose id fully matches ID_REGEX, or "
        "(NAME alone) of every reported cgroup but the exporter's own. Repeatable; the first match "
        "wins.",
        (),
    )
    name_env: str = flag(
        "name-env",
        "An environment variable of a cgroup's processes that holds its name, read from "
        "/proc/PID/environ where the exporter may (empty: not used).",
    )


class _Cgroup:
    __slots__ = ("dirs", "id", "pid")

    def __init__(self, cgroup_id: str, dirs: dict[str, str], pid: int | None) -> None:
        self.id = cgroup_id
        self.dirs = dirs  # controller ("" on v2) -> directory
        self.pid = pid  # a visible process of the cgroup, for its name


_CPU_USAGE_HELP = "Cumulative cpu time consumed in seconds."


@collector("container", default=False, options=ContainerOptions)
class ContainerCollector(Collector[ContainerOptions]):
    def __init__(self, ctx: CollectorContext[ContainerOptions]) -> None:
        super().__init__(ctx)
        self.rules = tuple(parse_name_rule(text) for text in self.options.names)
        self.include = self.options.cgroup_include
        self._unified: bool | None = None
        self._mounts: dict[str, str] = {}
        # Per hierarchy directory: the host path of the exporter's cgroup namespace root.
        self._ns_roots: dict[str, str | None] = {}
        self._names: dict[tuple[str, int | None], str] = {}
        self._devices: dict[Device, str] = {}

    # -- layout ----------------------------------------------------------------------------------

    def _layout(self) -> bool:
        """Whether the cgroupfs is the unified (v2) hierarchy; on v1, where each controller is."""
        if self._unified is None:
            root = self.paths.cgroup()
            if os.path.exists(os.path.join(root, "cgroup.controllers")):
                self._unified = True
            else:
                try:
                    entries = sorted(os.listdir(root))
                except OSError as err:
                    raise CollectorError(f"cannot read the cgroup filesystem at {root}: {err}") from None
                # A hierarchy is a directory holding cgroup.procs: an empty directory of that name
                # (left by a container that mounted cgroupfs read-write) is no hierarchy. The
                # controller's own name first, then a co-mount such as `cpu,cpuacct`.
                mounts: dict[str, str] = {}
                for controller in _V1_CONTROLLERS:
                    named = [entry for entry in entries if controller in entry.split(",")]
                    for entry in sorted(named, key=lambda e: e != controller):
                        if os.path.exists(os.path.join(root, entry, "cgroup.procs")):
                            mounts[controller] = os.path.join(root, entry)
                            break
                if not mounts:
                    raise CollectorError(f"no cgroup controller found under {root}")
                self._unified = False
                self._mounts = mounts
        return self._unified

    def _own_pids(self) -> set[str]:
        """The exporter's pid as cgroup.procs lists it to the exporter (its own PID namespace's),
        and as --path.procfs's `self` names it (a fixture's, or the host's for a host /proc)."""
        pids = {str(os.getpid())}
        try:
            pids.add(os.readlink(self.paths.proc("self")))
        except OSError:
            pass
        return pids

    def _ns_root(self, hierarchy: str, own_path: str) -> str | None:
        """Where, in HIERARCHY as mounted at --path.cgroupfs, the root of the exporter's cgroup
        namespace is: its own cgroup (the directory whose cgroup.procs lists it) less OWN_PATH, the
        path of that cgroup as /proc/self/cgroup shows it. None when the exporter's cgroup is not
        found there (a tree of someone else's, or a hierarchy it is not in)."""
        if hierarchy in self._ns_roots:
            return self._ns_roots[hierarchy]
        own_pids = self._own_pids()

        def lists_own_pid(rel: str) -> bool:
            try:
                return not own_pids.isdisjoint(read_text(f"{hierarchy}{rel.rstrip('/')}/cgroup.procs").split())
            except OSError:
                return False

        root: str | None = None
        # In the host's cgroup namespace (or a tree mounted from inside the exporter's own), the
        # path it sees is where it is: no walk.
        if "/.." not in own_path and lists_own_pid(own_path):
            root = "/"
        else:
            found = next((rel for rel in _walk(hierarchy) if lists_own_pid(rel)), None)
            if found is not None:
                if own_path == "/":
                    root = found
                elif found.endswith(own_path):
                    root = found[: -len(own_path)] or "/"
        self._ns_roots[hierarchy] = root
        return root

    def _resolve(self, hierarchy: str, path: str, own_paths: Mapping[str, str], key: str) -> str | None:
        """PATH from /proc/PID/cgroup, which is relative to the exporter's cgroup namespace (a
        cgroup outside it reads "/../NAME"), as a path in HIERARCHY."""
        root = self._ns_root(hierarchy, own_paths.get(key, "/"))
        if root is None or root == "/":
            return path if "/.." not in path else None
        return os.path.normpath(f"{root.rstrip('/')}/{path.lstrip('/')}")

    # -- the cgroups to report ---------------------------------------------------------------------

    def _own_paths(self) -> dict[str, str]:
        """The exporter's own cgroup paths, keyed by controller ("" for the v2 line)."""
        try:
            lines = parse_proc_cgroup(read_text(self.paths.proc("self", "cgroup")))
        except OSError:
            return {}
        return _paths_by_controller(lines)

    def _visible(self, unified: bool) -> tuple[list[_Cgroup], str | None]:
        own = self._own_paths()
        own_id = self._id_of(own, unified, own)
        root = self.paths.proc()
        cgroups: dict[str, _Cgroup] = {}
        for entry in sorted(os.listdir(root), key=lambda e: (len(e), e)):
            if not entry.isdigit():
                continue
            try:
                text = decode(read_generated(f"{root}/{entry}/cgroup"))
            except _VANISHED:
                continue
            except OSError as err:
                self.log.debug("unreadable process", extra={"kv": {"pid": entry, "err": str(err)}})
                continue
            paths = _paths_by_controller(parse_proc_cgroup(text))
            cgroup_id = self._id_of(paths, unified, own)
            if cgroup_id is None or cgroup_id in cgroups:
                continue
            dirs = self._dirs(cgroup_id, unified)
            if dirs:
                cgroups[cgroup_id] = _Cgroup(cgroup_id, dirs, int(entry))
        return [cgroups[key] for key in sorted(cgroups)], own_id

    def _id_of(self, paths: Mapping[str, str], unified: bool, own: Mapping[str, str]) -> str | None:
        if unified:
            keys: tuple[str, ...] = ("",)
        else:
            keys = _V1_ID_CONTROLLERS
        for key in keys:
            if key in paths:
                hierarchy = self.paths.cgroup() if unified else self._mounts.get(key)
                if hierarchy is None:
                    continue
                return self._resolve(hierarchy, paths[key], own, key)
        return None

    def _dirs(self, cgroup_id: str, unified: bool) -> dict[str, str]:
        """The directories of cgroup CGROUP_ID: on v1 the same path in every controller's hierarchy,
        where it exists, as cAdvisor reads a container."""
        suffix = cgroup_id.rstrip("/")
        if unified:
            directory = self.paths.cgroup() + suffix
            return {"": directory} if os.path.isdir(directory) else {}
        return {c: h + suffix for c, h in self._mounts.items() if os.path.isdir(h + suffix)}

    def _included(self, pattern: re.Pattern[str], unified: bool) -> list[_Cgroup]:
        if unified:
            base = self.paths.cgroup()
        else:
            base = next((self._mounts[c] for c in _V1_ID_CONTROLLERS if c in self._mounts), "")
        cgroups: list[_Cgroup] = []
        for rel in _walk(base):
            if not pattern.fullmatch(rel):
                continue
            cgroups.append(_Cgroup(rel, self._dirs(rel, unified), None))
        return cgroups

    # -- labels --------------------------------------------------------------------------------------

    def _name(self, cgroup: _Cgroup, own_id: str | None) -> str:
        for rule in self.rules:
            if rule.pattern is None:
                if cgroup.id != own_id:
                    return rule.name
            elif rule.pattern.fullmatch(cgroup.id):
                return rule.name
        if cgroup.pid is None:
            return ""
        key = (cgroup.id, cgroup.pid)
        name = self._names.get(key)
        if name is None:
            if len(self._names) > 4096:
                self._names.clear()
            name = self._names[key] = self._process_name(cgroup.pid)
        return name

    def _process_name(self, pid: int) -> str:
        base = self.paths.proc(str(pid))
        if self.options.name_env:
            try:
                environ = read_bytes(f"{base}/environ")
            except OSError:
                environ = b""
            wanted = self.options.name_env.encode() + b"="
            for item in environ.split(b"\0"):
                if item.startswith(wanted):
                    return decode(item[len(wanted):])
        try:
            if os.readlink(f"{base}/ns/uts") == os.readlink(self.paths.proc("self", "ns", "uts")):
                return ""
            return read_text(f"{base}/root/etc/hostname").strip()
        except OSError:
            return ""

    def _device_name(self, device: Device) -> str:
        name = self._devices.get(device)
        if name is None:
            name = ""
            try:
                uevent = read_text(self.paths.sys("dev", "block", f"{device[0]}:{device[1]}", "uevent"))
            except OSError:
                uevent = ""
            for line in uevent.splitlines():
                if line.startswith("DEVNAME="):
                    name = "/dev/" + line[len("DEVNAME="):]
            if len(self._devices) > 4096:
                self._devices.clear()
            self._devices[device] = name
        return name

    # -- the scrape ----------------------------------------------------------------------------------

    def collect(self) -> Iterable[Metric]:
        unified = self._layout()
        if self.include is not None:
            cgroups = self._included(self.include, unified)
            own = self._own_paths()
            own_id = self._id_of(own, unified, own)
        else:
            cgroups, own_id = self._visible(unified)
        families = _Families()
        for cgroup in cgroups:
            try:
                stats = read_v2(cgroup.dirs[""]) if unified else read_v1(cgroup.dirs)
            except _VANISHED:
                continue
            except CollectorError as err:
                raise CollectorError(f"cgroup {cgroup.id}: {err}") from None
            families.add([cgroup.id, self._name(cgroup, own_id)], stats, self._device_name)
        return families.done()


def _paths_by_controller(lines: Iterable[CgroupLine]) -> dict[str, str]:
    paths: dict[str, str] = {}
    for line in lines:
        if line.hierarchy == "0" and not line.controllers:
            paths[""] = line.path
        for controller in line.controllers:
            paths.setdefault(controller, line.path)
    return paths


class _Families:
    """The container_* families of one scrape, in cAdvisor's order."""

    def __init__(self) -> None:
        labels = ["id", "name"]

        def counter(name: str, help_text: str, extra: tuple[str, ...] = ()) -> CounterMetricFamily:
            return CounterMetricFamily(name, help_text, labels=[*labels, *extra])

        def gauge(name: str, help_text: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, help_text, labels=labels)

        self.user = counter("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.")
        self.system = counter("container_cpu_system_seconds_total",
                              "Cumulative system cpu time consumed in seconds.")
        self.usage = counter("container_cpu_usage_seconds_total", _CPU_USAGE_HELP, ("cpu",))
        self.periods = counter("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.")
        self.throttled_periods = counter("container_cpu_cfs_throttled_periods_total",
                                         "Number of throttled period intervals.")
        self.throttled_seconds = counter("container_cpu_cfs_throttled_seconds_total",
                                         "Total time duration the container has been throttled.")
        self.cache = gauge("container_memory_cache", "Number of bytes of page cache memory.")
        self.rss = gauge("container_memory_rss", "Size of RSS in bytes.")
        self.swap = gauge("container_memory_swap", "Container swap usage in bytes.")
        # A counter without the _total suffix, served under cAdvisor's name as it is.
        self.failcnt = VerbatimFamily("container_memory_failcnt", "Number of memory usage hits limits", "counter")
        self.memory_usage = gauge(
            "container_memory_usage_bytes",
            "Current memory usage in bytes, including all memory regardless of when it was accessed")
        self.working_set = gauge("container_memory_working_set_bytes", "Current working set in bytes.")
        self.oom = counter("container_oom_events_total", "Count of out of memory events observed for the container")
        self.reads = counter("container_fs_reads_bytes_total", "Cumulative count of bytes read", ("device",))
        self.writes = counter("container_fs_writes_bytes_total", "Cumulative count of bytes written", ("device",))
        self.pressure = {
            (resource, kind): counter(
                f"container_pressure_{resource}_{'waiting' if kind == 'some' else 'stalled'}_seconds_total",
                (f"Total time duration tasks in the container have waited due to {_PSI_WORD[resource]} congestion."
                 if kind == "some" else
                 f"Total time duration no tasks in the container could make progress due to "
                 f"{_PSI_WORD[resource]} congestion."))
            for resource in _PSI_RESOURCES for kind in ("some", "full")
        }
        self.processes = gauge("container_processes", "Number of processes running inside the container.")
        self.threads = gauge("container_threads", "Number of threads running inside the container")
        self.spec_period = gauge("container_spec_cpu_period", "CPU period of the container.")
        self.spec_quota = gauge("container_spec_cpu_quota", "CPU quota of the container.")
        self.spec_shares = gauge("container_spec_cpu_shares", "CPU share of the container.")
        self.spec_memory = gauge("container_spec_memory_limit_bytes", "Memory limit for the container.")

    def add(self, labels: list[str], stats: CgroupStats, device_name: Callable[[Device], str]) -> None:
        def put(family: GaugeMetricFamily | CounterMetricFamily, value: float | None) -> None:
            if value is not None:
                family.add_metric(labels, value)

        if stats.cpu_period is not None:
            put(self.spec_period, stats.cpu_period)
            if stats.cpu_quota:
                put(self.spec_quota, stats.cpu_quota)
            put(self.spec_shares, stats.cpu_shares)
        if stats.memory_limit is not None:
            put(self.spec_memory, stats.memory_limit if stats.memory_limit <= _UNLIMITED_MEMORY else 0)
        put(self.user, stats.user_seconds)
        put(self.system, stats.system_seconds)
        if stats.usage_seconds is not None:
            self.usage.add_metric([*labels, "total"], stats.usage_seconds)
        # cAdvisor reports CFS statistics only for a cgroup with a CPU quota.
        if stats.cpu_quota:
            put(self.periods, stats.cfs_periods)
            put(self.throttled_periods, stats.cfs_throttled_periods)
            put(self.throttled_seconds, stats.cfs_throttled_seconds)
        put(self.cache, stats.cache)
        put(self.rss, stats.rss)
        put(self.swap, stats.swap)
        if stats.failcnt is not None:
            self.failcnt.add_sample("container_memory_failcnt", dict(zip(("id", "name"), labels, strict=True)),
                                    stats.failcnt)
        put(self.memory_usage, stats.memory_usage)
        put(self.working_set, stats.working_set)
        put(self.oom, stats.oom_kills)
        for device in sorted(stats.io):
            read, written = stats.io[device]
            name = device_name(device)
            self.reads.add_metric([*labels, name], read)
            self.writes.add_metric([*labels, name], written)
        for key, seconds in stats.pressure.items():
            self.pressure[key].add_metric(labels, seconds)
        put(self.processes, stats.processes)
        put(self.threads, stats.threads)

    def done(self) -> list[Metric]:
        families: list[Metric] = [
            self.spec_period, self.spec_quota, self.spec_shares, self.spec_memory,
            self.user, self.system, self.usage, self.periods, self.throttled_periods, self.throttled_seconds,
            self.cache, self.rss, self.swap, self.failcnt, self.memory_usage, self.working_set, self.oom,
            self.reads, self.writes, *self.pressure.values(), self.processes, self.threads,
        ]
        return [family for family in families if family.samples]


_PSI_WORD = {"cpu": "CPU", "memory": "memory", "io": "IO"}

