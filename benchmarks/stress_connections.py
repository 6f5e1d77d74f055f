"""Many connections at once: what they cost pyexporter and node_exporter, and what is left after.

Each exporter runs alone, with its default collectors and a TLS web config where the scenario
asks for one (a self-signed ECDSA certificate made here), and gets N connections from this process:

- idle TLS: handshake, one request (GET /), answer read, then left open, as a scraper's
  connection between two scrapes;
- idle plain: the same without TLS;
- silent: TCP connections to the TLS port that never send a byte (a TLS handshake never started):
  how long the exporter holds them, and what they cost meanwhile.

RSS (VmRSS) is read before, 2 s after the last connection is up, and SETTLE seconds after the
connections close (for the silent ones: after the server has closed them all, or after
--silent-wait). Every scenario starts a fresh exporter process.

pyexporter runs with --web.max-connections=0 for the rows that compare with node_exporter, which
has no such cap, and once more with its default cap.

    .venv/bin/python benchmarks/stress_connections.py                 # N=3000, about four minutes
    .venv/bin/python benchmarks/stress_connections.py --connections 500 --silent-wait 30

Prints a markdown table and writes benchmarks/results/stress_connections.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import http.client
import ipaddress
import os
import resource
import selectors
import socket
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import (  # after the path set-up, for `python benchmarks/stress_connections.py`
    MB,
    RESULTS,
    Exporter,
    fmt,
    host_info,
    markdown_table,
    reference_binary,
    reference_version,
    start_pyexporter,
    start_reference,
    write_json,
)

SCENARIOS = ("idle TLS", "idle plain", "silent on the TLS port")
OPENERS = 32  # client threads opening connections
REFUSED_WITHIN = 1.0  # seconds


@dataclass
class Row:
    exporter: str
    scenario: str
    attempted: int
    opened: int
    rss_before_mb: float
    rss_during_mb: float
    kib_per_connection: float | None
    rss_after_mb: float
    # silent connections only: seconds from connect to the server's close
    held_median_s: float | None = None
    held_max_s: float | None = None
    still_open: int | None = None


# ---------------------------------------------------------------------------------------------
# TLS material


def write_tls_config(directory: str) -> str:
    """A self-signed certificate for 127.0.0.1 and the web config naming it; returns its path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stress")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    config = os.path.join(directory, "web.yml")
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(f"tls_server_config:\n  cert_file: {cert_path}\n  key_file: {key_path}\n")
    return config


def client_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # a full handshake all the same; the certificate is our own
    return ctx


# ---------------------------------------------------------------------------------------------
# Connections


def open_idle(port: int, tls: ssl.SSLContext | None) -> http.client.HTTPConnection | None:
    """A keep-alive connection that has had one request answered; None when the server refused it."""
    conn: http.client.HTTPConnection
    if tls is not None:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=60, context=tls)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/", headers={"User-Agent": "stress-connections"})
        response = conn.getresponse()
        response.read()
        if response.status != 200 or response.will_close:
            raise ConnectionError(f"HTTP {response.status}")
    except (OSError, http.client.HTTPException):
        conn.close()
        return None
    return conn


def open_many(count: int, opener: Callable[[], Any]) -> list[Any]:
    with concurrent.futures.ThreadPoolExecutor(OPENERS) as pool:
        return list(pool.map(lambda _: opener(), range(count)))


def settle_rss(exporter: Exporter, seconds: float) -> int:
    time.sleep(seconds)
    return exporter.rss()


def measure_idle(exporter: Exporter, scenario: str, count: int, settle: float) -> Row:
    tls = client_context() if scenario == "idle TLS" else None
    # What the first connections load once (modules, caches) is not what each one costs.
    for conn in open_many(20, lambda: open_idle(exporter.port, tls)):
        if conn is not None:
            conn.close()
    before = settle_rss(exporter, 1.0)
    conns = open_many(count, lambda: open_idle(exporter.port, tls))
    opened = [c for c in conns if c is not None]
    during = settle_rss(exporter, 2.0)
    for conn in opened:
        conn.close()
    after = settle_rss(exporter, settle)
    return Row(exporter.name, scenario, count, len(opened), before / MB, during / MB,
               (during - before) / len(opened) / 1024 if opened else None, after / MB)


def measure_silent(exporter: Exporter, count: int, wait: float, settle: float) -> Row:
    """COUNT connections that send nothing, watched until the server closes them (or WAIT seconds).
    One closed within a second of connecting was refused (pyexporter's cap), not held."""
    before = settle_rss(exporter, 1.0)
    selector = selectors.DefaultSelector()
    opened_at: dict[socket.socket, float] = {}
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", exporter.port), timeout=10)
        except OSError:
            continue
        sock.setblocking(False)
        opened_at[sock] = time.monotonic()
        selector.register(sock, selectors.EVENT_READ, sock)
    up = time.monotonic()
    during: int | None = None
    held: list[float] = []
    while opened_at and time.monotonic() - up < wait:
        if during is None and time.monotonic() - up >= 2.0:
            during = exporter.rss()
        for key, _ in selector.select(timeout=0.1):
            ready: socket.socket = key.data
            try:
                if ready.recv(4096):
                    continue
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                pass
            held.append(time.monotonic() - opened_at.pop(ready))
            selector.unregister(ready)
            ready.close()
    if during is None:
        during = exporter.rss()
    still_open = len(opened_at)
    for sock in opened_at:
        selector.unregister(sock)
        sock.close()
    selector.close()
    after = settle_rss(exporter, settle)
    kept = [seconds for seconds in held if seconds >= REFUSED_WITHIN] + [wait] * still_open
    return Row(exporter.name, "silent on the TLS port", count, len(kept), before / MB, during / MB,
               (during - before) / len(kept) / 1024 if kept else None, after / MB,
               held_median_s=statistics.median(kept) if kept else None,
               held_max_s=max(kept) if kept else None, still_open=still_open)


# ---------------------------------------------------------------------------------------------


def raise_file_limit(needed: int) -> None:
    """Exporters started from here inherit it (node_exporter raises its own; Python does not)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        print(f"warning: the open-files limit ({target}) is below the {needed} this run needs", file=sys.stderr)


def start_retrying(start: Callable[[Sequence[str]], Exporter], extra: Sequence[str]) -> Exporter:
    """The free port picked for an exporter can be taken by another process before the exporter
    binds it, on a shared machine: one more try on a new port."""
    try:
        return start(extra)
    except RuntimeError as err:
        print(f"retrying: {err}", file=sys.stderr)
        return start(extra)


def run(args: argparse.Namespace, config: str) -> list[Row]:
    binary = None if args.no_reference else reference_binary()
    if binary is None and not args.no_reference:
        print("prometheus-node-exporter not found: pyexporter only", file=sys.stderr)
    variants: list[tuple[str, Callable[[Sequence[str]], Exporter]]] = [
        ("pyexporter --web.max-connections=0", lambda extra: start_pyexporter(["--web.max-connections=0", *extra])),
        ("pyexporter (default cap)", lambda extra: start_pyexporter(list(extra))),
    ]
    if binary is not None:
        variants.append((reference_version(binary).split(" (")[0], lambda extra: start_reference(binary, extra)))
    rows = []
    for scenario in SCENARIOS:
        for label, start in variants:
            extra = [] if scenario == "idle plain" else [f"--web.config.file={config}"]
            exporter = start_retrying(start, extra)
            exporter.name = label
            try:
                print(f"{label}: {scenario} x {args.connections}", file=sys.stderr)
                if scenario == "silent on the TLS port":
                    row = measure_silent(exporter, args.connections, args.silent_wait, args.settle)
                else:
                    row = measure_idle(exporter, scenario, args.connections, args.settle)
            finally:
                exporter.stop()
            rows.append(row)
    return rows


def table(rows: Sequence[Row], settle: float) -> str:
    def held(row: Row) -> str:
        if row.held_median_s is None:
            return ""
        text = f"median {row.held_median_s:.1f}, max {row.held_max_s:.1f}"
        return text + (f" ({row.still_open} still open)" if row.still_open else "")

    return markdown_table(
        ["scenario", "exporter", "kept open", "RSS before (MB)", "RSS with them (MB)", "per connection (KiB)",
         f"RSS {settle:g} s after close (MB)", "held by the server (s)"],
        [[r.scenario, r.exporter, f"{r.opened} of {r.attempted}", fmt(r.rss_before_mb, 1), fmt(r.rss_during_mb, 1),
          fmt(r.kib_per_connection, 1), fmt(r.rss_after_mb, 1), held(r)] for r in rows],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=3000, help="connections per scenario (default 3000)")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds after the connections close before RSS is read again (default 5)")
    parser.add_argument("--silent-wait", type=float, default=75.0,
                        help="how long to wait for the server to close silent connections (default 75 s, past "
                             "asyncio's 60 s TLS handshake timeout)")
    parser.add_argument("--no-reference", action="store_true", help="skip node_exporter")
    parser.add_argument("--name", default="stress_connections")
    parser.add_argument("--results", default=RESULTS, help="directory of the result file")
    args = parser.parse_args(argv)
    raise_file_limit(2 * args.connections + 256)
    with tempfile.TemporaryDirectory(prefix="pyexporter-stress-") as directory:
        rows = run(args, write_tls_config(directory))
    text = table(rows, args.settle)
    path = write_json(args.name, {
        "benchmark": "stress_connections",
        "host": host_info(),
        "connections": args.connections,
        "settle_s": args.settle,
        "silent_wait_s": args.silent_wait,
        "rows": [asdict(row) for row in rows],
    }, directory=args.results)
    print(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
