"""Shared helpers for the benchmarks: percentiles, /proc/PID readings, exporter processes, scrapes
and result files.

Run the scripts from the repository root, either as `python benchmarks/NAME.py` or as
`python -m benchmarks.NAME`; results go to benchmarks/results/.
"""

from __future__ import annotations

import compileall
import gzip
import http.client
import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
DOCS_CHART = os.path.join(ROOT, "docs", "benchmarks.png")

REFERENCE_BINARY = "prometheus-node-exporter"

# What Prometheus 2.42 sends with every scrape, so that both exporters negotiate as they would in
# production (pyexporter answers OpenMetrics to it; node_exporter 1.5.0 answers text 0.0.4).
PROMETHEUS_HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
    "User-Agent": "Prometheus/2.42.0",
    "X-Prometheus-Scrape-Timeout-Seconds": "10",
}
# curl-like: no negotiation, no compression, text 0.0.4 from both.
PLAIN_HEADERS: dict[str, str] = {"User-Agent": "pyexporter-bench"}
HEADER_MODES = {"prometheus": PROMETHEUS_HEADERS, "plain": PLAIN_HEADERS}

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between ranks, as numpy's default."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(ours: float | None, reference: float | None) -> float | None:
    if ours is None or reference is None or reference == 0:
        return None
    return ours / reference


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares (intercept, slope); slope 0 when all x are equal."""
    if len(xs) != len(ys) or not xs:
        raise ValueError("linear_fit needs two equally long, non-empty sequences")
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return mean_y, 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return mean_y - slope * mean_x, slope


# ---------------------------------------------------------------------------------------------
# /proc/PID


def parse_proc_stat_cpu(text: str, clk_tck: int = CLK_TCK) -> float:
    """utime + stime of a /proc/PID/stat line, in seconds (all threads of the process, including
    ones that have exited). The command name may hold spaces and parentheses, so the fields are
    counted from the last ")": utime and stime are fields 14 and 15 of stat(5)."""
    close = text.rfind(")")
    if close < 0:
        raise ValueError(f"not a /proc/PID/stat line: {text[:80]!r}")
    fields = text[close + 1:].split()
    # fields[0] is field 3 (state), so field N is fields[N - 3].
    if len(fields) < 13:
        raise ValueError(f"truncated /proc/PID/stat line: {text[:80]!r}")
    return (int(fields[11]) + int(fields[12])) / clk_tck


def parse_status_rss(text: str) -> int:
    """VmRSS of a /proc/PID/status file, in bytes."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            parts = line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                break
            unit = parts[2].lower() if len(parts) > 2 else "kb"
            return int(parts[1]) * (1024 if unit == "kb" else 1)
    raise ValueError("no VmRSS line in /proc/PID/status")


def read_proc(pid: int, name: str) -> str:
    with open(f"/proc/{pid}/{name}", encoding="utf-8", errors="replace") as fh:
        return fh.read()


def cpu_seconds(pid: int) -> float:
    return parse_proc_stat_cpu(read_proc(pid, "stat"))


def rss_bytes(pid: int) -> int:
    return parse_status_rss(read_proc(pid, "status"))


# ---------------------------------------------------------------------------------------------
# Exporter processes


def remove_cgroup_dirs(dirs: Sequence[str], timeout: float = 10.0) -> list[str]:
    """Remove cgroup directories, deepest last made first, once their killed processes have left
    them (a task leaves its cgroup a moment after wait() returns: EBUSY until then). The
    directories that could not be removed, with why."""
    deadline = time.monotonic() + timeout
    left: list[str] = []
    for directory in reversed(dirs):
        while True:
            try:
                os.rmdir(directory)
                break
            except FileNotFoundError:
                break
            except OSError as err:
                if time.monotonic() > deadline:
                    left.append(f"{directory}: {err}")
                    break
                time.sleep(0.02)
    return left


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reference_binary() -> str | None:
    return shutil.which(REFERENCE_BINARY)


def reference_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unknown"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


@dataclass
class Exporter:
    """One exporter process on a loopback port; its stderr goes to a temporary file (a pipe nobody
    reads would fill up and stall it), shown when it fails to start."""

    name: str
    proc: subprocess.Popen
    port: int
    stderr: Any = None

    def stderr_tail(self, limit: int = 2000) -> str:
        if self.stderr is None:
            return ""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-limit:].strip()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None


def start_pyexporter(extra: Sequence[str] = ()) -> Exporter:
    """pyexporter with its default collectors, run by this interpreter (the venv's), so that the
    process measured is Python itself and not a wrapper script. Its bytecode is compiled first, as
    `pip install` (and so the Docker image) does: an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module from source at each start."""
    compileall.compile_dir(os.path.join(ROOT, "pyexporter"), quiet=1)
    port = free_port()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyexporter", f"--web.listen-address=127.0.0.1:{port}", *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
    )
    exporter = Exporter("pyexporter", proc, port, err)
    wait_ready(exporter)
    return exporter


def start_reference(binary: str, extra: Sequence[str] = ()) -> Exporter:
    port = free_port()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", *extra], stdout=subprocess.DEVNULL, stderr=err,
    )
    exporter = Exporter("node_exporter", proc, port, err)
    wait_ready(exporter)
    return exporter


def wait_ready(exporter: Exporter, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if exporter.proc.poll() is not None:
            tail = exporter.stderr_tail()
            exporter.stop()
            raise RuntimeError(f"{exporter.name} exited with status {exporter.proc.returncode} at start-up: {tail}")
        try:
            with socket.create_connection(("127.0.0.1", exporter.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                exporter.stop()
                raise RuntimeError(f"{exporter.name} did not listen on port {exporter.port}") from None
            time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Scrapes


@dataclass
class Scrape:
    ok: bool
    seconds: float
    status: int = 0
    wire_bytes: int = 0
    body_bytes: int = 0
    samples: int = 0
    content_type: str = ""
    error: str = ""


def count_samples(body: bytes) -> int:
    """Sample lines of a text or OpenMetrics exposition (everything but comments, `# EOF` and
    blank lines)."""
    count = 0
    for line in body.split(b"\n"):
        if line and not line.startswith(b"#"):
            count += 1
    return count


class Scraper:
    """A keep-alive HTTP/1.1 client for one exporter, as Prometheus holds one connection per target."""

    def __init__(self, port: int, headers: dict[str, str], timeout: float = 30.0) -> None:
        self.port = port
        self.headers = headers
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def scrape(self, path: str = "/metrics") -> Scrape:
        """One timed GET: from sending the request to the last byte of the body. Decompressing and
        counting samples happen after the clock stops."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            resp = self.conn.getresponse()
            wire = resp.read()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            return Scrape(False, time.perf_counter() - started, error=f"{type(err).__name__}: {err}")
        elapsed = time.perf_counter() - started
        if resp.status != 200:
            return Scrape(False, elapsed, status=resp.status, wire_bytes=len(wire), error=f"HTTP {resp.status}")
        body = gzip.decompress(wire) if resp.getheader("Content-Encoding") == "gzip" else wire
        return Scrape(
            True, elapsed, status=200, wire_bytes=len(wire), body_bytes=len(body), samples=count_samples(body),
            content_type=resp.getheader("Content-Type", ""),
        )


def summarize_latencies(seconds: Sequence[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    return {
        "p50_ms": percentile(seconds, 50) * 1e3,
        "p99_ms": percentile(seconds, 99) * 1e3,
        "max_ms": max(seconds) * 1e3,
        "mean_ms": sum(seconds) / len(seconds) * 1e3,
    }


# ---------------------------------------------------------------------------------------------
# Results


def host_info() -> dict[str, Any]:
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "hostname": platform.node(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_json(name: str, data: dict[str, Any], directory: str = RESULTS) -> str:
    """RESULTS/NAME.json (overwritten: the latest run of each benchmark is kept)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return path


def fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, or None when matplotlib (the `bench` extra) is missing."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib): no chart written", file=sys.stderr)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
