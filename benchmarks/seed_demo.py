"""The seed demo without Docker: the demo API under load, watched by pyexporter and Prometheus.

The demo API (docker/demo-api/app.py) and pyexporter (with the namedprocess collector) run in one
new PID namespace when `unshare` can make one (as root), as the compose sidecar shares the API's
PID namespace; otherwise both run on the host and the API's group also holds any other process of
the same name. As root, the API also runs in a cgroup of its own with compose.yml's limits (half a
CPU, 256 MiB, no swap; --cpus and --memory-mb change them) and pyexporter's container collector
reports that cgroup, named "demo-api", as it reports the server's container in compose. Prometheus
(Debian's `prometheus`) scrapes pyexporter every second into a temporary store. After a quiet
spell, `ab` (apache2-utils; a bounded Python load generator when it is missing) sends /work?ms=N
requests at the given concurrency for the given duration, with one /alloc holding 96 MiB for 5 s
halfway through, then another quiet spell. The chart shows, from Prometheus's HTTP API:

- top left: the host's CPU by mode, sum by (mode) (rate(node_cpu_seconds_total[5s])), in cores;
- top right: the API's own CPU, rate(namedprocess_namegroup_cpu_seconds_total{groupname=API}[5s])
  by mode, with pyexporter's own CPU for comparison;
- with the cgroup, bottom left: the API cgroup's CPU, rate(container_cpu_usage_seconds_total[5s]),
  against its limit, container_spec_cpu_quota / container_spec_cpu_period, and the share of CFS
  periods in which it was throttled;
- bottom right: its working set, container_memory_working_set_bytes, against
  container_spec_memory_limit_bytes;

with the load window shaded on all. Without root there is no cgroup and only the top row.

    .venv/bin/python benchmarks/seed_demo.py                      # 30 s of load, about a minute
    .venv/bin/python benchmarks/seed_demo.py --duration 10 --concurrency 2 --out /tmp/demo.png

Needs matplotlib (the `bench` extra: pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import remove_cgroup_dirs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "docker", "demo-api", "app.py")
DEFAULT_OUT = os.path.join(ROOT, "docs", "seed_demo.png")

# Stack order and colours of the host's CPU modes; idle goes on top, in grey.
MODES = ("user", "nice", "system", "iowait", "irq", "softirq", "steal", "idle")
MODE_COLOURS = {
    "user": "#1f77b4", "nice": "#aec7e8", "system": "#d62728", "iowait": "#9467bd", "irq": "#8c564b",
    "softirq": "#e377c2", "steal": "#bcbd22", "idle": "#e8e8e8",
}
# The Python load generator's ceiling on requests, whatever the duration.
MAX_REQUESTS = 200_000
# The container collector's name for the API's cgroup, and what /alloc holds halfway through the load.
CONTAINER = "demo-api"
ALLOC_MB, ALLOC_MS = 96, 5000
MIB = 1 << 20
CGROUPFS = "/sys/fs/cgroup"
CFS_PERIOD_US = 100_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def http_ok(url: str, timeout: float = 60.0) -> None:
    """GET URL, logging rather than raising a failure (for a request made from a timer thread)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            resp.read()
    except OSError as err:
        log(f"GET {url} failed: {err}")


def log(message: str) -> None:
    print(f"[seed_demo {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The processes


@dataclass
class Watched:
    api: str  # base URL of the demo API
    exporter: str  # host:port of pyexporter
    api_group: str  # the API's groupname (its comm)
    exporter_group: str
    isolated: bool  # whether both run in their own PID namespace
    limits: Limits | None  # the API's cgroup, when it has one


@dataclass
class Limits:
    """A cgroup of the API's own, with a CPU quota and a memory limit (as compose.yml's server)."""

    cpus: float
    memory: int  # bytes
    cgroup_id: str  # the path the container collector reports as `id`
    dirs: list[str]  # its directories, one per hierarchy (v1) or the one (v2)


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as fh:
        fh.write(value)


def make_cgroup(cpus: float, memory_mb: int) -> Limits | None:
    """A new cgroup with CPUS of CPU and MEMORY_MB MiB without swap; None when there is no way to
    make one here (not root, a read-only or missing cgroup filesystem, controllers missing)."""
    if os.geteuid() != 0 or cpus <= 0 or memory_mb <= 0:
        return None
    name = f"pyexporter-seed-demo-{os.getpid()}"
    quota, memory = round(cpus * CFS_PERIOD_US), memory_mb * MIB
    made: list[str] = []
    try:
        if os.path.exists(os.path.join(CGROUPFS, "cgroup.controllers")):
            # v2: the root must hand cpu and memory down to its children.
            with open(os.path.join(CGROUPFS, "cgroup.subtree_control"), encoding="ascii") as fh:
                enabled = fh.read().split()
            missing = [c for c in ("cpu", "memory") if c not in enabled]
            if missing:
                _write(os.path.join(CGROUPFS, "cgroup.subtree_control"), " ".join(f"+{c}" for c in missing))
            directory = os.path.join(CGROUPFS, name)
            os.mkdir(directory)
            made.append(directory)
            _write(os.path.join(directory, "cpu.max"), f"{quota} {CFS_PERIOD_US}")
            _write(os.path.join(directory, "memory.max"), str(memory))
            if os.path.exists(os.path.join(directory, "memory.swap.max")):
                _write(os.path.join(directory, "memory.swap.max"), "0")
        else:
            # v1: the same path in each hierarchy (cpu and cpuacct may be one, mounted as cpu,cpuacct).
            if not all(os.path.isdir(os.path.join(CGROUPFS, c)) for c in ("cpu", "memory")):
                return None
            roots: list[str] = []
            for controller in ("cpu", "cpuacct", "memory", "pids"):
                root = os.path.realpath(os.path.join(CGROUPFS, controller))
                if os.path.isdir(root) and root not in roots:
                    roots.append(root)
            for root in roots:
                directory = os.path.join(root, name)
                os.mkdir(directory)
                made.append(directory)
                if os.path.exists(os.path.join(directory, "cpu.cfs_quota_us")):
                    _write(os.path.join(directory, "cpu.cfs_period_us"), str(CFS_PERIOD_US))
                    _write(os.path.join(directory, "cpu.cfs_quota_us"), str(quota))
                if os.path.exists(os.path.join(directory, "memory.limit_in_bytes")):
                    _write(os.path.join(directory, "memory.limit_in_bytes"), str(memory))
                    # The memory+swap limit exists only with swap accounting; equal to the memory
                    # limit, it leaves no swap.
                    if os.path.exists(os.path.join(directory, "memory.memsw.limit_in_bytes")):
                        _write(os.path.join(directory, "memory.memsw.limit_in_bytes"), str(memory))
    except OSError as err:
        log(f"cannot make a cgroup for the API ({err}): no container view")
        remove_cgroup(made)
        return None
    return Limits(cpus, memory, f"/{name}", made)


def remove_cgroup(dirs: list[str]) -> None:
    """Remove the API's cgroup directories once its processes have left them (they exit first)."""
    for failure in remove_cgroup_dirs(dirs):
        log(f"cannot remove {failure}")


def exporter_command() -> tuple[list[str], str]:
    """pyexporter's command and the comm it will run under.

    The console script runs under its own name, so pyexporter is not in the API's group (a
    `python -m pyexporter` would share the API's comm)."""
    script = shutil.which("pyexporter", path=os.path.dirname(sys.executable))
    if script is not None:
        return [script], "pyexporter"
    return [sys.executable, "-m", "pyexporter"], os.path.basename(sys.executable)[:15]


def can_unshare() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", "true"], capture_output=True, check=False,
                           timeout=30)
    return probe.returncode == 0


def find_api_comm(api_port: int, timeout: float = 30.0) -> str:
    """The comm of the python running app.py on API_PORT, read from the host's /proc."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    args = fh.read().split(b"\0")
                if args[1:2] == [APP.encode()] and str(api_port).encode() in args:
                    with open(f"/proc/{entry}/comm", encoding="utf-8") as fh:
                        return fh.read().strip()
            except OSError:
                continue
        time.sleep(0.2)
    raise RuntimeError("the demo API process was not found")


@contextmanager
def watched_api(workdir: str, cpus: float, memory_mb: int) -> Iterator[Watched]:
    """The demo API and pyexporter, together in a new PID namespace when possible, the API in a
    cgroup with CPUS and MEMORY_MB limits when one can be made."""
    api_port, exporter_port = free_port(), free_port()
    exporter_cmd, exporter_group = exporter_command()
    exporter_args = [f"--web.listen-address=127.0.0.1:{exporter_port}", "--collector.namedprocess"]
    api_args = [sys.executable, APP, "--host", "127.0.0.1", "--port", str(api_port)]
    out = open(os.path.join(workdir, "processes.log"), "w")  # closed below, after the processes
    procs: list[subprocess.Popen] = []
    isolated = can_unshare()
    limits = make_cgroup(cpus, memory_mb) if isolated else None
    if limits is not None:
        # The API's cgroup alone is named: the exporter's own stays unnamed.
        exporter_args += ["--collector.container",
                          f"--collector.container.name={re.escape(limits.cgroup_id)}={CONTAINER}"]
    try:
        if isolated:
            # sh starts the API in the background, in a subshell that first moves itself into the
            # API's cgroup (writing 0 to cgroup.procs moves the writer), then execs pyexporter, which
            # becomes the namespace's init: killing unshare (--kill-child) kills it, and the kernel
            # kills the API with it.
            script = ('dirs="$1"; shift; '
                      '(for d in $dirs; do echo 0 > "$d/cgroup.procs" || exit 1; done; '
                      'exec "$1" "$2" --host 127.0.0.1 --port "$3") & shift 3; exec "$@"')
            procs.append(subprocess.Popen(
                ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", script, "sh",
                 " ".join(limits.dirs) if limits else "", sys.executable, APP, str(api_port), *exporter_cmd,
                 *exporter_args],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            ))
        else:
            log("unshare cannot make a PID namespace here (not root?): the API's group holds every "
                "process of its name on this host")
            procs.append(subprocess.Popen(api_args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT))
            procs.append(subprocess.Popen([*exporter_cmd, *exporter_args], stdout=out, stderr=subprocess.STDOUT,
                                          cwd=ROOT))
        api = f"http://127.0.0.1:{api_port}"
        wait_http(f"{api}/healthz")
        wait_http(f"http://127.0.0.1:{exporter_port}/-/healthy")
        yield Watched(api, f"127.0.0.1:{exporter_port}", find_api_comm(api_port), exporter_group, isolated, limits)
    finally:
        for proc in procs:
            # unshare ignores SIGTERM while it waits for its child; the others stop on it.
            if isolated:
                proc.kill()
            else:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        out.close()
        if limits is not None:
            remove_cgroup(limits.dirs)


@contextmanager
def prometheus(workdir: str, target: str) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        raise SystemExit("prometheus is not installed (apt-get install prometheus)")
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            f"scrape_configs:\n  - job_name: pyexporter\n    static_configs:\n      - targets: ['{target}']\n"
        )
    port = free_port()
    out = open(os.path.join(workdir, "prometheus.log"), "w")  # closed below
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=out, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/-/ready")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        out.close()


def query(base: str, promql: str) -> list[dict]:
    with urllib.request.urlopen(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql}),
                                timeout=20) as resp:
        payload = json.load(resp)
    return payload["data"]["result"]


def query_range(base: str, promql: str, start: float, end: float, step: float = 1.0) -> list[dict]:
    params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step}
    with urllib.request.urlopen(f"{base}/api/v1/query_range?" + urllib.parse.urlencode(params), timeout=30) as resp:
        payload = json.load(resp)
    if payload.get("status") != "success":
        raise RuntimeError(f"query {promql!r} failed: {payload}")
    return payload["data"]["result"]


# ---------------------------------------------------------------------------------------------
# Load


@dataclass
class LoadResult:
    tool: str
    requests: int
    failed: int
    started: float  # wall clock
    ended: float


def run_ab(ab: str, url: str, duration: float, concurrency: int) -> LoadResult:
    started = time.time()
    # -t bounds the time, -n the count (ab stops at whichever comes first).
    proc = subprocess.run(
        [ab, "-q", "-r", "-c", str(concurrency), "-t", str(int(duration)), "-n", str(MAX_REQUESTS), url],
        capture_output=True, text=True, timeout=duration + 60, check=False,
    )
    ended = time.time()
    if proc.returncode != 0:
        raise RuntimeError(f"ab failed: {proc.stderr.strip() or proc.stdout[-500:]}")
    complete = re.search(r"Complete requests:\s+(\d+)", proc.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", proc.stdout)
    return LoadResult("ab", int(complete.group(1)) if complete else 0, int(failed.group(1)) if failed else 0,
                      started, ended)


def run_python_load(url: str, duration: float, concurrency: int) -> LoadResult:
    """CONCURRENCY threads each sending one request after another, until DURATION or MAX_REQUESTS."""
    started = time.time()
    deadline = time.monotonic() + duration
    lock = threading.Lock()
    counts = {"requests": 0, "failed": 0}

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if counts["requests"] + counts["failed"] >= MAX_REQUESTS:
                    return
            try:
                with urllib.request.urlopen(url, timeout=30) as resp:
                    resp.read()
                    ok = resp.status == 200
            except OSError:
                ok = False
            with lock:
                counts["requests" if ok else "failed"] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    return LoadResult("python", counts["requests"] + counts["failed"], counts["failed"], started, time.time())


# ---------------------------------------------------------------------------------------------
# The chart


def series(result: list[dict], label: str) -> dict[str, tuple[list[float], list[float]]]:
    """{label value: (timestamps, values)} of a query_range result."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for item in result:
        xs = [float(t) for t, _ in item["values"]]
        ys = [float(v) for _, v in item["values"]]
        out[item["metric"].get(label, "")] = (xs, ys)
    return out


def aligned(data: dict[str, tuple[list[float], list[float]]], keys: list[str], grid: list[float]) -> list[list[float]]:
    """Each key's values on GRID (0 where Prometheus had no point), for stacking."""
    rows = []
    for key in keys:
        xs, ys = data.get(key, ([], []))
        by_time = {round(x): y for x, y in zip(xs, ys, strict=True)}
        rows.append([by_time.get(round(t), 0.0) for t in grid])
    return rows


@dataclass
class ContainerSeries:
    """The API cgroup's series from the container collector, on the chart's grid."""

    cpu: list[float]  # rate(container_cpu_usage_seconds_total[5s]), CPUs
    cpu_limit: float  # container_spec_cpu_quota / container_spec_cpu_period, CPUs
    throttled: list[float]  # throttled periods / periods, per 5 s
    working_set: list[float]  # bytes
    memory_limit: float  # bytes


def container_series(prom: str, start: float, end: float, grid: list[float]) -> ContainerSeries | None:
    """The API cgroup's CPU, limit, throttling, working set and memory limit; None without data."""
    sel = f'{{name="{CONTAINER}"}}'
    queries = {
        "cpu": f"rate(container_cpu_usage_seconds_total{sel}[5s])",
        "cpu_limit": f"container_spec_cpu_quota{sel} / container_spec_cpu_period{sel}",
        "throttled": f"rate(container_cpu_cfs_throttled_periods_total{sel}[5s])"
                     f" / rate(container_cpu_cfs_periods_total{sel}[5s])",
        "working_set": f"container_memory_working_set_bytes{sel}",
        "memory_limit": f"container_spec_memory_limit_bytes{sel}",
    }
    rows: dict[str, list[float]] = {}
    for key, promql in queries.items():
        data = series(query_range(prom, promql, start, end), "name")
        if CONTAINER not in data:
            log(f"no data for {promql}: no container view")
            return None
        (rows[key],) = aligned(data, [CONTAINER], grid)
    # No CFS period at all (an idle cgroup) reads 0 / 0: no throttling.
    throttled = [0.0 if math.isnan(v) else v for v in rows["throttled"]]
    return ContainerSeries(rows["cpu"], max(rows["cpu_limit"]), throttled, rows["working_set"],
                           max(rows["memory_limit"]))


def draw(out: str, host: dict, api: dict, exporter: dict, grid: list[float], load: LoadResult, args: argparse.Namespace,
         watched: Watched, cpus: int, container: ContainerSeries | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [t - load.started for t in grid]
    window = (0.0, load.ended - load.started)
    if container is None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.2, 1]})
        axes = [left, right]
    else:
        fig, ((left, right), (cpu_ax, mem_ax)) = plt.subplots(2, 2, figsize=(13, 9.2),
                                                              gridspec_kw={"width_ratios": [1.2, 1]})
        axes = [left, right, cpu_ax, mem_ax]
        draw_container(cpu_ax, mem_ax, x, container)

    modes = [m for m in MODES if m in host]
    rows = aligned(host, modes, grid)
    left.stackplot(x, rows, labels=modes, colors=[MODE_COLOURS[m] for m in modes], alpha=0.9)
    left.set_ylim(0, cpus * 1.02)
    left.set_title("Host CPU by mode\nsum by (mode) (rate(node_cpu_seconds_total[5s]))", fontsize=9)
    left.set_ylabel("CPU (cores)")
    left.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, reverse=True)

    api_rows = aligned(api, ["user", "system"], grid)
    right.stackplot(x, api_rows, labels=[f"{watched.api_group} user", f"{watched.api_group} system"],
                    colors=[MODE_COLOURS["user"], MODE_COLOURS["system"]], alpha=0.85)
    exporter_total = [sum(col) for col in zip(*aligned(exporter, ["user", "system"], grid), strict=True)]
    right.plot(x, exporter_total, color="black", linewidth=1.2, linestyle="--",
               label=f"{watched.exporter_group} (the exporter)")
    # Headroom above the curves for the legend.
    right.set_ylim(0, max(1.3, max(exporter_total + [a + b for a, b in zip(*api_rows, strict=True)]) * 1.3))
    right.set_title(f"The API's own CPU (group {watched.api_group!r}, by mode)\n"
                    f'rate(namedprocess_namegroup_cpu_seconds_total{{groupname="{watched.api_group}"}}[5s])',
                    fontsize=9)
    right.set_ylabel("CPU (cores)")
    right.legend(loc="upper right", fontsize=8, frameon=False)

    for ax in axes:
        ax.axvspan(*window, color="#ffb000", alpha=0.15, zorder=0)
        ax.axvline(window[0], color="#cc8800", linewidth=0.8)
        ax.axvline(window[1], color="#cc8800", linewidth=0.8)
        ax.set_xlim(x[0], x[-1])
        ax.set_xlabel("seconds since the load started")
        ax.grid(alpha=0.3, linewidth=0.5)
        ax.text(sum(window) / 2, 0.985, "load", transform=ax.get_xaxis_transform(), ha="center", va="top",
                fontsize=9, color="#996600", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})

    rps = load.requests / max(load.ended - load.started, 1e-9)
    namespace = "their own PID namespace" if watched.isolated else "the host's PID namespace"
    limits = ""
    if watched.limits is not None:
        limits = (f"\nThe API in a cgroup limited to {watched.limits.cpus:g} CPU and "
                  f"{watched.limits.memory / MIB:.0f} MiB, reported by the container collector; halfway through "
                  f"the load, /alloc holds {ALLOC_MB} MiB for {ALLOC_MS / 1000:.0f} s")
    fig.suptitle(
        f"Seed demo: {load.tool} -c {args.concurrency} on GET /work?ms={args.work_ms} for {args.duration:.0f} s "
        f"({load.requests} requests, {rps:.0f}/s, {load.failed} failed)\n"
        f"Prometheus scraping pyexporter every 1 s; the API and pyexporter in {namespace}; {cpus} CPUs{limits}",
        fontsize=10,
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def draw_container(cpu_ax: Any, mem_ax: Any, x: list[float], container: ContainerSeries) -> None:
    """The API cgroup's CPU against its limit with its throttling, and its working set against its limit."""
    cpu_ax.fill_between(x, container.cpu, color=MODE_COLOURS["user"], alpha=0.25, linewidth=0)
    cpu_ax.plot(x, container.cpu, color=MODE_COLOURS["user"], linewidth=1.4, label="CPU used (cores)")
    cpu_ax.axhline(container.cpu_limit, color="black", linestyle="--", linewidth=1.2,
                   label=f"limit: quota / period = {container.cpu_limit:g}")
    cpu_ax.set_ylim(0, max(container.cpu_limit, max(container.cpu, default=0.0)) * 1.6)
    cpu_ax.set_ylabel("CPU (cores)")
    cpu_ax.set_title(f'The API\'s container (name="{CONTAINER}"): CPU against its limit, and throttling\n'
                     "rate(container_cpu_usage_seconds_total[5s]) vs container_spec_cpu_quota / _period",
                     fontsize=9)
    throttled_ax = cpu_ax.twinx()
    throttled_ax.plot(x, container.throttled, color=MODE_COLOURS["system"], linewidth=1.0, linestyle=":",
                      label="periods throttled (right)")
    throttled_ax.set_ylim(0, 1.25)
    throttled_ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    throttled_ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    throttled_ax.set_ylabel("periods throttled")
    lines = cpu_ax.get_legend_handles_labels()
    more = throttled_ax.get_legend_handles_labels()
    cpu_ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8, frameon=False)

    working = [v / MIB for v in container.working_set]
    limit = container.memory_limit / MIB
    mem_ax.fill_between(x, working, color="#2ca02c", alpha=0.25, linewidth=0)
    mem_ax.plot(x, working, color="#2ca02c", linewidth=1.4, label="working set")
    if limit > 0:
        mem_ax.axhline(limit, color="black", linestyle="--", linewidth=1.2, label=f"limit: {limit:.0f} MiB")
    mem_ax.set_ylim(0, max(limit, max(working, default=0.0)) * 1.25)
    mem_ax.set_ylabel("memory (MiB)")
    mem_ax.set_title(f'The API\'s container (name="{CONTAINER}"): working set against its limit\n'
                     "container_memory_working_set_bytes vs container_spec_memory_limit_bytes", fontsize=9)
    mem_ax.legend(loc="upper left", fontsize=8, frameon=False)


# ---------------------------------------------------------------------------------------------


def mean(values: list[float], indexes: list[int]) -> float:
    return sum(values[i] for i in indexes) / len(indexes)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30)")
    parser.add_argument("--concurrency", type=int, default=5, help="parallel requests (default 5)")
    parser.add_argument("--work-ms", type=int, default=20, help="CPU milliseconds per /work request (default 20)")
    parser.add_argument("--quiet", type=float, default=10.0, help="quiet seconds before and after the load")
    parser.add_argument("--out", default=DEFAULT_OUT, help="the PNG to write (default docs/seed_demo.png)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even if ab exists")
    parser.add_argument("--cpus", type=float, default=0.5,
                        help="the API cgroup's CPU limit, as root (default 0.5, as compose.yml; 0: no cgroup)")
    parser.add_argument("--memory-mb", type=int, default=256,
                        help="the API cgroup's memory limit in MiB, without swap (default 256, as compose.yml)")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.concurrency < 1 or args.work_ms < 0 or args.quiet < 6:
        parser.error("--duration >= 1, --concurrency >= 1, --work-ms >= 0 and --quiet >= 6 (the 5 s rate window)")
    if args.cpus < 0 or (args.cpus > 0 and args.memory_mb <= ALLOC_MB):
        parser.error(f"--cpus >= 0, and --memory-mb > {ALLOC_MB} (what /alloc holds during the load)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import matplotlib  # noqa: F401 - fail before minutes of load, not after
    except ImportError:
        raise SystemExit("matplotlib is needed for the chart: pip install -e '.[bench]'") from None
    cpus = os.cpu_count() or 1
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="seed_demo-"))
        watched = stack.enter_context(watched_api(workdir, args.cpus, args.memory_mb))
        log(f"demo API at {watched.api} (group {watched.api_group!r}), pyexporter at {watched.exporter}"
            f" ({'own' if watched.isolated else 'host'} PID namespace"
            + (f"; the API in cgroup {watched.limits.cgroup_id}" if watched.limits else "") + ")")
        prom = stack.enter_context(prometheus(workdir, watched.exporter))
        deadline = time.monotonic() + 60
        while not query(prom, 'up{job="pyexporter"} == 1'):
            if time.monotonic() > deadline:
                raise RuntimeError("Prometheus never scraped pyexporter")
            time.sleep(0.5)
        # A 5 s rate over a series younger than 5 s reads low (Prometheus extrapolates only a little past
        # the first sample): the quiet spell starts once the window is full.
        while not query(prom, 'count_over_time(up{job="pyexporter"}[10s]) >= 7'):
            if time.monotonic() > deadline:
                raise RuntimeError("Prometheus stopped scraping pyexporter")
            time.sleep(0.5)
        log(f"Prometheus at {prom} scraping; {args.quiet:.0f} s quiet")
        time.sleep(args.quiet)

        url = f"{watched.api}/work?ms={args.work_ms}"
        ab = None if args.python_load else shutil.which("ab")
        log(f"load: {'ab' if ab else 'python'} -c {args.concurrency} for {args.duration:.0f} s on {url}")
        alloc = None
        if watched.limits is not None:
            # Halfway through the load, a child of the API holds memory for a while: the working set shows it.
            alloc = threading.Timer(max(args.duration / 2 - ALLOC_MS / 2000, 0), http_ok,
                                    (f"{watched.api}/alloc?mb={ALLOC_MB}&ms={ALLOC_MS}",))
            alloc.start()
        try:
            load = run_ab(ab, url, args.duration, args.concurrency) if ab else run_python_load(
                url, args.duration, args.concurrency)
        finally:
            if alloc is not None:
                alloc.cancel()
                alloc.join(timeout=60)
        log(f"load done: {load.requests} requests, {load.failed} failed; {args.quiet:.0f} s quiet")
        time.sleep(args.quiet)
        # One more scrape and rule evaluation past the end.
        time.sleep(2)

        start, end = load.started - args.quiet, time.time()
        host = series(query_range(prom, "sum by (mode) (rate(node_cpu_seconds_total[5s]))", start, end), "mode")
        group = 'rate(namedprocess_namegroup_cpu_seconds_total{{groupname="{}"}}[5s])'
        api = series(query_range(prom, group.format(watched.api_group), start, end), "mode")
        exporter = series(query_range(prom, group.format(watched.exporter_group), start, end), "mode")
        if not host or not api:
            raise RuntimeError("Prometheus returned no data for the chart")
        # From the first second at which every mode has a rate: a missing point is not drawn as a drop.
        first = max(xs[0] for xs, _ in host.values())
        grid = [t for t in (start + i for i in range(int(end - start) + 1)) if round(t) >= round(first)]
        in_load = [i for i, t in enumerate(grid) if load.started + 5 <= t <= load.ended]
        api_total = [a + b for a, b in zip(*aligned(api, ["user", "system"], grid), strict=True)]
        exporter_total = [a + b for a, b in zip(*aligned(exporter, ["user", "system"], grid), strict=True)]
        busy = [sum(col) for col in zip(*aligned(host, [m for m in MODES if m != "idle"], grid), strict=True)]
        before = [i for i, t in enumerate(grid) if t < load.started]
        if in_load and before:
            log(f"during load: API {mean(api_total, in_load):.2f} cores, pyexporter "
                f"{mean(exporter_total, in_load):.3f} cores, host busy {mean(busy, in_load):.2f} of {cpus} cores "
                f"(before the load: API {mean(api_total, before):.2f}, host busy {mean(busy, before):.2f})")
        container = container_series(prom, start, end, grid) if watched.limits else None
        if container is not None and in_load:
            log(f"the API's cgroup during load: {mean(container.cpu, in_load):.2f} cores of its "
                f"{container.cpu_limit:g} limit, throttled in {mean(container.throttled, in_load):.0%} of periods; "
                f"working set up to {max(container.working_set) / MIB:.0f} of {container.memory_limit / MIB:.0f} MiB")
        draw(args.out, host, api, exporter, grid, load, args, watched, cpus, container)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
