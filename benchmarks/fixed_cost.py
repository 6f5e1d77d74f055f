"""What a scrape costs pyexporter before its collectors' work, taken apart, against node_exporter's
whole scrape of the same one cheap collector.

Four servers on loopback, each with the loadavg collector alone and the exporter metrics off, are
scraped in interleaved rounds by keep-alive clients without gzip (scaling.py's small trees are
served so). One runs no pyexporter code when it answers; the other three are pyexporter's own
server, whose Exporter.render_async each replaces in its process to stop at one step:

- aiohttp: a bare aiohttp application, as its documentation writes one (web.run_app, one route,
  no access log), answering every request with a body pyexporter rendered once at start: what
  the required web framework costs a request by itself;
- web: the first scrape's body, served again at once: aiohttp and pyexporter's web layer (request
  parsing, routing, the middleware, the response);
- waited: the scrape run as a request runs it (a job for the collector's worker, then merge and
  encode), but waited for by blocking the event loop's thread, which then answers without a turn
  of the loop (pyexporter never blocks its loop: measured to price the wake-up alone);
- served: pyexporter as it runs.

node_exporter's whole scrape of the same collector, against the first two steps alone, is the
floor scaling.py's small trees meet: their collectors' own work is a fraction of a millisecond.

    .venv/bin/python benchmarks/fixed_cost.py                  # about 30 s
    .venv/bin/python benchmarks/fixed_cost.py --rounds 500

Writes benchmarks/results/fixed_cost.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # after the path set-up, for `python benchmarks/fixed_cost.py`
    PLAIN_HEADERS,
    RESULTS,
    ROOT,
    Exporter,
    Scraper,
    fmt,
    free_port,
    host_info,
    markdown_table,
    percentile,
    ratio,
    reference_binary,
    reference_version,
    start_reference,
    wait_ready,
    write_json,
)

FLAGS = ("--collector.disable-defaults", "--collector.loadavg", "--web.disable-exporter-metrics", "--log.level=warn")
VARIANTS = ("aiohttp", "web", "waited", "served")


def serve(variant: str, port: int) -> int:
    """Run VARIANT's server on PORT (see the module's note)."""
    from pyexporter.cli import main
    from pyexporter.exporter import Exporter as PyExporter

    if variant == "aiohttp":
        return serve_bare_aiohttp(port)
    if variant == "web":
        first: list[tuple[bytes, str]] = []

        async def constant(self: PyExporter, names: Sequence[str] | None, accept: str, accept_encoding: str,
                           deadline: float) -> tuple[bytes, str, str | None]:
            if not first:
                first.append(self.render(names, accept, deadline))
            return first[0][0], first[0][1], None

        PyExporter.render_async = constant  # type: ignore[method-assign]
    elif variant == "waited":
        async def waited(self: PyExporter, names: Sequence[str] | None, accept: str, accept_encoding: str,
                         deadline: float) -> tuple[bytes, str, str | None]:
            body, content_type = self.render(names, accept, deadline)
            return body, content_type, None

        PyExporter.render_async = waited  # type: ignore[method-assign]
    elif variant != "served":
        raise ValueError(f"unknown variant {variant}")
    return main([f"--web.listen-address=127.0.0.1:{port}", *FLAGS])


def serve_bare_aiohttp(port: int) -> int:
    from aiohttp import web

    from pyexporter.cli import parse_args
    from pyexporter.exporter import Exporter as PyExporter

    exporter = PyExporter(parse_args(list(FLAGS)))
    body, content_type = exporter.render()
    exporter.close()

    async def metrics(request: web.Request) -> web.Response:
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
    return 0


def start_variant(variant: str) -> Exporter:
    port = free_port()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", variant, str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    exporter = Exporter(variant, proc, port, err)
    wait_ready(exporter)
    return exporter


def measure(exporters: Sequence[Exporter], rounds: int, warmup: int) -> dict[str, dict[str, float]]:
    scrapers = {e.name: Scraper(e.port, PLAIN_HEADERS) for e in exporters}
    for e in exporters:
        for _ in range(warmup):
            scrapers[e.name].scrape()
    start = {e.name: e.cpu() for e in exporters}
    latencies: dict[str, list[float]] = {e.name: [] for e in exporters}
    failed = dict.fromkeys(latencies, 0)
    for r in range(rounds):
        shift = r % len(exporters)  # each goes first in turn
        for e in [*exporters[shift:], *exporters[:shift]]:
            result = scrapers[e.name].scrape()
            latencies[e.name].append(result.seconds)
            failed[e.name] += not result.ok
    out = {}
    for e in exporters:
        scrapers[e.name].close()
        out[e.name] = {
            "cpu_ms_per_scrape": (e.cpu() - start[e.name]) / rounds * 1e3,
            "p50_ms": percentile(latencies[e.name], 50) * 1e3,
            "failed_scrapes": failed[e.name],
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3000, help="interleaved rounds (one scrape of each server)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--name", default="fixed_cost")
    parser.add_argument("--results", default=RESULTS, help="directory to write NAME.json in")
    parser.add_argument("--no-reference", action="store_true", help="leave node_exporter out")
    parser.add_argument("--serve", nargs=2, metavar=("VARIANT", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve[0], int(args.serve[1]))

    binary = None if args.no_reference else reference_binary()
    exporters: list[Exporter] = []
    try:
        exporters = [start_variant(v) for v in VARIANTS]
        if binary:
            exporters.append(start_reference(binary, FLAGS))
        time.sleep(0.5)
        results = measure(exporters, args.rounds, args.warmup)
    finally:
        for e in exporters:
            e.stop()
    go = results.get("node_exporter")
    rows = []
    for name, r in results.items():
        rows.append([name, f"{r['cpu_ms_per_scrape']:.3f}", f"{r['p50_ms']:.3f}",
                     fmt(ratio(r["cpu_ms_per_scrape"], go["cpu_ms_per_scrape"] if go else None)),
                     fmt(ratio(r["p50_ms"], go["p50_ms"] if go else None)), str(int(r["failed_scrapes"]))])
    table = markdown_table(["server", "CPU ms/scrape", "p50 ms", "CPU / node_exporter's", "p50 / node_exporter's",
                            "failed"], rows)
    out: dict[str, Any] = {
        "benchmark": "fixed_cost",
        "host": host_info(),
        "reference": reference_version(binary) if binary else None,
        "rounds": args.rounds,
        "results": results,
        "table_markdown": table,
    }
    path = write_json(args.name, out, args.results)
    print(table)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
