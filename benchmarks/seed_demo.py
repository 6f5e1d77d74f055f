"""The seed demo without Docker: the demo API under load, watched by pyexporter and Prometheus.

The demo API (docker/demo-api/app.py) and pyexporter (with the namedprocess collector) run in one
new PID namespace when `unshare` can make one (as root), as the compose sidecar shares the API's
PID namespace; otherwise both run on the host and the API's group also holds any other process of
the same name. Prometheus (Debian's `prometheus`) scrapes pyexporter every second into a temporary
store. After a quiet spell, `ab` (apache2-utils; a bounded Python load generator when it is
missing) sends /work?ms=N requests at the given concurrency for the given duration, then another
quiet spell. The chart shows, from Prometheus's HTTP API:

- left: the host's CPU by mode, sum by (mode) (rate(node_cpu_seconds_total[5s])), in cores;
- right: the API's own CPU, rate(namedprocess_namegroup_cpu_seconds_total{groupname=API}[5s]) by
  mode, with pyexporter's own CPU for comparison;

with the load window shaded on both.

    .venv/bin/python benchmarks/seed_demo.py                      # 30 s of load, about a minute
    .venv/bin/python benchmarks/seed_demo.py --duration 10 --concurrency 2 --out /tmp/demo.png

Needs matplotlib (the `bench` extra: pip install -e '.[bench]').
"""

from __future__ import annotations

import argparse
import json
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
def watched_api(workdir: str) -> Iterator[Watched]:
    """The demo API and pyexporter, together in a new PID namespace when possible."""
    api_port, exporter_port = free_port(), free_port()
    exporter_cmd, exporter_group = exporter_command()
    exporter_args = [f"--web.listen-address=127.0.0.1:{exporter_port}", "--collector.namedprocess"]
    api_args = [sys.executable, APP, "--host", "127.0.0.1", "--port", str(api_port)]
    out = open(os.path.join(workdir, "processes.log"), "w")  # closed below, after the processes
    procs: list[subprocess.Popen] = []
    isolated = can_unshare()
    try:
        if isolated:
            # sh starts the API in the background, then execs pyexporter, which becomes the namespace's
            # init: killing unshare (--kill-child) kills it, and the kernel kills the API with it.
            script = '"$1" "$2" --host 127.0.0.1 --port "$3" & shift 3; exec "$@"'
            procs.append(subprocess.Popen(
                ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", script, "sh",
                 sys.executable, APP, str(api_port), *exporter_cmd, *exporter_args],
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
        yield Watched(api, f"127.0.0.1:{exporter_port}", find_api_comm(api_port), exporter_group, isolated)
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


def draw(out: str, host: dict, api: dict, exporter: dict, grid: list[float], load: LoadResult, args: argparse.Namespace,
         watched: Watched, cpus: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [t - load.started for t in grid]
    window = (0.0, load.ended - load.started)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.2, 1]})

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

    for ax in (left, right):
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
    fig.suptitle(
        f"Seed demo: {load.tool} -c {args.concurrency} on GET /work?ms={args.work_ms} for {args.duration:.0f} s "
        f"({load.requests} requests, {rps:.0f}/s, {load.failed} failed)\n"
        f"Prometheus scraping pyexporter every 1 s; the API and pyexporter in {namespace}; {cpus} CPUs",
        fontsize=10,
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


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
    args = parser.parse_args(argv)
    if args.duration < 1 or args.concurrency < 1 or args.work_ms < 0 or args.quiet < 6:
        parser.error("--duration >= 1, --concurrency >= 1, --work-ms >= 0 and --quiet >= 6 (the 5 s rate window)")
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
        watched = stack.enter_context(watched_api(workdir))
        log(f"demo API at {watched.api} (group {watched.api_group!r}), pyexporter at {watched.exporter}"
            f" ({'own' if watched.isolated else 'host'} PID namespace)")
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
        load = run_ab(ab, url, args.duration, args.concurrency) if ab else run_python_load(
            url, args.duration, args.concurrency)
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
        draw(args.out, host, api, exporter, grid, load, args, watched, cpus)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
