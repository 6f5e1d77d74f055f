"""How pyexporter's scrape cost grows with the size of the machine.

Generated proc/sys trees with 1, 64 and 256 CPUs; 10, 100 and 1000 network devices, disks and
mounts; 100, 1000 and 5000 processes. On each tree the collectors that read that dimension run
in a process of the tree's own (pyexporter.scrape.Scraper, then pyexporter.exposition's merge and
encode; the processes of a dimension take turns), and the cost is reported per sample and per
element (CPU, device, disk, mount, process). A marginal cost that grows with size is flagged as
super-linear.

    .venv/bin/python benchmarks/scaling.py                  # every dimension, about two minutes
    .venv/bin/python benchmarks/scaling.py --only processes --sizes 100,1000

The trees are regular files on the temporary filesystem, so reading them costs less than reading
the kernel's generated /proc files; the growth, not the absolute numbers, is the point.
Writes benchmarks/results/scaling.json and benchmarks/results/scaling.png.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import mmap
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # after the path set-up, for `python benchmarks/scaling.py`
    PLAIN_HEADERS,
    RESULTS,
    Exporter,
    Scraper,
    count_samples,
    fmt,
    host_info,
    markdown_table,
    percentile,
    pyplot,
    ratio,
    reference_binary,
    reference_version,
    start_pyexporter,
    start_reference,
    write_json,
)

Tree = dict[str, str]  # relative path -> file content; a path ending in "/" is an empty directory

BOOT_TIME = 1_700_000_000


# ---------------------------------------------------------------------------------------------
# Fixture generation: pure functions from a size to a tree


def _stat_text(cpus: int) -> str:
    lines = [f"cpu  {cpus * 1000} {cpus * 10} {cpus * 500} {cpus * 90000} {cpus * 50} 0 {cpus * 20} 0 0 0"]
    for i in range(cpus):
        lines.append(f"cpu{i} {1000 + i} 10 {500 + i} {90000 + i} 50 0 20 0 0 0")
    lines += [
        "intr 123456 " + " ".join("0" for _ in range(64)),
        "ctxt 987654",
        f"btime {BOOT_TIME}",
        "processes 4321",
        "procs_running 2",
        "procs_blocked 0",
        "softirq 5000 1 2 3 4 5 6 7 8 9 10",
    ]
    return "\n".join(lines) + "\n"


def cpu_tree(cpus: int) -> Tree:
    """/proc/stat, /proc/cpuinfo, /proc/schedstat, /proc/net/softnet_stat and
    /sys/devices/system/cpu/cpuN (topology, throttles, online, cpufreq) for CPUS CPUs."""
    tree: Tree = {"proc/stat": _stat_text(cpus)}
    blocks = []
    for i in range(cpus):
        blocks.append(
            f"processor\t: {i}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
            f"model name\t: Intel(R) Xeon(R) Benchmark CPU @ 2.00GHz\nstepping\t: 7\nmicrocode\t: 0x5003006\n"
            f"cpu MHz\t\t: 2000.000\ncache size\t: 36608 KB\nphysical id\t: {i // 32}\ncore id\t\t: {i % 32}\n"
            "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr sse sse2 ht syscall nx lm\n"
            "bugs\t\t: spectre_v1 spectre_v2\n"
        )
    tree["proc/cpuinfo"] = "\n".join(blocks)
    tree["proc/schedstat"] = "version 15\ntimestamp 4294892303\n" + "".join(
        f"cpu{i} 0 0 0 0 0 0 {1500000000 + i} {250000000 + i} {77 + i}\n"
        f"domain0 {i:08x} 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        for i in range(cpus)
    )
    tree["proc/net/softnet_stat"] = "".join(
        f"{i + 1000:08x} 00000000 00000001 00000000 00000000 00000000 00000000 00000000 "
        f"00000000 00000000 00000000 00000000 {i:08x}\n"
        for i in range(cpus)
    )
    cpu_root = "sys/devices/system/cpu"
    tree[f"{cpu_root}/online"] = f"0-{cpus - 1}\n" if cpus > 1 else "0\n"
    tree[f"{cpu_root}/offline"] = "\n"
    for i in range(cpus):
        d = f"{cpu_root}/cpu{i}"
        tree[f"{d}/topology/core_id"] = f"{i % 32}\n"
        tree[f"{d}/topology/physical_package_id"] = f"{i // 32}\n"
        tree[f"{d}/thermal_throttle/core_throttle_count"] = "0\n"
        tree[f"{d}/thermal_throttle/package_throttle_count"] = "0\n"
        if i > 0:
            tree[f"{d}/online"] = "1\n"
        for name, value in (
            ("cpuinfo_cur_freq", "2000000"), ("cpuinfo_min_freq", "800000"), ("cpuinfo_max_freq", "3900000"),
            ("scaling_cur_freq", "1999999"), ("scaling_min_freq", "800000"), ("scaling_max_freq", "3900000"),
            ("scaling_governor", "performance"), ("scaling_driver", "intel_pstate"),
            ("scaling_available_governors", "performance powersave"), ("related_cpus", str(i)),
            ("scaling_setspeed", "<unsupported>"),
        ):
            tree[f"{d}/cpufreq/{name}"] = value + "\n"
    return tree


_NET_DEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
    "carrier compressed\n"
)


def net_tree(devices: int) -> Tree:
    """/proc/net/dev and /sys/class/net/ethN with DEVICES interfaces."""
    lines = []
    tree: Tree = {}
    for i in range(devices):
        name = f"eth{i}"
        lines.append(
            f"{name:>6}: {i * 1000 + 7} {i * 10 + 3} 0 0 0 0 0 {i} {i * 2000 + 9} {i * 20 + 4} 0 0 0 0 0 0"
        )
        d = f"sys/class/net/{name}"
        for attr, value in (
            ("address", f"02:00:00:{i >> 16 & 0xff:02x}:{i >> 8 & 0xff:02x}:{i & 0xff:02x}"),
            ("broadcast", "ff:ff:ff:ff:ff:ff"), ("duplex", "full"), ("operstate", "up"),
            ("addr_assign_type", "0"), ("carrier", "1"), ("carrier_changes", "2"), ("carrier_up_count", "1"),
            ("carrier_down_count", "1"), ("dev_id", "0x0"), ("dormant", "0"), ("flags", "0x1003"),
            ("ifindex", str(i + 2)), ("iflink", str(i + 2)), ("link_mode", "0"), ("mtu", "1500"),
            ("name_assign_type", "4"), ("netdev_group", "0"), ("speed", "10000"), ("tx_queue_len", "1000"),
            ("type", "1"), ("ifalias", ""),
        ):
            tree[f"{d}/{attr}"] = value + "\n"
    tree["proc/net/dev"] = _NET_DEV_HEADER + "\n".join(lines) + "\n"
    return tree


_QUEUE_FILES = {
    "rotational": "0", "add_random": "0", "dax": "0", "discard_granularity": "512",
    "discard_max_hw_bytes": "2199023255040", "discard_max_bytes": "2199023255040", "hw_sector_size": "512",
    "io_poll": "1", "io_timeout": "30000", "iostats": "1", "logical_block_size": "512",
    "max_hw_sectors_kb": "256", "max_integrity_segments": "0", "max_sectors_kb": "256", "max_segments": "33",
    "max_segment_size": "4294967295", "minimum_io_size": "512", "nomerges": "0", "nr_requests": "1023",
    "optimal_io_size": "0", "physical_block_size": "512", "read_ahead_kb": "128", "rq_affinity": "1",
    "write_same_max_bytes": "0", "nr_zones": "0", "chunk_sectors": "0", "fua": "0",
    "max_discard_segments": "256", "write_zeroes_max_bytes": "0", "io_poll_delay": "-1",
    "wbt_lat_usec": "2000", "write_cache": "write back", "zoned": "none", "scheduler": "[none] mq-deadline",
}


def disk_tree(disks: int) -> Tree:
    """/proc/diskstats (17 counters per line), /sys/block/DEV/queue and udev entries for DISKS
    NVMe namespaces (names that diskstats' default exclude keeps)."""
    tree: Tree = {}
    lines = []
    for i in range(disks):
        name = f"nvme{i}n1"
        counters = " ".join(str(i * 17 + k) for k in range(17))
        lines.append(f" 259 {i:7d} {name} {counters}")
        for attr, value in _QUEUE_FILES.items():
            tree[f"sys/block/{name}/queue/{attr}"] = value + "\n"
        tree[f"udev/data/b259:{i}"] = (
            f"S:disk/by-id/nvme-bench_{i}\nE:ID_PATH=pci-0000:{i >> 8 & 0xff:02x}:{i & 0xff:02x}.0-nvme-1\n"
            f"E:ID_WWN=eui.{i:016x}\nE:ID_MODEL=Bench NVMe {i}\nE:ID_SERIAL_SHORT=SN{i:08d}\n"
            f"E:ID_REVISION=1.0\nE:ID_FS_TYPE=ext4\nE:ID_FS_USAGE=filesystem\nE:ID_FS_UUID={i:08x}-0000\n"
            "E:ID_FS_VERSION=1.0\n"
        )
    tree["proc/diskstats"] = "\n".join(lines) + "\n"
    return tree


def mount_tree(mounts: int) -> Tree:
    """/proc/1/mountinfo (pyexporter's source) and /proc/1/mounts (node_exporter 1.5.0's) with
    MOUNTS ext4 mounts at /data/dN (Debian's node_exporter excludes /mnt by default), and those
    directories below the rootfs (statfs then reports the temporary filesystem's numbers for each)."""
    tree: Tree = {}
    info, mounts_lines = [], []
    for i in range(mounts):
        info.append(f"{100 + i} 1 8:{i} / /data/d{i} rw,relatime shared:{i + 1} - ext4 /dev/sdx{i} rw")
        mounts_lines.append(f"/dev/sdx{i} /data/d{i} ext4 rw,relatime 0 0")
        tree[f"data/d{i}/"] = ""
    tree["proc/1/mountinfo"] = "\n".join(info) + "\n"
    tree["proc/1/mounts"] = "\n".join(mounts_lines) + "\n"
    return tree


def _proc_files(pid: int, comm: str, threads: int) -> Tree:
    state = "RSSSD"[pid % 5]
    stat = (
        f"{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 4194304 {pid * 3} 0 {pid % 7} 0 {pid * 2} {pid} 0 0 20 0 "
        f"{threads} 0 {1000 + pid} {10_000_000 + pid * 4096} {200 + pid % 1000} 18446744073709551615 "
        "1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    )
    status = (
        f"Name:\t{comm}\nUmask:\t0022\nState:\t{state} (sleeping)\nTgid:\t{pid}\nPid:\t{pid}\nPPid:\t1\n"
        f"Threads:\t{threads}\nVmRSS:\t{800 + pid % 1000} kB\nVmSwap:\t{pid % 3} kB\n"
        f"voluntary_ctxt_switches:\t{pid * 5}\nnonvoluntary_ctxt_switches:\t{pid}\n"
    )
    io = (
        f"rchar: {pid * 100}\nwchar: {pid * 50}\nsyscr: {pid}\nsyscw: {pid}\nread_bytes: {pid * 4096}\n"
        f"write_bytes: {pid * 512}\ncancelled_write_bytes: 0\n"
    )
    files: Tree = {
        f"proc/{pid}/stat": stat,
        f"proc/{pid}/status": status,
        f"proc/{pid}/io": io,
        f"proc/{pid}/comm": comm + "\n",
        f"proc/{pid}/cmdline": f"/usr/bin/{comm}\0--serve\0",
    }
    for fd in range(3):
        files[f"proc/{pid}/fd/{fd}"] = ""
    for t in range(threads):
        tid = pid if t == 0 else pid * 10 + t  # thread ids are only needed to be distinct here
        files[f"proc/{pid}/task/{tid}/stat"] = stat.replace(f"{pid} ({comm})", f"{tid} ({comm})", 1)
    return files


def process_tree(processes: int, groups: int = 50) -> Tree:
    """PROCESSES processes under /proc (stat, status, io, comm, cmdline, fd/, task/), named after
    GROUPS programs; every fourth has a second thread. Plus the kernel limits and /proc/stat."""
    tree: Tree = {
        "proc/stat": _stat_text(1),
        "proc/sys/kernel/threads-max": "254713\n",
        "proc/sys/kernel/pid_max": "4194304\n",
    }
    for k in range(processes):
        pid = k + 1
        tree.update(_proc_files(pid, f"prog{k % groups}", 2 if k % 4 == 3 else 1))
    return tree


def write_tree(root: str, tree: Mapping[str, str]) -> None:
    made: set[str] = set()
    for rel, text in tree.items():
        path = os.path.join(root, rel)
        if rel.endswith("/"):
            os.makedirs(path, exist_ok=True)
            continue
        parent = os.path.dirname(path)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


@dataclass
class Dimension:
    name: str
    unit: str
    sizes: tuple[int, ...]
    tree: Callable[[int], Tree]
    collectors: tuple[str, ...]
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The same options as command-line flags, which both exporters share.
    flags: tuple[str, ...] = ()

    def reference_collectors(self) -> tuple[str, ...]:
        """The collectors node_exporter has too (namedprocess is process-exporter's, not its)."""
        return tuple(c for c in self.collectors if c != "namedprocess")


def dimensions(available: set[str]) -> list[Dimension]:
    """Every dimension of the issue; collectors not registered (namedprocess before it exists) are left out."""
    dims = [
        Dimension("cpus", "CPU", (1, 64, 256), cpu_tree, ("cpu", "cpufreq", "schedstat", "softnet", "stat")),
        # netlink would report this host's own links, not the tree's.
        Dimension("netdevs", "device", (10, 100, 1000), net_tree, ("netdev", "netclass"),
                  {"netdev": {"netlink": False}}, ("--no-collector.netdev.netlink",)),
        Dimension("disks", "disk", (10, 100, 1000), disk_tree, ("diskstats",)),
        Dimension("mounts", "mount", (10, 100, 1000), mount_tree, ("filesystem",)),
        Dimension("processes", "process", (100, 1000, 5000), process_tree, ("processes", "namedprocess")),
    ]
    for dim in dims:
        dim.collectors = tuple(c for c in dim.collectors if c in available)
    return [d for d in dims if d.collectors]


# ---------------------------------------------------------------------------------------------
# Measuring


def cache_bytes(cpu_dir: str = "/sys/devices/system/cpu/cpu0/cache") -> int:
    """The size of the largest cache of CPU 0 (its last level), or 32 MiB where sysfs lists none."""
    sizes = []
    try:
        entries = os.listdir(cpu_dir)
    except OSError:
        entries = []
    for entry in entries:
        try:
            with open(os.path.join(cpu_dir, entry, "size"), encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text[:-1] if scale != 1 else text
        if digits.isdigit():
            sizes.append(int(digits) * scale)
    return max(sizes, default=32 << 20)


class Timing:
    """A Scraper for COLLECTORS on PATHS, warmed, whose scrapes are timed one by one, each from cold
    caches: gather, then merge + encode, as Exporter.render runs them. CPU time is the process's,
    so collectors' worker threads count too.

    An exporter scrapes once a second or less often, and the rest of the machine runs in between:
    each scrape finds none of its data in the caches. Timed back to back instead, a tree whose
    scrape fits in the caches (a few hundred samples) ran from them and a larger one did not, so
    the cost per element seemed to grow with the tree where it does not
    (benchmarks/results/measurements.md). Before each timed scrape the file FLUSH, twice the size
    of the last-level cache (flush_file), is read through, which leaves nothing of the last scrape
    cached."""

    def __init__(self, paths: Any, collectors: Sequence[str], options: Mapping[str, Mapping[str, Any]],
                 flush: str) -> None:
        from pyexporter.scrape import Scraper

        self.collectors = list(collectors)
        self.scraper = Scraper(paths, self.collectors, options)
        with open(flush, "rb") as fh:
            # Mapped, not read into a buffer of each process's own: every timing process shares
            # its pages.
            self._flush = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        # Two warm-up scrapes: collectors that keep state (cpu, namedprocess) build it on the first.
        for _ in range(2):
            self.once()

    def once(self) -> dict[str, Any]:
        from pyexporter.exposition import encode, merge
        from pyexporter.memory import cyclic_gc_paused

        self._flush.find(b"\x00")
        with cyclic_gc_paused():  # as Exporter.render runs a scrape
            c0, w0 = time.process_time(), time.perf_counter()
            families = self.scraper.gather()
            c1, w1 = time.process_time(), time.perf_counter()
            merged, _ = merge(families)
            body, _ = encode(merged)
            c2 = time.process_time()
        durations: dict[str, float] = {}
        failed: list[str] = []
        samples = 0
        for family in merged:
            if family.name == "node_scrape_collector_duration_seconds":
                durations.update((s.labels["collector"], s.value) for s in family.samples)
            elif family.name == "node_scrape_collector_success":
                failed.extend(s.labels["collector"] for s in family.samples if s.value != 1)
            else:
                samples += len(family.samples)
        return {"gather_cpu": c1 - c0, "gather_wall": w1 - w0, "encode_cpu": c2 - c1, "durations": durations,
                "failed": failed, "samples": samples, "body_bytes": len(body)}

    def turn(self, seconds: float) -> list[dict[str, Any]]:
        """Scrapes until SECONDS have passed: at least one."""
        ends = time.perf_counter() + seconds
        readings = [self.once()]
        while time.perf_counter() < ends:
            readings.append(self.once())
        return readings


def summarize(readings: Sequence[Mapping[str, Any]], collectors: Sequence[str]) -> dict[str, Any]:
    """Medians of a tree's timed scrapes."""
    gather_ms = percentile([r["gather_cpu"] for r in readings], 50) * 1e3
    encode_ms = percentile([r["encode_cpu"] for r in readings], 50) * 1e3
    per_collector = {name: [r["durations"][name] for r in readings if name in r["durations"]] for name in collectors}
    return {
        "repeats": len(readings),
        "samples": readings[-1]["samples"],
        "body_bytes": readings[-1]["body_bytes"],
        "failed_collectors": sorted({name for r in readings for name in r["failed"]}),
        "gather_cpu_ms": gather_ms,
        "gather_wall_ms": percentile([r["gather_wall"] for r in readings], 50) * 1e3,
        "merge_encode_cpu_ms": encode_ms,
        "total_cpu_ms": gather_ms + encode_ms,
        "collectors_wall_ms": {name: percentile(v, 50) * 1e3 for name, v in per_collector.items() if v},
    }


@dataclass
class TimingSpec:
    """One tree and the collectors to time on it, in a process of its own."""

    paths: Any
    collectors: tuple[str, ...]
    options: dict[str, dict[str, Any]]


# How long each process scrapes in one turn: short, so that a change in the machine's speed
# (a neighbour's load, over seconds) falls on every tree alike.
TURN_SECONDS = 0.02


def flush_file(directory: str) -> str:
    """A file in DIRECTORY twice the size of the last-level cache, of bytes other than zero: a
    search for a zero byte reads all of it (pages of zeros would all map the one zero page)."""
    path = os.path.join(directory, "cache-flush")
    chunk = b"\x01" * (1 << 20)
    with open(path, "wb") as fh:
        for _ in range(-(-2 * cache_bytes() // len(chunk))):
            fh.write(chunk)
    return path


def _timing_process(conn: Any, spec: TimingSpec, flush: str) -> None:
    timing = Timing(spec.paths, spec.collectors, spec.options, flush)
    conn.send(None)
    while conn.recv():
        conn.send(timing.turn(TURN_SECONDS))


# A median of this many scrapes at least, however long each takes: a 1000-device tree's few
# scrapes, a fifth of a second each, varied by a fifth from one run to the next with three.
MIN_REPEATS = 5


def measure(specs: Sequence[TimingSpec], min_seconds: float, max_repeats: int) -> list[dict[str, Any]]:
    """Each spec timed in a fresh process of its own, the processes taking turns of TURN_SECONDS
    until each has scraped for MIN_SECONDS of CPU time (at least MIN_REPEATS, at most MAX_REPEATS
    scrapes).

    A process a tree is what an exporter is: one machine, served for ever. Timed one after another
    in one process, a tree was measured with what the trees before it left behind (the encoder's
    remembered texts, a heap grown for a larger tree), and each in its own span of seconds, so a
    machine that slowed meanwhile made one size look dearer (benchmarks/results/measurements.md)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    workers = []
    scratch = tempfile.mkdtemp(prefix="pyexporter-timing-")
    try:
        flush = flush_file(scratch)
        for spec in specs:
            parent, child = context.Pipe()
            process = context.Process(target=_timing_process, args=(child, spec, flush), daemon=True)
            process.start()
            child.close()
            workers.append((parent, process))
        for parent, _ in workers:
            parent.recv()
        readings: list[list[dict[str, Any]]] = [[] for _ in specs]
        spent = [0.0] * len(specs)
        while True:
            due = [i for i in range(len(specs))
                   if len(readings[i]) < min(MIN_REPEATS, max_repeats)
                   or (spent[i] < min_seconds and len(readings[i]) < max_repeats)]
            if not due:
                break
            for i in due:  # one at a time: two would share the machine's cores
                workers[i][0].send(True)
                turn = workers[i][0].recv()
                readings[i].extend(turn)
                spent[i] += sum(r["gather_cpu"] + r["encode_cpu"] for r in turn)
    finally:
        for parent, process in workers:
            with contextlib.suppress(OSError):
                parent.send(False)
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    return [summarize(r[:max_repeats], spec.collectors) for r, spec in zip(readings, specs, strict=True)]


def growth(points: Sequence[tuple[int, float]], threshold: float = 1.5, floor_ms: float = 0.5) -> dict[str, Any]:
    """Marginal cost per element between consecutive sizes. When the last step's marginal cost is
    more than THRESHOLD times the first step's (and the growth is above FLOOR_MS, beneath which
    noise dominates), the cost grows faster than linearly."""
    marginals = []
    for (n1, t1), (n2, t2) in itertools.pairwise(points):
        marginals.append((t2 - t1) / (n2 - n1) if n2 != n1 else 0.0)
    super_linear = False
    if len(marginals) >= 2 and marginals[0] > 0:
        big_enough = points[-1][1] - points[0][1] > floor_ms
        super_linear = big_enough and marginals[-1] > threshold * marginals[0]
    return {
        "marginal_ms_per_element": marginals,
        "marginal_ratio": marginals[-1] / marginals[0] if len(marginals) >= 2 and marginals[0] > 0 else None,
        "super_linear": super_linear,
    }


def tree_flags(root: str, collectors: Sequence[str], extra: Sequence[str]) -> list[str]:
    """Flags, valid for both exporters, that run exactly COLLECTORS on the tree at ROOT."""
    return [
        f"--path.procfs={root}/proc", f"--path.sysfs={root}/sys", f"--path.rootfs={root}",
        f"--path.udev.data={root}/udev/data", "--collector.disable-defaults", "--web.disable-exporter-metrics",
        *(f"--collector.{name}" for name in collectors), *extra,
    ]


def collector_successes(body: bytes) -> dict[str, float]:
    """node_scrape_collector_success by collector, from a text exposition."""
    found: dict[str, float] = {}
    prefix = b'node_scrape_collector_success{collector="'
    for line in body.split(b"\n"):
        if line.startswith(prefix):
            name, _, rest = line[len(prefix):].partition(b'"}')
            found[name.decode()] = float(rest.strip() or b"nan")
    return found


def versus_reference(binary: str, root: str, dim: Dimension, cpu_seconds_wanted: float,
                     max_rounds: int) -> dict[str, Any]:
    """Both exporters served over HTTP on the same tree with the same collectors, scraped in
    interleaved rounds until each has used CPU_SECONDS_WANTED (the kernel counts in 10 ms ticks)."""
    import urllib.request

    collectors = dim.reference_collectors()
    flags = tree_flags(root, collectors, dim.flags)
    exporters: list[Exporter] = []
    try:
        exporters = [start_pyexporter(flags), start_reference(binary, flags)]
        scrapers = {e.name: Scraper(e.port, PLAIN_HEADERS) for e in exporters}
        out: dict[str, Any] = {"collectors": list(collectors)}
        for e in exporters:
            with urllib.request.urlopen(e.url, timeout=60) as resp:
                body = resp.read()
            out[e.name] = {"samples": count_samples(body) - 2 * len(collectors),
                           "failed_collectors": sorted(n for n, v in collector_successes(body).items() if v != 1)}
        start = {e.name: e.cpu() for e in exporters}
        latencies: dict[str, list[float]] = {e.name: [] for e in exporters}
        failed = dict.fromkeys(latencies, 0)
        rounds = 0
        deadline = time.monotonic() + 60
        while rounds < max_rounds and time.monotonic() < deadline:
            for e in (exporters if rounds % 2 == 0 else exporters[::-1]):
                result = scrapers[e.name].scrape()
                latencies[e.name].append(result.seconds)
                failed[e.name] += not result.ok
            rounds += 1
            if rounds >= 5 and all(e.cpu() - start[e.name] >= cpu_seconds_wanted for e in exporters):
                break
        for e in exporters:
            scrapers[e.name].close()
            out[e.name].update({
                "cpu_ms_per_scrape": (e.cpu() - start[e.name]) / rounds * 1e3,
                "p50_ms": percentile(latencies[e.name], 50) * 1e3,
                "failed_scrapes": failed[e.name],
            })
        out["rounds"] = rounds
        out["cpu_ratio"] = ratio(out["pyexporter"]["cpu_ms_per_scrape"], out["node_exporter"]["cpu_ms_per_scrape"])
        out["p50_ratio"] = ratio(out["pyexporter"]["p50_ms"], out["node_exporter"]["p50_ms"])
        return out
    finally:
        for e in exporters:
            e.stop()


def run_dimension(dim: Dimension, sizes: Sequence[int], workdir: str, min_seconds: float,
                  max_repeats: int, each_collector: bool, binary: str | None = None) -> dict[str, Any]:
    from pyexporter.paths import Paths
    from pyexporter.toolkit.static import RACY_NS

    rows: list[dict[str, Any]] = []
    roots: list[str] = []
    for size in sizes:
        root = os.path.join(workdir, f"{dim.name}-{size}")
        t0 = time.perf_counter()
        write_tree(root, dim.tree(size))
        for sub in ("proc", "sys", "udev/data"):
            # Both exporters refuse a --path.* that is not a directory.
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        rows.append({"size": size, "tree_write_seconds": time.perf_counter() - t0})
        roots.append(root)
    # What a collector parses from a file it keeps only once the file is older than RACY_NS
    # (toolkit.static); timed the moment they are written, the trees' files would be read anew on
    # every scrape at first, as no settled host's are.
    time.sleep(RACY_NS / 1e9 + 0.1)
    alone = list(dim.collectors) if each_collector and len(dim.collectors) > 1 else []
    specs = []
    for root in roots:
        paths = Paths.under(root)
        specs.append(TimingSpec(paths, dim.collectors, dim.options))
        specs.extend(TimingSpec(paths, (name,), {k: v for k, v in dim.options.items() if k == name}) for name in alone)
    timed = iter(measure(specs, min_seconds, max_repeats))
    for row, root in zip(rows, roots, strict=True):
        size = row["size"]
        row.update(next(timed))
        if alone:
            row["per_collector"] = {name: next(timed) for name in alone}
        row["us_per_sample"] = row["total_cpu_ms"] * 1e3 / row["samples"] if row["samples"] else None
        row["us_per_element"] = row["total_cpu_ms"] * 1e3 / size
        print(f"  {dim.name}={size}: {row['samples']} samples, {row['total_cpu_ms']:.2f} ms CPU "
              f"(gather {row['gather_cpu_ms']:.2f}, merge+encode {row['merge_encode_cpu_ms']:.2f})",
              file=sys.stderr)
        if binary and dim.reference_collectors():
            try:
                vs = versus_reference(binary, root, dim, cpu_seconds_wanted=0.3, max_rounds=200)
            except (RuntimeError, OSError) as err:
                row["versus_reference_error"] = str(err)
                print(f"    over HTTP: failed: {err}", file=sys.stderr)
                shutil.rmtree(root, ignore_errors=True)
                continue
            row["versus_reference"] = vs
            print(f"    over HTTP: pyexporter {vs['pyexporter']['cpu_ms_per_scrape']:.2f} ms, node_exporter "
                  f"{vs['node_exporter']['cpu_ms_per_scrape']:.2f} ms CPU per scrape "
                  f"({fmt(vs['cpu_ratio'])}x, {vs['rounds']} rounds)", file=sys.stderr)
        shutil.rmtree(root, ignore_errors=True)
    result: dict[str, Any] = {
        "unit": dim.unit,
        "collectors": list(dim.collectors),
        "rows": rows,
        "growth": growth([(r["size"], r["total_cpu_ms"]) for r in rows]),
        "growth_per_sample": growth([(r["samples"], r["total_cpu_ms"]) for r in rows]),
    }
    if all("versus_reference" in r for r in rows):
        result["growth_over_http"] = {
            name: growth([(r["size"], r["versus_reference"][name]["cpu_ms_per_scrape"]) for r in rows])
            for name in ("pyexporter", "node_exporter")
        }
    if each_collector and len(dim.collectors) > 1:
        result["growth_by_collector"] = {
            name: growth([(r["size"], r["per_collector"][name]["total_cpu_ms"]) for r in rows])
            for name in dim.collectors
        }
    return result


# ---------------------------------------------------------------------------------------------
# Report


def report_table(results: Mapping[str, Any]) -> str:
    rows = []
    for name, dim in results.items():
        flag = "SUPER-LINEAR" if dim["growth"]["super_linear"] else "linear"
        by_collector = dim.get("growth_by_collector", {})
        worse = [c for c, g in by_collector.items() if g["super_linear"]]
        if worse:
            flag += f" ({', '.join(worse)} super-linear)"
        for r in dim["rows"]:
            rows.append([
                name, str(r["size"]), ",".join(dim["collectors"]), str(r["samples"]), fmt(r["gather_cpu_ms"]),
                fmt(r["gather_wall_ms"]),
                fmt(r["merge_encode_cpu_ms"]), fmt(r["total_cpu_ms"]), fmt(r["us_per_sample"]),
                fmt(r["us_per_element"]), flag if r is dim["rows"][-1] else "",
            ])
    return markdown_table(
        ["dimension", "size", "collectors", "samples", "gather CPU ms", "gather wall ms", "merge+encode ms",
         "total ms", "µs/sample", "µs/element", "growth"],
        rows,
    )


def reference_table(results: Mapping[str, Any]) -> str:
    """Both exporters over HTTP on the same trees: CPU per scrape and its ratio."""
    rows = []
    for name, dim in results.items():
        for r in dim["rows"]:
            vs = r.get("versus_reference")
            if not vs:
                continue
            py, go = vs["pyexporter"], vs["node_exporter"]
            broken = [f"py:{c}" for c in py["failed_collectors"]] + [f"go:{c}" for c in go["failed_collectors"]]
            rows.append([
                name, str(r["size"]), ",".join(vs["collectors"]), f"{py['samples']}/{go['samples']}",
                fmt(py["cpu_ms_per_scrape"]), fmt(go["cpu_ms_per_scrape"]), fmt(vs["cpu_ratio"]),
                fmt(py["p50_ms"]), fmt(go["p50_ms"]), fmt(vs["p50_ratio"]), str(vs["rounds"]),
                " ".join(broken) or "-",
            ])
    if not rows:
        return ""
    return markdown_table(
        ["dimension", "size", "collectors", "samples py/go", "py CPU ms", "go CPU ms", "py/go", "py p50 ms",
         "go p50 ms", "py/go", "rounds", "failed collectors"],
        rows,
    )


def chart(results: Mapping[str, Any], path: str) -> str | None:
    plt = pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, dim in results.items():
        samples = [r["samples"] for r in dim["rows"]]
        axes[0].plot(samples, [r["total_cpu_ms"] for r in dim["rows"]], "o-", label=name)
        axes[1].plot([r["size"] for r in dim["rows"]], [r["us_per_element"] for r in dim["rows"]], "o-",
                     label=f"{name} (per {dim['unit']})")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("samples")
    axes[0].set_ylabel("CPU ms per scrape")
    axes[0].set_title("scrape cost against samples")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("elements (CPUs, devices, disks, mounts, processes)")
    axes[1].set_ylabel("CPU µs per element")
    axes[1].set_title("cost per element (flat = linear)")
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    from pyexporter.collectors import load_all

    available = set(load_all())
    all_dims = {d.name: d for d in dimensions(available)}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(all_dims), help="dimension(s) to run")
    parser.add_argument("--sizes", help="comma-separated sizes instead of each dimension's own")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="CPU seconds to time each tree for, at least")
    # Enough repeats that the small trees, a fraction of a millisecond a scrape, are timed long
    # enough for their noise not to decide whether growth looks super-linear; each repeat also
    # reads a buffer twice the size of the last-level cache first (benchmarks/results/measurements.md).
    parser.add_argument("--max-repeats", type=int, default=300)
    parser.add_argument("--no-per-collector", action="store_true",
                        help="skip timing each collector of a dimension on its own")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip serving each tree from both exporters over HTTP")
    parser.add_argument("--workdir", help="where to write the trees (default: a temporary directory)")
    parser.add_argument("--name", default="scaling")
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args(argv)

    chosen = [all_dims[n] for n in (args.only or all_dims)]
    binary = None if args.no_reference else reference_binary()
    workdir = args.workdir or tempfile.mkdtemp(prefix="pyexporter-scaling-")
    results: dict[str, Any] = {}
    try:
        for dim in chosen:
            sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else dim.sizes
            print(f"{dim.name}: {', '.join(dim.collectors)}", file=sys.stderr)
            results[dim.name] = run_dimension(dim, sizes, workdir, args.min_seconds, args.max_repeats,
                                              not args.no_per_collector, binary)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    missing = [c for c in ("namedprocess",) if c not in available]
    table = report_table(results)
    versus = reference_table(results)
    out = {
        "benchmark": "scaling",
        "host": host_info(),
        "not_registered": missing,
        "reference": reference_version(binary) if binary else None,
        "dimensions": results,
        "table_markdown": table,
        "reference_table_markdown": versus,
    }
    path = write_json(args.name, out)
    print(table)
    if versus:
        print("\nServed over HTTP by both exporters, same tree and collectors, exporter metrics off:\n")
        print(versus)
    flagged = [n for n, d in results.items() if d["growth"]["super_linear"]
               or any(g["super_linear"] for g in d.get("growth_by_collector", {}).values())]
    print(f"\nsuper-linear: {', '.join(flagged) if flagged else 'none'}")
    if missing:
        print(f"not registered, left out: {', '.join(missing)}")
    print(f"wrote {path}")
    if not args.no_chart:
        written = chart(results, os.path.join(RESULTS, f"{args.name}.png"))
        if written:
            print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
