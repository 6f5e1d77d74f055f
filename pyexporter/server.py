"""Running the exporter: one scrape to stdout (`--once`) or the HTTP server until a signal."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web

from pyexporter import __version__
from pyexporter.collectors import FlagValueError
from pyexporter.exporter import Exporter
from pyexporter.logs import setup_logging
from pyexporter.settings import Settings
from pyexporter.web import create_app

log = logging.getLogger("pyexporter")

# In-flight scrapes get this long to finish after SIGTERM/SIGINT.
SHUTDOWN_TIMEOUT = 10.0


def run(settings: Settings) -> int:
    setup_logging(settings.log_level, settings.log_format)
    try:
        exporter = Exporter(settings)
    except FlagValueError as err:
        print(f"pyexporter: error: {err}", file=sys.stderr)
        return 2
    if settings.once:
        # Rendered as the first request to a server would be, self-metrics included.
        exporter.stats.started()
        body, _ = exporter.render()
        exporter.stats.finished(200)
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return 0
    try:
        asyncio.run(serve(exporter))
    except OSError as err:
        # Typically the port is taken; one line, as for any other start-up problem.
        print(f"pyexporter: error: cannot listen: {err}", file=sys.stderr)
        return 2
    return 0


async def serve(exporter: Exporter) -> None:
    settings = exporter.settings
    log.info("Starting pyexporter", extra={"kv": {"version": __version__}})
    log.info("Enabled collectors", extra={"kv": {"collectors": ",".join(exporter.enabled)}})
    runner = web.AppRunner(create_app(exporter), handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        for address in settings.listen_addresses:
            site = web.TCPSite(runner, address.host, address.port, reuse_address=True)
            await site.start()
            log.info("Listening on", extra={"kv": {"address": str(address)}})
        await stop.wait()
        log.info("Shutting down, waiting for in-flight scrapes")
    finally:
        await runner.cleanup()
