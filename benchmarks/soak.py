"""Soak: scrape pyexporter (and node_exporter beside it, when installed) once a second for N
minutes, as a Prometheus with a 1 s scrape interval would, and watch RSS, latency and failures.

    .venv/bin/python benchmarks/soak.py --minutes 10
    .venv/bin/python benchmarks/soak.py --minutes 2 --no-reference

Reports RSS over time (growth from the end of warm-up, and the fitted slope projected to 10
minutes), latency p50/p99/max, failed scrapes, and the exporter's CPU as a share of one core.
Writes benchmarks/results/soak.json and benchmarks/results/soak.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # after the path set-up, for `python benchmarks/soak.py`
    HEADER_MODES,
    MB,
    RESULTS,
    Exporter,
    Scrape,
    Scraper,
    fmt,
    host_info,
    linear_fit,
    markdown_table,
    pyplot,
    ratio,
    reference_binary,
    reference_version,
    start_pyexporter,
    start_reference,
    summarize_latencies,
    write_json,
)

TARGET_RSS_GROWTH_MB_10MIN = 2.0
TARGET_CPU_PERCENT_OF_CORE = 1.0


def soak(exporters: Sequence[Exporter], headers: dict[str, str], minutes: float, interval: float,
         warmup: int) -> dict[str, dict[str, Any]]:
    scrapers = {e.name: Scraper(e.port, headers) for e in exporters}
    for _ in range(warmup):
        for exporter in exporters:
            scrapers[exporter.name].scrape()
    trace: dict[str, dict[str, list[Any]]] = {
        e.name: {"t": [], "rss": [], "latency": [], "scrapes": []} for e in exporters
    }
    cpu_start = {e.name: e.cpu() for e in exporters}
    rss_start = {e.name: e.rss() for e in exporters}
    started = time.monotonic()
    deadline = started + minutes * 60.0
    tick = 0
    late = 0
    try:
        while True:
            due = started + tick * interval
            if due >= deadline:
                break
            now = time.monotonic()
            if now < due:
                time.sleep(due - now)
            elif now - due > interval:
                # Fell behind by a whole interval (a stalled exporter): skip ticks, as Prometheus does.
                skipped = int((now - due) // interval)
                late += skipped
                tick += skipped
                continue
            # Alternate which exporter goes first, so neither always follows the other.
            order = list(exporters) if tick % 2 == 0 else list(reversed(exporters))
            for exporter in order:
                s = scrapers[exporter.name].scrape()
                t = trace[exporter.name]
                t["t"].append(time.monotonic() - started)
                t["scrapes"].append(s)
                t["latency"].append(s.seconds)
                t["rss"].append(exporter.rss())
            tick += 1
            if tick % 60 == 0:
                print(f"  {tick * interval / 60:.0f} min: "
                      + ", ".join(f"{e.name} {trace[e.name]['rss'][-1] / MB:.1f} MB" for e in exporters),
                      file=sys.stderr)
    finally:
        for scraper in scrapers.values():
            scraper.close()
    wall = time.monotonic() - started
    results: dict[str, dict[str, Any]] = {}
    for exporter in exporters:
        t = trace[exporter.name]
        scrapes: list[Scrape] = t["scrapes"]
        good = [s for s in scrapes if s.ok]
        cpu = exporter.cpu() - cpu_start[exporter.name]
        rss_mb = [r / MB for r in t["rss"]]
        minutes_axis = [x / 60.0 for x in t["t"]]
        _, slope = linear_fit(minutes_axis, rss_mb) if len(rss_mb) >= 2 else (0.0, 0.0)
        results[exporter.name] = {
            "scrapes": len(scrapes),
            "failed": len(scrapes) - len(good),
            "errors": sorted({s.error for s in scrapes if not s.ok})[:5],
            "late_ticks": late,
            **summarize_latencies([s.seconds for s in good]),
            "rss_mb_after_warmup": rss_start[exporter.name] / MB,
            "rss_mb_first": rss_mb[0] if rss_mb else None,
            "rss_mb_last": rss_mb[-1] if rss_mb else None,
            "rss_mb_max": max(rss_mb) if rss_mb else None,
            "rss_growth_mb": rss_mb[-1] - rss_mb[0] if rss_mb else None,
            "rss_slope_mb_per_minute": slope,
            "rss_growth_mb_projected_10min": slope * 10.0,
            "cpu_seconds": cpu,
            "wall_seconds": wall,
            "cpu_percent_of_core": cpu / wall * 100.0 if wall else None,
            "trace": {"minutes": [round(x, 4) for x in minutes_axis], "rss_mb": [round(x, 3) for x in rss_mb],
                      "latency_ms": [round(x * 1e3, 3) for x in t["latency"]]},
        }
    return results


def evaluate(py: dict[str, Any], minutes: float) -> dict[str, str]:
    if minutes >= 10:
        growth = py["rss_growth_mb"]
        how = f"grew {growth:.2f} MB in {minutes:g} min"
    else:
        # A shorter run can only project its slope; the first minutes often still fill caches.
        growth = max(py["rss_growth_mb_projected_10min"], 0.0)
        how = f"projected {py['rss_growth_mb_projected_10min']:.2f} MB/10 min from {minutes:g} min"
    return {
        "rss_growth": ("met" if growth < TARGET_RSS_GROWTH_MB_10MIN else "NOT met") + f" ({how})",
        "failures": "met" if py["failed"] == 0 else f"NOT met ({py['failed']} failed)",
        "cpu": ("met" if py["cpu_percent_of_core"] < TARGET_CPU_PERCENT_OF_CORE else "NOT met")
        + f" ({py['cpu_percent_of_core']:.2f}% of one core)",
    }


def report_table(result: dict[str, Any]) -> str:
    runs = result["exporters"]
    py, ref = runs.get("pyexporter", {}), runs.get("node_exporter", {})
    checks = result["targets"]
    rows = []

    def row(label: str, key: str, digits: int = 2, target: str = "", verdict: str = "") -> None:
        a, b = py.get(key), ref.get(key)
        rows.append([label, fmt(a, digits), fmt(b, digits), fmt(ratio(a, b)), target, verdict])

    row("scrapes", "scrapes", 0)
    row("failed", "failed", 0, "0", checks["failures"])
    row("latency p50 ms", "p50_ms")
    row("latency p99 ms", "p99_ms")
    row("latency max ms", "max_ms")
    row("RSS MB at start", "rss_mb_first", 1)
    row("RSS MB at end", "rss_mb_last", 1)
    row("RSS MB max", "rss_mb_max", 1)
    row("RSS growth MB", "rss_growth_mb", 2)
    row("RSS slope MB/10 min", "rss_growth_mb_projected_10min", 2, "< 2 MB", checks["rss_growth"])
    row("CPU % of one core", "cpu_percent_of_core", 2, "< 1%", checks["cpu"])
    return markdown_table(["", "pyexporter", "node_exporter", "py/go", "target", "verdict"], rows)


def chart(result: dict[str, Any], path: str) -> str | None:
    plt = pyplot()
    if plt is None:
        return None
    colours = {"pyexporter": "#3572A5", "node_exporter": "#E37933"}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, run in result["exporters"].items():
        trace = run["trace"]
        axes[0].plot(trace["minutes"], trace["rss_mb"], label=name, color=colours.get(name))
        axes[1].plot(trace["minutes"], trace["latency_ms"], ".", markersize=3, label=name, color=colours.get(name))
    axes[0].set_xlabel("minutes")
    axes[0].set_ylabel("RSS MB")
    axes[0].set_ylim(bottom=0)
    axes[0].set_title(f"RSS at a {result['interval']:g} s scrape interval")
    axes[1].set_xlabel("minutes")
    axes[1].set_ylabel("latency ms")
    axes[1].set_yscale("log")
    axes[1].set_title("scrape latency")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak (default 10)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between scrapes (default 1)")
    parser.add_argument("--warmup", type=int, default=10, help="scrapes before the clock starts")
    parser.add_argument("--headers", choices=sorted(HEADER_MODES), default="prometheus")
    parser.add_argument("--no-reference", action="store_true", help="soak pyexporter alone")
    parser.add_argument("--name", default="soak")
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0:
        parser.error("--minutes and --interval must be positive")
    headers = HEADER_MODES[args.headers]

    binary = None if args.no_reference else reference_binary()
    exporters: list[Exporter] = []
    try:
        exporters.append(start_pyexporter())
        if binary:
            exporters.append(start_reference(binary))
        print(f"soaking {', '.join(e.name for e in exporters)} for {args.minutes:g} min "
              f"at {args.interval:g} s...", file=sys.stderr)
        runs = soak(exporters, headers, args.minutes, args.interval, args.warmup)
        for exporter in exporters:
            if exporter.proc.poll() is not None:
                runs[exporter.name]["died"] = True
    finally:
        for exporter in exporters:
            exporter.stop()
    result: dict[str, Any] = {
        "benchmark": "soak",
        "host": host_info(),
        "minutes": args.minutes,
        "interval": args.interval,
        "headers": args.headers,
        "reference": reference_version(binary) if binary else None,
        "exporters": runs,
    }
    result["host"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["targets"] = evaluate(runs["pyexporter"], args.minutes)
    table = report_table(result)
    result["table_markdown"] = table
    path = write_json(args.name, result)
    print(table)
    print(f"\nwrote {path}")
    if not args.no_chart:
        written = chart(result, os.path.join(RESULTS, f"{args.name}.png"))
        if written:
            print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
