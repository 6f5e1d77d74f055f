"""What the container collector costs per scrape, and per cgroup, for 1, 10 and 100 cgroups.

Two set-ups, each timed in-process (the registered collector built as the exporter builds it,
then `collect()` called over and over after a warm-up):

- v1-live: this host's cgroup v1 hierarchies (cpu, cpuacct, memory, pids, blkio under
  /sys/fs/cgroup), with N cgroups `pyexporter-bench-<pid>-<n>` made in each controller and one
  `sleep` process moved into each. Everything the host already has is reported too (the baseline);
  the cost per cgroup is (t(N_max) - t(N_min)) / (N_max - N_min). Needs root and a writable v1
  hierarchy; skipped with a message otherwise. The processes are killed and the cgroups removed
  whatever happens short of SIGKILL (then: kill the `sleep 1000`s, rmdir the cgroups by hand).
- v2-synthetic: a unified hierarchy written to a temporary directory (cpu.stat, cpu.max,
  cpu.weight, memory.current/stat/events/max/swap.current, io.stat, the three *.pressure files,
  cgroup.procs, pids.current per cgroup) and a fake procfs with one /proc/PID/cgroup per cgroup.
  Regular files on the temporary filesystem cost less to read than the kernel's cgroup files;
  the growth, not the absolute number, is the point there.

    .venv/bin/python benchmarks/container_bench.py
    .venv/bin/python benchmarks/container_bench.py --sizes 1,10 --min-seconds 0 --no-v1

Writes benchmarks/results/container.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import RESULTS, fmt, host_info, markdown_table, percentile, remove_cgroup_dirs, write_json
from benchmarks.scaling import Tree, write_tree

V1_ROOT = "/sys/fs/cgroup"
V1_CONTROLLERS = ("cpu", "cpuacct", "memory", "pids", "blkio")
PREFIX = "pyexporter-bench"


# ---------------------------------------------------------------------------------------------
# Timing


def time_collect(paths: Any, min_seconds: float, max_repeats: int, warmup: int = 3) -> dict[str, Any]:
    """Build the container collector on PATHS, run WARMUP scrapes, then time `collect()` (the
    families listed, as a scrape consumes them) until MIN_SECONDS have passed: at least 5, at most
    MAX_REPEATS times. The cyclic GC is paused around each, as the exporter's scrape does."""
    from pyexporter.collectors import load_all
    from pyexporter.memory import cyclic_gc_paused

    collector = load_all()["container"].build(paths)
    families: list[Any] = []
    for _ in range(warmup):
        families = list(collector.collect())
    wall: list[float] = []
    cpu: list[float] = []
    started = time.perf_counter()
    while len(wall) < 5 or (time.perf_counter() - started < min_seconds and len(wall) < max_repeats):
        with cyclic_gc_paused():
            c0, w0 = time.process_time(), time.perf_counter()
            families = list(collector.collect())
            c1, w1 = time.process_time(), time.perf_counter()
        wall.append(w1 - w0)
        cpu.append(c1 - c0)
    ids = {s.labels["id"] for f in families for s in f.samples}
    return {
        "repeats": len(wall),
        "reported_cgroups": len(ids),
        "samples": sum(len(f.samples) for f in families),
        "wall_ms_p50": percentile(wall, 50) * 1e3,
        "wall_ms_p90": percentile(wall, 90) * 1e3,
        "cpu_ms_p50": percentile(cpu, 50) * 1e3,
        "cpu_ms_p90": percentile(cpu, 90) * 1e3,
        "ids": sorted(ids),
    }


def per_cgroup(runs: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """Marginal cost of one more cgroup between the smallest and the largest run, in microseconds."""
    if len(runs) < 2 or runs[-1]["cgroups"] == runs[0]["cgroups"]:
        return {"wall_us_p50": None, "cpu_us_p50": None}
    span = runs[-1]["cgroups"] - runs[0]["cgroups"]
    return {
        "wall_us_p50": (runs[-1]["wall_ms_p50"] - runs[0]["wall_ms_p50"]) / span * 1e3,
        "cpu_us_p50": (runs[-1]["cpu_ms_p50"] - runs[0]["cpu_ms_p50"]) / span * 1e3,
    }


# ---------------------------------------------------------------------------------------------
# cgroup v1, live


def v1_unavailable(root: str = V1_ROOT) -> str | None:
    """Why the live v1 benchmark cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "not root: cannot create cgroups"
    if os.path.exists(os.path.join(root, "cgroup.controllers")):
        return f"{root} is a cgroup v2 (unified) hierarchy"
    for controller in V1_CONTROLLERS:
        path = os.path.join(root, controller)
        if not os.path.isdir(path) or not os.path.exists(os.path.join(path, "cgroup.procs")):
            return f"no cgroup v1 {controller} hierarchy at {path}"
        if not os.access(path, os.W_OK):
            return f"{path} is not writable"
    return None


@dataclass
class LiveCgroups:
    """Cgroups made in each v1 controller hierarchy, one sleeping process in each."""

    root: str = V1_ROOT
    hierarchies: list[str] = field(default_factory=list)
    made: list[str] = field(default_factory=list)  # directories, in creation order
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # cpu and cpuacct are often one hierarchy reached by two names (cpu,cpuacct and symlinks).
        seen: set[str] = set()
        for controller in V1_CONTROLLERS:
            real = os.path.realpath(os.path.join(self.root, controller))
            if real not in seen:
                seen.add(real)
                self.hierarchies.append(real)

    def grow(self, count: int) -> None:
        while len(self.processes) < count:
            name = f"{PREFIX}-{os.getpid()}-{len(self.processes)}"
            proc = subprocess.Popen(["sleep", "1000"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            self.processes.append(proc)
            for hierarchy in self.hierarchies:
                directory = os.path.join(hierarchy, name)
                os.mkdir(directory)
                self.made.append(directory)
                with open(os.path.join(directory, "cgroup.procs"), "w", encoding="ascii") as fh:
                    fh.write(str(proc.pid))

    def cleanup(self) -> list[str]:
        """Kill the processes, remove the cgroups; the directories that could not be removed."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
        for proc in self.processes:
            proc.wait(timeout=10)
        left = remove_cgroup_dirs(self.made)
        self.processes.clear()
        self.made.clear()
        return left


@contextmanager
def live_cgroups(root: str = V1_ROOT) -> Iterator[LiveCgroups]:
    cgroups = LiveCgroups(root)
    try:
        yield cgroups
    finally:
        left = cgroups.cleanup()
        if left:
            print("could not remove: " + "; ".join(left), file=sys.stderr)


def run_v1(sizes: Sequence[int], min_seconds: float, max_repeats: int) -> dict[str, Any]:
    from pyexporter.paths import Paths

    reason = v1_unavailable()
    if reason is not None:
        print(f"v1-live skipped: {reason}", file=sys.stderr)
        return {"skipped": reason}
    runs: list[dict[str, Any]] = []
    baseline: list[str] = []
    mine = f"/{PREFIX}-{os.getpid()}-"
    with live_cgroups() as cgroups:
        for size in sorted(sizes):
            cgroups.grow(size)
            result = time_collect(Paths(), min_seconds, max_repeats)
            ids = result.pop("ids")
            result["bench_cgroups_reported"] = sum(1 for i in ids if i.startswith(mine))
            if not runs:
                baseline = [i for i in ids if not i.startswith(mine)]
            runs.append({"cgroups": size, **result})
            print(f"v1-live {size:4d} cgroups: {result['wall_ms_p50']:.2f} ms wall p50", file=sys.stderr)
    return {"hierarchy": V1_ROOT, "baseline_cgroups": baseline, "runs": runs, "per_cgroup": per_cgroup(runs)}


# ---------------------------------------------------------------------------------------------
# cgroup v2, synthetic

_PSI = "some avg10=0.00 avg60=0.00 avg300=0.00 total={some}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total={full}\n"


def v2_cgroup_path(n: int) -> str:
    return f"system.slice/docker-{n:064x}.scope"


def v2_tree(cgroups: int) -> Tree:
    """cgroupfs/ (a unified hierarchy with CGROUPS container cgroups under system.slice) and proc/
    (one process per cgroup, pids 1000 + n, and proc/self in the root cgroup)."""
    tree: Tree = {
        "cgroupfs/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
        "cgroupfs/cgroup.procs": "1\n",
        "cgroupfs/system.slice/cgroup.controllers": "cpu io memory pids\n",
        "proc/self/cgroup": "0::/\n",
    }
    for n in range(cgroups):
        d = f"cgroupfs/{v2_cgroup_path(n)}"
        pid = 1000 + n
        tree.update({
            f"{d}/cgroup.procs": f"{pid}\n",
            f"{d}/cgroup.threads": f"{pid}\n",
            f"{d}/pids.current": "1\n",
            f"{d}/cpu.stat": (
                f"usage_usec {n * 1000 + 7}\nuser_usec {n * 600 + 4}\nsystem_usec {n * 400 + 3}\n"
                "core_sched.force_idle_usec 0\nnr_periods 20\nnr_throttled 2\nthrottled_usec 5000\n"
                "nr_bursts 0\nburst_usec 0\n"
            ),
            f"{d}/cpu.max": "50000 100000\n" if n % 2 else "max 100000\n",
            f"{d}/cpu.weight": "100\n",
            f"{d}/memory.current": f"{(n + 1) * 4096 * 1024}\n",
            f"{d}/memory.stat": (
                f"anon {(n + 1) * 2048 * 1024}\nfile {(n + 1) * 1024 * 1024}\nkernel 491520\nkernel_stack 65536\n"
                "pagetables 110592\nsec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\n"
                "file_mapped 1228800\nfile_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\n"
                "shmem_thp 0\ninactive_anon 1069056\nactive_anon 28672\ninactive_file 524288\n"
                "active_file 524288\nunevictable 0\nslab_reclaimable 103360\nslab_unreclaimable 150648\n"
                "slab 254008\nworkingset_refault_anon 0\nworkingset_refault_file 0\nworkingset_activate_anon 0\n"
                "workingset_activate_file 0\nworkingset_restore_anon 0\nworkingset_restore_file 0\n"
                "workingset_nodereclaim 0\npgscan 0\npgsteal 0\npgfault 1725\npgmajfault 0\npgrefill 0\n"
                "pgactivate 0\npgdeactivate 0\npglazyfree 0\npglazyfreed 0\nthp_fault_alloc 0\n"
                "thp_collapse_alloc 0\n"
            ),
            f"{d}/memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
            f"{d}/memory.max": "max\n" if n % 3 else "536870912\n",
            f"{d}/memory.swap.current": "0\n",
            f"{d}/io.stat": f"8:0 rbytes={n * 4096} wbytes={n * 512} rios={n} wios={n} dbytes=0 dios=0\n",
            f"{d}/cpu.pressure": _PSI.format(some=n * 10, full=n * 5),
            f"{d}/memory.pressure": _PSI.format(some=n * 3, full=n),
            f"{d}/io.pressure": _PSI.format(some=n * 7, full=n * 2),
            f"proc/{pid}/cgroup": f"0::/{v2_cgroup_path(n)}\n",
        })
    return tree


def run_v2(sizes: Sequence[int], min_seconds: float, max_repeats: int, workdir: str) -> dict[str, Any]:
    from pyexporter.paths import Paths

    runs: list[dict[str, Any]] = []
    for size in sorted(sizes):
        root = os.path.join(workdir, f"v2-{size}")
        write_tree(root, v2_tree(size))
        paths = Paths(procfs=os.path.join(root, "proc"), cgroupfs=os.path.join(root, "cgroupfs"))
        result = time_collect(paths, min_seconds, max_repeats)
        result.pop("ids")
        runs.append({"cgroups": size, **result})
        print(f"v2-synthetic {size:4d} cgroups: {result['wall_ms_p50']:.2f} ms wall p50", file=sys.stderr)
    return {"runs": runs, "per_cgroup": per_cgroup(runs)}


# ---------------------------------------------------------------------------------------------


def report_table(results: dict[str, Any]) -> str:
    rows = []
    for setup, data in results.items():
        if "skipped" in data:
            rows.append([setup, "skipped", data["skipped"], "", "", "", ""])
            continue
        for run in data["runs"]:
            rows.append([setup, str(run["cgroups"]), str(run["reported_cgroups"]), fmt(run["wall_ms_p50"]),
                         fmt(run["wall_ms_p90"]), fmt(run["cpu_ms_p50"]), str(run["samples"])])
        cost = data["per_cgroup"]
        rows.append([setup, "per cgroup", "", f"{fmt(cost['wall_us_p50'], 0)} µs", "",
                     f"{fmt(cost['cpu_us_p50'], 0)} µs", ""])
    return markdown_table(["setup", "cgroups", "reported", "wall ms p50", "wall ms p90", "cpu ms p50", "samples"],
                          rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100", help="comma-separated cgroup counts (default 1,10,100)")
    parser.add_argument("--min-seconds", type=float, default=2.0, help="time each size at least this long")
    parser.add_argument("--max-repeats", type=int, default=500)
    parser.add_argument("--no-v1", action="store_true", help="skip the live cgroup v1 part")
    parser.add_argument("--workdir", help="where to write the v2 trees (default: a temporary directory)")
    parser.add_argument("--results", default=RESULTS, help="directory of the result file")
    parser.add_argument("--name", default="container", help="result file name (without .json)")
    args = parser.parse_args(argv)

    sizes = sorted({int(s) for s in args.sizes.split(",")})
    if not sizes or sizes[0] < 1:
        parser.error("--sizes: positive counts")
    results: dict[str, Any] = {}
    if args.no_v1:
        results["v1-live"] = {"skipped": "--no-v1"}
    else:
        results["v1-live"] = run_v1(sizes, args.min_seconds, args.max_repeats)
    workdir = args.workdir or tempfile.mkdtemp(prefix="pyexporter-container-")
    try:
        results["v2-synthetic"] = run_v2(sizes, args.min_seconds, args.max_repeats, workdir)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    table = report_table(results)
    out = {
        "benchmark": "container",
        "host": host_info(),
        "sizes": sizes,
        "timed": "ContainerCollector.collect(), families listed, in-process; cyclic GC paused around each call",
        "setups": results,
        "table_markdown": table,
    }
    path = write_json(args.name, out, args.results)
    print(table)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
