"""Side-by-side scrape cost: pyexporter against the reference node_exporter on this host.

Both run with their default collectors on loopback ports and are scraped in interleaved rounds
(A B, B A, A B, ...) so that drift of a shared machine hits both alike. Measured per exporter:
CPU seconds of the exporter process per scrape (utime + stime from /proc/PID/stat, totalled over
blocks of scrapes because the kernel counts in 10 ms ticks), latency p50/p99, bytes, samples, RSS
after warm-up and after every scrape so far; then the same at 10 concurrent scrapers. Finally one
pyexporter scrape is profiled in-process (cProfile) to show where its time goes.

    .venv/bin/python benchmarks/scrape_bench.py            # full run, about two minutes
    .venv/bin/python benchmarks/scrape_bench.py --rounds 200 --profile 10

Prints a markdown table, writes benchmarks/results/scrape_bench.json and a chart to
benchmarks/results/scrape_bench.png and docs/benchmarks.png.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # after the path set-up, for `python benchmarks/scrape_bench.py`
    DOCS_CHART,
    HEADER_MODES,
    MB,
    RESULTS,
    ROOT,
    Exporter,
    Scrape,
    Scraper,
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
    summarize_latencies,
    write_json,
)

# The targets for pyexporter, against node_exporter where a ratio is given.
TARGETS = {
    "cpu_ratio": 1.0,
    "p50_ratio": 1.0,
    "p99_ratio": 1.5,
    "rss_mb_after_1000": 40.0,
}


# ---------------------------------------------------------------------------------------------
# Sequential, interleaved


def interleaved_order(exporters: Sequence[Exporter], round_index: int) -> list[Exporter]:
    """A B in even rounds, B A in odd ones: neither exporter always scrapes just after the other."""
    return list(exporters) if round_index % 2 == 0 else list(reversed(exporters))


def sequential(
    exporters: Sequence[Exporter], scrapers: dict[str, Scraper], rounds: int, block: int
) -> dict[str, dict[str, Any]]:
    """ROUNDS interleaved scrapes of each exporter. CPU is read at block boundaries only: a single
    scrape costs about one clock tick, so per-scrape deltas would be mostly quantisation."""
    results: dict[str, dict[str, Any]] = {
        e.name: {"scrapes": [], "cpu_blocks": [], "rss_trace": []} for e in exporters
    }
    block_start = {e.name: e.cpu() for e in exporters}
    total_start = dict(block_start)
    started = time.perf_counter()
    for i in range(rounds):
        for exporter in interleaved_order(exporters, i):
            results[exporter.name]["scrapes"].append(scrapers[exporter.name].scrape())
        if (i + 1) % block == 0 or i + 1 == rounds:
            size = block if (i + 1) % block == 0 else (i + 1) % block
            for exporter in exporters:
                now = exporter.cpu()
                results[exporter.name]["cpu_blocks"].append((now - block_start[exporter.name]) / size)
                block_start[exporter.name] = now
                results[exporter.name]["rss_trace"].append((i + 1, exporter.rss()))
    wall = time.perf_counter() - started
    for exporter in exporters:
        r = results[exporter.name]
        r["cpu_total_seconds"] = block_start[exporter.name] - total_start[exporter.name]
        r["wall_seconds"] = wall
    return results


def summarize_sequential(raw: dict[str, Any], rss_warm: int, warmup: int) -> dict[str, Any]:
    scrapes: list[Scrape] = raw["scrapes"]
    good = [s for s in scrapes if s.ok]
    n = len(scrapes)
    summary: dict[str, Any] = {
        "scrapes": n,
        "failed": n - len(good),
        "errors": sorted({s.error for s in scrapes if not s.ok})[:5],
        "cpu_ms_per_scrape": raw["cpu_total_seconds"] / n * 1e3 if n else None,
        "cpu_ms_per_scrape_blocks": {
            "p50": percentile(raw["cpu_blocks"], 50) * 1e3,
            "min": min(raw["cpu_blocks"]) * 1e3,
            "max": max(raw["cpu_blocks"]) * 1e3,
        } if raw["cpu_blocks"] else None,
        **summarize_latencies([s.seconds for s in good]),
        "wire_bytes": percentile([s.wire_bytes for s in good], 50) if good else None,
        "body_bytes": percentile([s.body_bytes for s in good], 50) if good else None,
        "samples": percentile([s.samples for s in good], 50) if good else None,
        "content_type": good[-1].content_type if good else "",
        "rss_mb_after_warmup": rss_warm / MB,
        "rss_mb_after_scrapes": raw["rss_trace"][-1][1] / MB if raw["rss_trace"] else None,
        "scrapes_before_last_rss": warmup + (raw["rss_trace"][-1][0] if raw["rss_trace"] else 0),
        "rss_trace": [[warmup, rss_warm / MB]] + [[warmup + count, rss / MB] for count, rss in raw["rss_trace"]],
        "latency_ms_series": [round(s.seconds * 1e3, 3) for s in scrapes],
    }
    return summary


# ---------------------------------------------------------------------------------------------
# Concurrent


def concurrent_phase(exporter: Exporter, headers: dict[str, str], clients: int, each: int) -> dict[str, Any]:
    """CLIENTS threads, each with its own keep-alive connection, released together and scraping
    EACH times back to back."""
    results: list[list[Scrape]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        scraper = Scraper(exporter.port, headers)
        try:
            barrier.wait()
            for _ in range(each):
                results[index].append(scraper.scrape())
        finally:
            scraper.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    cpu_before = exporter.cpu()
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = exporter.cpu() - cpu_before
    flat = [s for per_client in results for s in per_client]
    return {"scrapes": flat, "cpu_seconds": cpu, "wall_seconds": wall}


def concurrent(
    exporters: Sequence[Exporter], headers: dict[str, str], clients: int, each: int, rounds: int
) -> dict[str, dict[str, Any]]:
    gathered: dict[str, dict[str, Any]] = {e.name: {"scrapes": [], "cpu": 0.0, "wall": 0.0} for e in exporters}
    for i in range(rounds):
        for exporter in interleaved_order(exporters, i):
            phase = concurrent_phase(exporter, headers, clients, each)
            g = gathered[exporter.name]
            g["scrapes"].extend(phase["scrapes"])
            g["cpu"] += phase["cpu_seconds"]
            g["wall"] += phase["wall_seconds"]
    summaries: dict[str, dict[str, Any]] = {}
    for exporter in exporters:
        g = gathered[exporter.name]
        scrapes: list[Scrape] = g["scrapes"]
        good = [s for s in scrapes if s.ok]
        summaries[exporter.name] = {
            "clients": clients,
            "scrapes": len(scrapes),
            "failed": len(scrapes) - len(good),
            "errors": sorted({s.error for s in scrapes if not s.ok})[:5],
            "cpu_ms_per_scrape": g["cpu"] / len(scrapes) * 1e3 if scrapes else None,
            "scrapes_per_second": len(scrapes) / g["wall"] if g["wall"] else None,
            # The exporter's CPU over the phase as a share of one core.
            "cpu_cores_busy": g["cpu"] / g["wall"] if g["wall"] else None,
            **summarize_latencies([s.seconds for s in good]),
            "rss_mb_after": exporter.rss() / MB,
        }
    return summaries


# ---------------------------------------------------------------------------------------------
# Profile


def _area(filename: str, funcname: str) -> str:
    """Where a profiled function belongs, in the words the optimisation will use."""
    path = filename.replace(os.sep, "/")
    if "/pyexporter/collectors/" in path:
        if path.endswith("/__init__.py"):
            return "pyexporter collector registry"
        return "collector " + os.path.splitext(os.path.basename(path))[0]
    if path.endswith("pyexporter/exposition.py"):
        return "merge" if funcname == "merge" else "encoder (pyexporter/exposition.py)"
    if "/pyexporter/" in path:
        return "pyexporter " + os.path.basename(path)
    if "prometheus_client/openmetrics/exposition" in path:
        return "encoder (prometheus_client OpenMetrics)"
    if "prometheus_client/exposition" in path:
        return "encoder (prometheus_client text 0.0.4)"
    if "prometheus_client/utils" in path:
        return "encoder (floatToGoString)"
    if "prometheus_client/metrics_core" in path or "prometheus_client/samples" in path:
        return "family construction (prometheus_client.metrics_core)"
    if "prometheus_client/" in path:
        return "prometheus_client " + os.path.basename(path)
    if "/psutil/" in path:
        return "psutil"
    if path == "~":
        return "builtin " + funcname
    return "stdlib/other " + os.path.basename(path)


def profile_scrapes(count: int, accept: str, gzip_encoding: str) -> dict[str, Any]:
    """COUNT in-process renders of pyexporter with its defaults: a phase breakdown (gather,
    self-metrics, merge, encode, gzip), the mean time of each collector, and cProfile's top
    functions and areas. Worker threads (filesystem's statfs pool) are not seen by cProfile."""
    from prometheus_client.core import Metric

    from pyexporter.cli import parse_args
    from pyexporter.exporter import Exporter as PyExporter
    from pyexporter.exposition import compress, encode, merge

    exporter = PyExporter(parse_args([]))
    for _ in range(3):
        exporter.render(None, accept)  # warm caches (collectors build state on their first scrape)

    phases: dict[str, list[float]] = {"gather": [], "self_metrics": [], "merge": [], "encode": [], "gzip": []}
    per_collector: dict[str, list[float]] = {}
    samples = 0
    body = b""
    for _ in range(count):
        t0 = time.perf_counter()
        families: list[Metric] = exporter.scraper.gather(None)
        t1 = time.perf_counter()
        # The same steps as Exporter.render, timed one by one.
        families.append(getattr(exporter, "_build_info"))  # noqa: B009 - private, read for timing only
        registry = getattr(exporter, "_self_registry", None)
        if registry is not None:
            families.extend(registry.collect())
            families.extend(exporter.stats.collect())
        t2 = time.perf_counter()
        merged, _ = merge(families)
        t3 = time.perf_counter()
        body, _ = encode(merged, accept)
        t4 = time.perf_counter()
        compress(body, gzip_encoding)
        t5 = time.perf_counter()
        for name, value in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            phases[name].append(value)
        for family in families:
            if family.name == "node_scrape_collector_duration_seconds":
                for s in family.samples:
                    per_collector.setdefault(s.labels["collector"], []).append(s.value)
        samples = sum(len(f.samples) for f in merged)

    # Each collector alone, CPU and wall: the duration gauge is wall time, which on a busy machine
    # mostly measures waiting (filesystem hands its statfs calls to threads).
    collector_cpu: dict[str, list[float]] = {}
    collector_wall: dict[str, list[float]] = {}
    for name, instance in exporter.scraper.collectors.items():
        for _ in range(count):
            c0, w0 = time.process_time(), time.perf_counter()
            try:
                list(instance.collect())
            except Exception:  # noqa: BLE001 - a failing collector costs what it costs
                pass
            collector_cpu.setdefault(name, []).append(time.process_time() - c0)
            collector_wall.setdefault(name, []).append(time.perf_counter() - w0)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        rendered, _ = exporter.render(None, accept)
        compress(rendered, gzip_encoding)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    areas: dict[str, float] = {}
    functions = []
    for (filename, line, funcname), (_, ncalls, tottime, cumtime, _) in raw.items():
        area = _area(filename, funcname)
        areas[area] = areas.get(area, 0.0) + tottime
        functions.append({
            "function": f"{os.path.relpath(filename) if filename != '~' else ''}:{line}({funcname})",
            "area": area,
            "calls_per_scrape": ncalls / count,
            "tottime_ms_per_scrape": tottime / count * 1e3,
            "cumtime_ms_per_scrape": cumtime / count * 1e3,
        })
    functions.sort(key=lambda f: f["tottime_ms_per_scrape"], reverse=True)
    by_cumulative = sorted(functions, key=lambda f: f["cumtime_ms_per_scrape"], reverse=True)

    def mean_ms(values: list[float]) -> float:
        return sum(values) / len(values) * 1e3 if values else 0.0

    return {
        "scrapes": count,
        "accept": accept or "(none)",
        "gzip": bool(gzip_encoding),
        "samples": samples,
        "body_bytes": len(body),
        "phases_ms_p50": {name: percentile(values, 50) * 1e3 for name, values in phases.items()},
        "collectors_ms_in_gather_mean": dict(sorted(((n, mean_ms(v)) for n, v in per_collector.items()),
                                                    key=lambda kv: kv[1], reverse=True)),
        "collectors_alone": dict(sorted(
            ((n, {"cpu_p50_ms": percentile(collector_cpu[n], 50) * 1e3,
                  "wall_p50_ms": percentile(collector_wall[n], 50) * 1e3}) for n in collector_cpu),
            key=lambda kv: kv[1]["cpu_p50_ms"], reverse=True)),
        "profiled_ms_per_scrape": total / count * 1e3,
        "areas_ms_per_scrape": dict(sorted(((a, t / count * 1e3) for a, t in areas.items()),
                                           key=lambda kv: kv[1], reverse=True)),
        "top_tottime": functions[:25],
        "top_cumtime": by_cumulative[:25],
    }


# ---------------------------------------------------------------------------------------------
# Where the resident memory comes from

# Each step runs in one fresh interpreter, after the ones before it; VmRSS is read after each.
FOOTPRINT_STEPS = (
    ("malloc tuning (ctypes)",
     "from pyexporter.memory import keep_freed_heap, limit_malloc_arenas; limit_malloc_arenas(); keep_freed_heap()"),
    ("prometheus_client", "import prometheus_client, prometheus_client.core, prometheus_client.exposition"),
    ("default collectors' modules", "from pyexporter.collectors import OFF_BY_DEFAULT, collector_names, load\n"
                                    "load(n for n in collector_names() if n not in OFF_BY_DEFAULT)"),
    ("aiohttp.web, imported lean", "from pyexporter.memory import lean_aiohttp_import\n"
                                   "with lean_aiohttp_import():\n    from aiohttp import web"),
    ("server modules", "import pyexporter.server, pyexporter.web"),
    ("Exporter built (defaults)",
     "from pyexporter.cli import parse_args; from pyexporter.exporter import Exporter; e = Exporter(parse_args([]))"),
    ("settled (gc.freeze, malloc_trim)", "from pyexporter.server import _settle; _settle()"),
    ("first scrape", "e.render()"),
    ("20 more scrapes", "[e.render() for _ in range(20)]"),
)

_FOOTPRINT_SCRIPT = """
import json, sys
def rss():
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return 0
out = [['interpreter', rss()]]
namespace = {}
for label, code in json.loads(sys.argv[1]):
    exec(code, namespace)
    out.append([label, rss()])
print(json.dumps(out))
"""


def import_footprint() -> list[dict[str, Any]]:
    """RSS after each of FOOTPRINT_STEPS in a fresh interpreter: which imports the RSS target pays for."""
    proc = subprocess.run(
        [sys.executable, "-c", _FOOTPRINT_SCRIPT, json.dumps(FOOTPRINT_STEPS)],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )
    if proc.returncode != 0:
        return [{"error": proc.stderr.strip()[-500:]}]
    steps = json.loads(proc.stdout)
    rows = []
    previous = 0
    for label, rss in steps:
        rows.append({"step": label, "rss_mb": rss / MB, "added_mb": (rss - previous) / MB})
        previous = rss
    return rows


# ---------------------------------------------------------------------------------------------
# Report


def met(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value <= limit else "NOT met"


def report_table(result: dict[str, Any]) -> str:
    seq = result["sequential"]
    conc = result["concurrent"]
    py, ref = seq.get("pyexporter", {}), seq.get("node_exporter", {})
    cpy, cref = conc.get("pyexporter", {}), conc.get("node_exporter", {})
    rows: list[list[str]] = []

    def row(label: str, a: float | None, b: float | None, digits: int = 2, target: str = "",
            verdict: str = "") -> None:
        r = ratio(a, b)
        rows.append([label, fmt(a, digits), fmt(b, digits), fmt(r, 2), target, verdict])

    checks = result["targets"]
    row("CPU ms/scrape", py.get("cpu_ms_per_scrape"), ref.get("cpu_ms_per_scrape"), 2, "<= 1.0x",
        checks["cpu"])
    row("latency p50 ms", py.get("p50_ms"), ref.get("p50_ms"), 2, "<= 1.0x", checks["p50"])
    row("latency p99 ms", py.get("p99_ms"), ref.get("p99_ms"), 2, "<= 1.5x", checks["p99"])
    row("bytes on the wire", py.get("wire_bytes"), ref.get("wire_bytes"), 0)
    row("bytes uncompressed", py.get("body_bytes"), ref.get("body_bytes"), 0)
    row("samples", py.get("samples"), ref.get("samples"), 0)
    row("RSS MB after warm-up", py.get("rss_mb_after_warmup"), ref.get("rss_mb_after_warmup"), 1)
    row(f"RSS MB after {py.get('scrapes_before_last_rss', 0)} scrapes", py.get("rss_mb_after_scrapes"),
        ref.get("rss_mb_after_scrapes"), 1, "<= 40 MB", checks["rss"])
    row("failed scrapes", py.get("failed"), ref.get("failed"), 0, "0", checks["failures"])
    clients = cpy.get("clients", 0)
    row(f"{clients} scrapers: CPU ms/scrape", cpy.get("cpu_ms_per_scrape"), cref.get("cpu_ms_per_scrape"), 2)
    row(f"{clients} scrapers: p50 ms", cpy.get("p50_ms"), cref.get("p50_ms"), 2)
    row(f"{clients} scrapers: p99 ms", cpy.get("p99_ms"), cref.get("p99_ms"), 2)
    row(f"{clients} scrapers: scrapes/s", cpy.get("scrapes_per_second"), cref.get("scrapes_per_second"), 1)
    row(f"{clients} scrapers: failed", cpy.get("failed"), cref.get("failed"), 0, "0", checks["concurrent"])
    row(f"{clients} scrapers: RSS MB after", cpy.get("rss_mb_after"), cref.get("rss_mb_after"), 1)
    return markdown_table(["", "pyexporter", "node_exporter", "py/go", "target", "verdict"], rows)


def profile_table(profile: dict[str, Any], top: int = 12) -> str:
    lines = [f"Profile of {profile['scrapes']} in-process pyexporter scrapes ({profile['samples']} samples, "
             f"{profile['body_bytes']} bytes, Accept {profile['accept'][:40]}...):", ""]
    phases = profile["phases_ms_p50"]
    lines.append(markdown_table(["phase", "wall ms p50"], [[k, fmt(v, 3)] for k, v in phases.items()]))
    lines.append("")
    lines.append(markdown_table(
        ["collector (run alone)", "CPU ms p50", "wall ms p50"],
        [[k, fmt(v["cpu_p50_ms"], 3), fmt(v["wall_p50_ms"], 3)]
         for k, v in list(profile["collectors_alone"].items())[:top]],
    ))
    lines.append("")
    lines.append(markdown_table(
        ["area (cProfile self time)", "ms/scrape"],
        [[k, fmt(v, 3)] for k, v in list(profile["areas_ms_per_scrape"].items())[:top]],
    ))
    lines.append("")
    lines.append(markdown_table(
        ["function (self time)", "calls/scrape", "self ms", "cum ms"],
        [[f["function"][-70:], fmt(f["calls_per_scrape"], 0), fmt(f["tottime_ms_per_scrape"], 3),
          fmt(f["cumtime_ms_per_scrape"], 3)] for f in profile["top_tottime"][:top]],
    ))
    return "\n".join(lines)


def footprint_table(rows: list[dict[str, Any]]) -> str:
    if rows and "error" in rows[0]:
        return f"RSS footprint: failed: {rows[0]['error']}"
    return "RSS of a fresh interpreter, step by step:\n\n" + markdown_table(
        ["step", "RSS MB", "added MB"], [[r["step"], fmt(r["rss_mb"], 1), fmt(r["added_mb"], 1)] for r in rows]
    )


def evaluate(result: dict[str, Any]) -> dict[str, str]:
    seq, conc = result["sequential"], result["concurrent"]
    py, ref = seq.get("pyexporter", {}), seq.get("node_exporter", {})
    rss_scrapes = py.get("scrapes_before_last_rss", 0)
    rss_verdict = met(py.get("rss_mb_after_scrapes"), TARGETS["rss_mb_after_1000"])
    if rss_scrapes < 1000 and rss_verdict != "n/a":
        rss_verdict += f" (after only {rss_scrapes} scrapes)"
    failed = py.get("failed", 0)
    return {
        "cpu": met(ratio(py.get("cpu_ms_per_scrape"), ref.get("cpu_ms_per_scrape")), TARGETS["cpu_ratio"]),
        "p50": met(ratio(py.get("p50_ms"), ref.get("p50_ms")), TARGETS["p50_ratio"]),
        "p99": met(ratio(py.get("p99_ms"), ref.get("p99_ms")), TARGETS["p99_ratio"]),
        "rss": rss_verdict,
        "failures": "met" if failed == 0 else "NOT met",
        "concurrent": "n/a" if not conc.get("pyexporter") else
        ("met" if conc["pyexporter"]["failed"] == 0 else "NOT met"),
    }


def chart(result: dict[str, Any], paths: Sequence[str]) -> list[str]:
    plt = pyplot()
    if plt is None:
        return []
    seq, conc = result["sequential"], result["concurrent"]
    names = [n for n in ("pyexporter", "node_exporter") if n in seq]
    colours = {"pyexporter": "#3572A5", "node_exporter": "#E37933"}
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    fig.suptitle(f"pyexporter vs node_exporter on {result['host']['hostname']} "
                 f"({result['host']['cpus']} CPUs, {result['headers']} headers)")

    def bars(ax: Any, metrics: list[tuple[str, Callable[[str], float | None]]], title: str) -> None:
        width = 0.8 / max(len(names), 1)
        for k, name in enumerate(names):
            values = [getter(name) or 0.0 for _, getter in metrics]
            xs = [i + k * width for i in range(len(metrics))]
            ax.bar(xs, values, width, label=name, color=colours[name])
            for x, v in zip(xs, values, strict=True):
                ax.annotate(f"{v:.1f}", (x, v), ha="center", va="bottom", fontsize=8)
        ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(metrics))])
        ax.set_xticklabels([label for label, _ in metrics])
        ax.set_title(title)
        ax.legend()

    bars(axes[0][0], [
        ("CPU/scrape", lambda n: seq[n]["cpu_ms_per_scrape"]),
        ("CPU/scrape, 10 conc.", lambda n: conc.get(n, {}).get("cpu_ms_per_scrape")),
    ], "CPU ms per scrape (lower is better)")
    bars(axes[0][1], [
        ("p50", lambda n: seq[n]["p50_ms"]),
        ("p99", lambda n: seq[n]["p99_ms"]),
        ("p50, 10 conc.", lambda n: conc.get(n, {}).get("p50_ms")),
        ("p99, 10 conc.", lambda n: conc.get(n, {}).get("p99_ms")),
    ], "latency ms (lower is better)")
    ax = axes[1][0]
    for name in names:
        trace = seq[name]["rss_trace"]
        ax.plot([t[0] for t in trace], [t[1] for t in trace], label=name, color=colours[name])
    ax.set_xlabel("scrapes")
    ax.set_ylabel("RSS MB")
    ax.set_ylim(bottom=0)
    ax.set_title("RSS over scrapes")
    ax.legend()
    ax = axes[1][1]
    for name in names:
        series = seq[name]["latency_ms_series"]
        ax.plot(range(len(series)), series, ".", markersize=2, label=name, color=colours[name], alpha=0.6)
    ax.set_yscale("log")
    ax.set_xlabel("round (interleaved)")
    ax.set_ylabel("latency ms")
    ax.set_title("latency per scrape over time")
    ax.legend()
    fig.tight_layout()
    written = []
    for path in paths:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fig.savefig(path, dpi=100)
        written.append(path)
    plt.close(fig)
    return written


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1000, help="interleaved sequential rounds (default 1000)")
    parser.add_argument("--warmup", type=int, default=20, help="scrapes of each exporter before measuring")
    parser.add_argument("--block", type=int, default=50, help="rounds per CPU reading (default 50)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent scrapers (default 10)")
    parser.add_argument("--client-scrapes", type=int, default=10, help="scrapes per concurrent scraper per round")
    parser.add_argument("--concurrent-rounds", type=int, default=4, help="interleaved concurrent rounds")
    parser.add_argument("--headers", choices=sorted(HEADER_MODES), default="prometheus",
                        help="request headers: Prometheus 2.42's (OpenMetrics/text negotiation, gzip) or plain")
    parser.add_argument("--no-reference", action="store_true", help="measure pyexporter alone")
    parser.add_argument("--profile", type=int, default=30, metavar="N",
                        help="profile N in-process pyexporter scrapes afterwards (0: skip)")
    parser.add_argument("--name", default="scrape_bench", help="result file name (without .json)")
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args(argv)
    headers = HEADER_MODES[args.headers]

    binary = None if args.no_reference else reference_binary()
    if binary is None and not args.no_reference:
        print("prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter): "
              "measuring pyexporter alone", file=sys.stderr)
    result: dict[str, Any] = {
        "benchmark": "scrape_bench",
        "host": host_info(),
        "headers": args.headers,
        "request_headers": headers,
        "parameters": {k: v for k, v in vars(args).items() if k != "name"},
        "reference": reference_version(binary) if binary else None,
    }

    exporters: list[Exporter] = []
    scrapers: dict[str, Scraper] = {}
    try:
        exporters.append(start_pyexporter())
        if binary:
            exporters.append(start_reference(binary))
        for exporter in exporters:
            scrapers[exporter.name] = Scraper(exporter.port, headers)
        for i in range(args.warmup):
            for exporter in interleaved_order(exporters, i):
                scrapers[exporter.name].scrape()
        rss_warm = {e.name: e.rss() for e in exporters}
        print(f"warm: {', '.join(f'{n} {v / MB:.1f} MB' for n, v in rss_warm.items())}; "
              f"{args.rounds} interleaved rounds...", file=sys.stderr)
        raw = sequential(exporters, scrapers, args.rounds, args.block)
        result["sequential"] = {
            name: summarize_sequential(r, rss_warm[name], args.warmup) for name, r in raw.items()
        }
        for scraper in scrapers.values():
            scraper.close()
        print(f"{args.clients} concurrent scrapers x {args.client_scrapes} x {args.concurrent_rounds} rounds...",
              file=sys.stderr)
        result["concurrent"] = (
            concurrent(exporters, headers, args.clients, args.client_scrapes, args.concurrent_rounds)
            if args.clients > 0 and args.concurrent_rounds > 0 else {}
        )
        for exporter in exporters:
            if exporter.proc.poll() is not None:
                raise RuntimeError(f"{exporter.name} died during the benchmark")
    finally:
        for scraper in scrapers.values():
            scraper.close()
        for exporter in exporters:
            exporter.stop()
    result["host"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = evaluate(result)

    if args.profile > 0:
        print(f"profiling {args.profile} in-process scrapes...", file=sys.stderr)
        result["profile"] = profile_scrapes(
            args.profile, headers.get("Accept", ""), headers.get("Accept-Encoding", "")
        )

    result["rss_footprint"] = import_footprint()

    table = report_table(result)
    result["table_markdown"] = table
    path = write_json(args.name, result)
    print(table)
    if "profile" in result:
        print()
        print(profile_table(result["profile"]))
    print()
    print(footprint_table(result["rss_footprint"]))
    print(f"\nwrote {path}")
    if not args.no_chart:
        charts = [os.path.join(RESULTS, f"{args.name}.png")]
        if args.name == "scrape_bench":
            charts.append(DOCS_CHART)  # the chart the README shows is the default run's
        for written in chart(result, charts):
            print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
