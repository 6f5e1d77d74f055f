"""The textfile collector under load: many files, and large ones, against node_exporter.

Generated textfile directories of growing size: 1 000, 5 000 and 20 000 small files (each a few
batch-job families that every file shares, as node_exporter's textfile users write them), 5 000
small files where one family has no HELP (node_exporter then builds a HELP naming every file, once
per file: memory that grows with the square of the files), and single files of 1, 10, 16 (the
default --collector.textfile.max-file-size, of typical and of short lines) and 100 MiB. The last is
beyond the limit: pyexporter refuses it unread (one log line, scrape error 1) and serves the rest,
where node_exporter reads it whole.

Both exporters run as servers with only the textfile collector (and no exporter metrics), fresh for
each directory, and are scraped over loopback without compression: one warm-up scrape, then timed
ones. Measured per exporter and directory: the median scrape time, samples served and scrape error,
and peak RSS (VmHWM of /proc/PID/status: the largest the process ever was, warm-up included); for
pyexporter also the peak RSS of `pyexporter --once`, one scrape without the server. Growth is
judged from the marginal cost per file and per MiB between consecutive sizes (scaling.growth).

    .venv/bin/python benchmarks/stress_textfile.py              # about two and a half minutes
    .venv/bin/python benchmarks/stress_textfile.py --only files --counts 1000,2000,4000 --scrapes 5
    .venv/bin/python benchmarks/stress_textfile.py --uncapped   # pyexporter reads 100 MiB too

Prints a markdown table and writes benchmarks/results/stress_textfile.json.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # after the path set-up, for `python benchmarks/stress_textfile.py`
    MB,
    RESULTS,
    ROOT,
    Exporter,
    count_samples,
    fmt,
    host_info,
    markdown_table,
    read_proc,
    reference_binary,
    reference_version,
    start_pyexporter,
    start_reference,
    write_json,
)
from benchmarks.scaling import growth

DEFAULT_LIMIT = 16 * MB
FILE_COUNTS = (1_000, 5_000, 20_000)
# The last is beyond the default limit.
FILE_SIZES_MIB = (1, 10, 16, 100)


# ---------------------------------------------------------------------------------------------
# Directories: pure text generators, and writers


def small_file(index: int, help_everywhere: bool = True) -> str:
    """One batch job's .prom file: a gauge, a counter and a summary, named alike in every file.
    Without HELP_EVERYWHERE the summary has no HELP line, so that its HELP is generated from the
    list of every file that has it."""
    job = f"job{index:05d}"
    summary_help = "# HELP batch_job_duration_seconds Duration of the batch job.\n" if help_everywhere else ""
    return (
        "# HELP batch_job_last_success_timestamp_seconds Last time the batch job succeeded.\n"
        "# TYPE batch_job_last_success_timestamp_seconds gauge\n"
        f'batch_job_last_success_timestamp_seconds{{job="{job}"}} {1_700_000_000 + index}\n'
        "# HELP batch_job_runs_total Runs of the batch job.\n"
        "# TYPE batch_job_runs_total counter\n"
        f'batch_job_runs_total{{job="{job}",result="ok"}} {index}\n'
        f'batch_job_runs_total{{job="{job}",result="failed"}} {index % 7}\n'
        f"{summary_help}# TYPE batch_job_duration_seconds summary\n"
        f'batch_job_duration_seconds{{job="{job}",quantile="0.5"}} {index % 97 / 10}\n'
        f'batch_job_duration_seconds{{job="{job}",quantile="0.99"}} {index % 89}\n'
        f'batch_job_duration_seconds_sum{{job="{job}"}} {index * 3}\n'
        f'batch_job_duration_seconds_count{{job="{job}"}} {index + 1}\n'
    )


def typical_line(index: int) -> str:
    """A request counter line, about 80 bytes: three labels, one of them unique."""
    return f'app_http_requests_total{{method="GET",path="/api/v1/items/{index}",code="200"}} {index * 7 % 100003}\n'


def short_line(index: int) -> str:
    """About 20 bytes per sample: the most samples a byte of textfile can hold, within reason."""
    return f'up{{i="{index}"}} 1\n'


def write_small_files(directory: str, count: int, help_everywhere: bool = True) -> int:
    os.makedirs(directory)
    total = 0
    for index in range(count):
        text = small_file(index, help_everywhere)
        with open(os.path.join(directory, f"job{index:05d}.prom"), "w", encoding="utf-8") as fh:
            fh.write(text)
        total += len(text)
    return total


def write_big_file(directory: str, size: int, line: Callable[[int], str]) -> int:
    """One .prom file of SIZE bytes, near enough (whole lines, never more): a counter family of
    LINE lines, written in blocks so that the benchmark itself stays small."""
    os.makedirs(directory)
    header = "# HELP app_http_requests_total Requests served.\n# TYPE app_http_requests_total counter\n"
    if line is short_line:
        header = "# HELP up Whether the target is up.\n# TYPE up gauge\n"
    total = len(header)
    with open(os.path.join(directory, "big.prom"), "w", encoding="utf-8") as fh:
        fh.write(header)
        index = 0
        block: list[str] = []
        while True:
            text = line(index)
            if total + len(text) > size:
                break
            block.append(text)
            total += len(text)
            index += 1
            if len(block) == 10_000:
                fh.write("".join(block))
                block.clear()
        fh.write("".join(block))
    return total


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: str  # "files", "nohelp" (small files, one family without HELP), "bytes" or "short" (lines)
    size: int  # number of files, or bytes of the one file
    write: Callable[[str], int]


def datasets(only: str | None = None, counts: Sequence[int] = FILE_COUNTS,
             sizes_mib: Sequence[int] = FILE_SIZES_MIB) -> list[Dataset]:
    """The directories to measure: COUNTS small files, the middle count again with a family
    without HELP, one file of each of SIZES_MIB, and one file of short lines at the limit."""
    found = [
        Dataset(f"{count} small files", "files", count, partial(write_small_files, count=count))
        for count in counts
    ]
    if counts:
        # node_exporter builds the generated HELP once per family per file, each naming every
        # file: memory that grows with the square of the files, so this directory stays small.
        count = sorted(counts)[len(counts) // 2] if len(counts) > 2 else min(counts)
        found.append(Dataset(f"{count} small files, a family without HELP", "nohelp", count,
                             partial(write_small_files, count=count, help_everywhere=False)))
    found += [
        Dataset(f"1 file of {mib} MiB", "bytes", mib * MB, partial(write_big_file, size=mib * MB, line=typical_line))
        for mib in sizes_mib
    ]
    found.append(Dataset(f"1 file of {DEFAULT_LIMIT // MB} MiB, short lines", "short", DEFAULT_LIMIT,
                         partial(write_big_file, size=DEFAULT_LIMIT, line=short_line)))
    return [d for d in found if only is None or d.kind == only]


# ---------------------------------------------------------------------------------------------
# Measuring


def peak_rss(pid: int) -> int:
    """VmHWM of /proc/PID/status: the largest resident set the process has had, in bytes."""
    match = re.search(r"^VmHWM:\s+(\d+)\s*kB", read_proc(pid, "status"), re.MULTILINE)
    if match is None:
        raise ValueError(f"no VmHWM for pid {pid}")
    return int(match.group(1)) * 1024


_SCRAPE_ERROR = re.compile(rb"^node_textfile_scrape_error (\S+)$", re.MULTILINE)


def scrape(conn: http.client.HTTPConnection) -> tuple[float, bytes]:
    started = time.perf_counter()
    conn.request("GET", "/metrics", headers={"User-Agent": "pyexporter-bench", "Accept-Encoding": "identity"})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - started
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}: {body[:200]!r}")
    return elapsed, body


@dataclass
class Run:
    exporter: str
    dataset: str
    kind: str
    size: int
    input_bytes: int
    seconds: list[float] = field(default_factory=list)
    median_ms: float | None = None
    samples: int = 0
    scrape_error: float | None = None
    peak_rss_mb: float | None = None
    idle_rss_mb: float | None = None
    # pyexporter --once: one scrape in a process of its own, without the server.
    once_seconds: float | None = None
    once_peak_rss_mb: float | None = None
    failure: str = ""


def measure(exporter: Exporter, dataset: Dataset, input_bytes: int, scrapes: int) -> Run:
    run = Run(exporter.name, dataset.name, dataset.kind, dataset.size, input_bytes)
    run.idle_rss_mb = exporter.rss() / MB
    conn = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=600)
    try:
        scrape(conn)  # warm-up
        body = b""
        for _ in range(scrapes):
            elapsed, body = scrape(conn)
            run.seconds.append(elapsed)
        run.median_ms = statistics.median(run.seconds) * 1e3
        run.samples = count_samples(body)
        match = _SCRAPE_ERROR.search(body)
        run.scrape_error = float(match.group(1)) if match else None
        run.peak_rss_mb = peak_rss(exporter.pid) / MB
    except (OSError, http.client.HTTPException, RuntimeError) as err:
        run.failure = f"{type(err).__name__}: {err}"
    finally:
        conn.close()
    return run


# `pyexporter --once` that writes its own VmHWM to the file named by argv[1] when it exits. Read by
# the process itself: VmHWM starts afresh at exec, where the rusage of a child also counts the
# pages it shared with this (larger) process between fork and exec.
_ONCE = """
import atexit, runpy, sys
out = sys.argv.pop(1)
def report():
    with open("/proc/self/status") as fh, open(out, "w") as dest:
        dest.write(fh.read())
atexit.register(report)
sys.argv[0] = "pyexporter"
runpy.run_module("pyexporter", run_name="__main__")
"""


def measure_once(run: Run, extra: Sequence[str]) -> None:
    """Time and peak RSS of `pyexporter --once` (its output discarded)."""
    with tempfile.NamedTemporaryFile(prefix="status.", delete=False) as status:
        path = status.name
    try:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _ONCE, path, "--once", *extra], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if proc.returncode != 0:
            run.failure = f"--once exited with {proc.returncode}"
            return
        run.once_seconds = time.perf_counter() - started
        with open(path, encoding="utf-8") as fh:
            match = re.search(r"^VmHWM:\s+(\d+)\s*kB", fh.read(), re.MULTILINE)
        if match is not None:
            run.once_peak_rss_mb = int(match.group(1)) * 1024 / MB
    finally:
        os.unlink(path)


def flags(directory: str) -> list[str]:
    return ["--collector.disable-defaults", "--collector.textfile", f"--collector.textfile.directory={directory}",
            "--web.disable-exporter-metrics"]


def growth_of(runs: Sequence[Run], kind: str, per: int) -> dict[str, Any] | None:
    """Marginal ms per file (or per MiB) between consecutive sizes of KIND, from runs that read
    their input (a refused file costs nothing and says nothing about growth)."""
    points = [(run.size // per, run.median_ms) for run in runs
              if run.kind == kind and run.median_ms is not None and run.scrape_error == 0]
    if len(points) < 2:
        return None
    found = growth([(n, float(ms)) for n, ms in points])
    found["points"] = points
    found["verdict"] = "super-linear" if found["super_linear"] else "linear"
    return found


# ---------------------------------------------------------------------------------------------
# Report


def table(runs: Sequence[Run]) -> str:
    by_dataset: dict[str, dict[str, Run]] = {}
    for run in runs:
        by_dataset.setdefault(run.dataset, {})[run.exporter] = run
    rows = []
    for name, pair in by_dataset.items():
        ours, theirs = pair.get("pyexporter"), pair.get("node_exporter")
        first = ours or theirs
        assert first is not None

        def cell(run: Run | None, value: Callable[[Run], str]) -> str:
            if run is None:
                return "n/a"
            return run.failure[:40] if run.failure else value(run)

        ratio = (f"{ours.median_ms / theirs.median_ms:.1f}x" if ours and theirs and ours.median_ms and theirs.median_ms
                 else "n/a")
        rows.append([
            name, f"{first.input_bytes / MB:.1f}",
            cell(ours, lambda r: f"{fmt(r.median_ms, 0)} ms"), cell(theirs, lambda r: f"{fmt(r.median_ms, 0)} ms"),
            ratio,
            cell(ours, lambda r: f"{fmt(r.peak_rss_mb, 0)} MB"), cell(theirs, lambda r: f"{fmt(r.peak_rss_mb, 0)} MB"),
            cell(ours, lambda r: f"{fmt(r.once_peak_rss_mb, 0)} MB"),
            cell(ours, lambda r: f"{r.samples} / {fmt(r.scrape_error, 0)}"),
            cell(theirs, lambda r: f"{r.samples} / {fmt(r.scrape_error, 0)}"),
        ])
    return markdown_table(
        ["input", "MiB", "pyexporter scrape", "node_exporter scrape", "ratio", "pyexporter peak RSS",
         "node_exporter peak RSS", "pyexporter --once peak RSS", "pyexporter samples / error",
         "node_exporter samples / error"],
        rows,
    )


def growth_lines(report: dict[str, dict[str, Any] | None]) -> list[str]:
    lines = []
    for key, found in report.items():
        if found is None:
            continue
        unit = "file" if key.endswith("per_file") else "MiB"
        steps = ", ".join(f"{m:.3f}" for m in found["marginal_ms_per_element"])
        lines.append(f"- {key}: marginal ms per {unit} between sizes {steps}: {found['verdict']}")
    return lines


# ---------------------------------------------------------------------------------------------


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrapes", type=int, default=2, help="timed scrapes per exporter and directory")
    parser.add_argument("--only", choices=["files", "nohelp", "bytes", "short"], help="one kind of directory only")
    parser.add_argument("--counts", type=_numbers, default=FILE_COUNTS, metavar="N,N,...",
                        help="numbers of small files (default 1000,5000,20000)")
    parser.add_argument("--sizes", type=_numbers, default=FILE_SIZES_MIB, metavar="MIB,MIB,...",
                        help="sizes of the single files, in MiB (default 1,10,16,100)")
    parser.add_argument("--no-reference", action="store_true", help="measure pyexporter alone")
    parser.add_argument("--uncapped", action="store_true",
                        help="also run pyexporter with --collector.textfile.max-file-size=0 on the largest file")
    parser.add_argument("--name", default="stress_textfile", help="result file name (without .json)")
    parser.add_argument("--results", default=RESULTS, help="directory of the result file")
    args = parser.parse_args(argv)

    binary = None if args.no_reference else reference_binary()
    if binary is None and not args.no_reference:
        print("prometheus-node-exporter is not installed: measuring pyexporter alone", file=sys.stderr)
    runs: list[Run] = []
    scratch = tempfile.mkdtemp(prefix="stress_textfile.")
    started = time.monotonic()
    try:
        for dataset in datasets(args.only, args.counts, args.sizes):
            directory = os.path.join(scratch, dataset.name.replace(" ", "_"))
            input_bytes = dataset.write(directory)
            print(f"{dataset.name}: {input_bytes / MB:.1f} MiB written", file=sys.stderr)
            starters: list[tuple[str, Callable[[], Exporter]]] = [
                ("pyexporter", partial(start_pyexporter, flags(directory)))]
            if args.uncapped and dataset.kind == "bytes" and dataset.size > DEFAULT_LIMIT:
                starters.append(("pyexporter uncapped", partial(
                    start_pyexporter, [*flags(directory), "--collector.textfile.max-file-size=0"])))
            if binary is not None:
                starters.append(("node_exporter", partial(start_reference, binary, flags(directory))))
            for label, start in starters:
                exporter = start()
                try:
                    run = measure(exporter, dataset, input_bytes, args.scrapes)
                finally:
                    exporter.stop()
                run.exporter = label
                if label == "pyexporter":
                    measure_once(run, flags(directory))
                runs.append(run)
                print(f"  {label}: {fmt(run.median_ms, 0)} ms, peak RSS {fmt(run.peak_rss_mb, 0)} MB, "
                      f"{run.samples} samples, scrape error {run.scrape_error} {run.failure}", file=sys.stderr)
            shutil.rmtree(directory, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    report = {
        "pyexporter_ms_per_file": growth_of([r for r in runs if r.exporter == "pyexporter"], "files", 1),
        "node_exporter_ms_per_file": growth_of([r for r in runs if r.exporter == "node_exporter"], "files", 1),
        "pyexporter_ms_per_mib": growth_of([r for r in runs if r.exporter == "pyexporter"], "bytes", MB),
        "node_exporter_ms_per_mib": growth_of([r for r in runs if r.exporter == "node_exporter"], "bytes", MB),
    }
    print(table(runs))
    print()
    print("\n".join(growth_lines(report)))
    if any(size * MB > DEFAULT_LIMIT for size in args.sizes) and args.only in (None, "bytes"):
        print("\nA file over pyexporter's default --collector.textfile.max-file-size "
              f"({DEFAULT_LIMIT} bytes) is refused unread (scrape error 1); nothing of it is served.")
    path = write_json(args.name, directory=args.results, data={
        "host": host_info(),
        "reference": reference_version(binary) if binary else None,
        "scrapes": args.scrapes,
        "default_max_file_size": DEFAULT_LIMIT,
        "seconds": round(time.monotonic() - started, 1),
        "runs": [asdict(run) for run in runs],
        "growth": report,
    })
    print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
