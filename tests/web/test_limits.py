"""Limits on the real server: parallel scrapes, request sizes, slow and idle clients, unknown paths,
and a graceful stop under load.

Slow scrapes are real ones: tests.slow_exporter is pyexporter with a collector that holds each
scrape until the test opens its gate.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable

import pytest
from prometheus_client.core import GaugeMetricFamily, Metric

from pyexporter.collectors import REGISTRY, CollectorSpec, load_all
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector
from tests.e2e.conftest import Gate, gate, run_pyexporter  # noqa: F401 - the fixtures, shared with tests/e2e
from tests.web.test_security import fetch, running


class Scrape(threading.Thread):
    """GET /metrics in the background; `status` is the answer's code."""

    def __init__(self, url: str, done: threading.Semaphore) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.done = done
        self.status: int | None = None
        self.body = ""

    def run(self) -> None:
        try:
            with urllib.request.urlopen(self.url, timeout=60) as resp:
                self.status, self.body = resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            self.status, self.body = err.code, err.read().decode()
        finally:
            self.done.release()


def start_scrapes(url: str, count: int, done: threading.Semaphore) -> list[Scrape]:
    """COUNT scrapes in the background; each releases DONE when answered."""
    scrapes = [Scrape(url, done) for _ in range(count)]
    for scrape in scrapes:
        scrape.start()
    return scrapes


def test_max_requests_answers_503_beyond_the_limit(run_pyexporter, gate: Gate) -> None:  # noqa: F811
    base, _ = run_pyexporter("--web.max-requests=2", *gate.args(), module="tests.slow_exporter")
    done = threading.Semaphore(0)
    first = start_scrapes(f"{base}/metrics", 1, done)
    gate.hold()  # one scrape is in flight and stays there
    # Two more: one takes the second slot, the other finds none and is answered at once.
    more = start_scrapes(f"{base}/metrics", 2, done)
    assert done.acquire(timeout=60)
    finished = [s for s in first + more if s.status is not None]
    assert [s.status for s in finished] == [503]
    assert "Limit of concurrent requests reached (2)" in finished[0].body
    gate.release()
    for scrape in first + more:
        scrape.join(timeout=60)
    assert sorted(s.status for s in first + more) == [200, 200, 503]
    assert all("slow_metric 42" in s.body for s in first + more if s.status == 200)
    with urllib.request.urlopen(f"{base}/metrics", timeout=60) as resp:
        body = resp.read().decode()
    assert 'promhttp_metric_handler_requests_total{code="503"} 1.0' in body


def test_sigterm_under_load_finishes_every_in_flight_scrape(run_pyexporter, gate: Gate) -> None:  # noqa: F811
    base, proc = run_pyexporter("--web.max-requests=3", *gate.args(), module="tests.slow_exporter")
    done = threading.Semaphore(0)
    first = start_scrapes(f"{base}/metrics", 1, done)
    gate.hold()
    # Three more against three slots: the one answered 503 proves the other three are in flight.
    more = start_scrapes(f"{base}/metrics", 3, done)
    assert done.acquire(timeout=60)
    assert [s.status for s in first + more if s.status is not None] == [503]
    proc.send_signal(signal.SIGTERM)
    gate.release()
    for scrape in first + more:
        scrape.join(timeout=60)
    assert sorted(s.status for s in first + more) == [200, 200, 200, 503]
    assert proc.wait(timeout=30) == 0
    _, err = proc.communicate()
    assert "Shutting down, waiting for in-flight scrapes" in err


async def raw_status(address: str, request: bytes) -> bytes:
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await reader.readline()
    finally:
        writer.close()


async def test_oversized_request_line_and_headers_are_4xx() -> None:
    async with running() as address:
        too_long_line = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        too_long_header = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
        too_many_headers = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-%d: a\r\n" % i for i in range(200)) + b"\r\n"
        for request in (too_long_line, too_long_header, too_many_headers):
            status = await raw_status(address, request)
            assert status.split()[1].startswith(b"4"), status
        # The server is still fine for everyone else.
        assert (await fetch(f"http://{address}/metrics"))[0] == 200


async def read_until_closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None = None,
                            trickle: bytes = b"") -> bool:
    """Read (and send TRICKLE every 0.1 s, as slowloris does) until the server closes; bounded to 60 s."""
    for _ in range(600):
        try:
            data = await asyncio.wait_for(reader.read(65536), 0.1)
        except TimeoutError:
            if writer is not None and trickle:
                writer.write(trickle)
            continue
        except ConnectionError:
            return True
        if not data:
            return True
    return False


async def test_half_sent_and_silent_connections_are_closed_while_others_are_served() -> None:
    async with running(read_header_timeout=0.5) as address:
        host, port = address.rsplit(":", 1)
        silent = await asyncio.open_connection(host, int(port))
        slow = await asyncio.open_connection(host, int(port))
        slow[1].write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        # Both are open and stuck; others are served meanwhile.
        for _ in range(3):
            assert (await fetch(f"http://{address}/metrics"))[0] == 200
        closed = await asyncio.gather(read_until_closed(silent[0]),
                                      read_until_closed(slow[0], slow[1], trickle=b"X-Slow: 1\r\n"))
        assert closed == [True, True]
        for _, writer in (silent, slow):
            writer.close()


async def test_idle_keep_alive_connection_is_closed() -> None:
    async with running(idle_timeout=0.5) as address:
        host, port = address.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        assert await read_until_closed(reader)
        writer.close()


class _HeldCollector(Collector[NoOptions]):
    """Holds its scrape until `release` is set; registered for one test only."""

    entered = threading.Event()
    release = threading.Event()

    def collect(self) -> Iterable[Metric]:
        self.entered.set()
        self.release.wait(60)
        yield GaugeMetricFamily("slow_metric", "Held until the test releases it.", value=42)


async def test_slow_scrape_is_not_cut_by_the_deadlines(monkeypatch) -> None:
    load_all()
    monkeypatch.setitem(REGISTRY, "test_held", CollectorSpec("test_held", False, _HeldCollector, NoOptions))
    async with running(read_header_timeout=0.2, idle_timeout=0.2, enabled_collectors=("test_held",)) as address:
        scrape = asyncio.create_task(fetch(f"http://{address}/metrics"))
        await asyncio.to_thread(_HeldCollector.entered.wait, 60)
        await asyncio.sleep(1.5)  # several reaper rounds past both deadlines
        _HeldCollector.release.set()
        status, _, body = await scrape
        assert status == 200
        assert "slow_metric 42" in body


@pytest.mark.parametrize("path", [
    "/metricsx", "/metrics/", "/metrics/x", "//metrics", "/./metrics", "/../metrics", "/%2e%2e/metrics", "/-/",
    "/-/healthyx", "/-/reload", "/favicon.ico", "/debug/pprof/", "/index.html", "/%00",
])
async def test_unknown_paths_are_404(path: str) -> None:
    async with running() as address:
        status = await raw_status(address, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert status.startswith(b"HTTP/1.1 404"), status


async def test_other_methods_are_405() -> None:
    async with running() as address:
        for method in ("POST", "PUT", "DELETE"):
            status = await raw_status(address, f"{method} /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                                      .encode())
            assert status.startswith(b"HTTP/1.1 405"), (method, status)


def test_timeout_flags_reach_the_server(run_pyexporter) -> None:  # noqa: F811
    base, _ = run_pyexporter("--web.read-header-timeout=300ms", "--web.idle-timeout=10m",
                             "--collector.disable-defaults", "--collector.loadavg")
    host, port = base.removeprefix("http://").rsplit(":", 1)

    async def check() -> bool:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /metrics HTTP/1.1\r\n")
        try:
            return await read_until_closed(reader)
        finally:
            writer.close()

    assert asyncio.run(check())


def test_bad_timeout_flag_exits_2() -> None:
    from tests.e2e.conftest import pyexporter_cmd

    proc = subprocess.run(pyexporter_cmd("--web.read-header-timeout=soon"), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "--web.read-header-timeout: invalid duration 'soon'" in proc.stderr
