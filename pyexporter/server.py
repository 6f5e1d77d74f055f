"""Running the exporter: one scrape to stdout (`--once`) or the HTTP(S) server until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence

from pyexporter.memory import keep_freed_heap, lean_aiohttp_import, limit_malloc_arenas, release_free_memory

with lean_aiohttp_import():  # whichever of our modules is imported first: see there
    from aiohttp import web
    from aiohttp.http_exceptions import HttpProcessingError

from pyexporter import __version__
from pyexporter.exporter import Exporter
from pyexporter.flags import FlagValueError
from pyexporter.listener import Connections, Listener
from pyexporter.logs import setup_logging
from pyexporter.settings import ConfigError, ListenAddress, Settings
from pyexporter.systemd import describe, listening_sockets
from pyexporter.web import ConnectionGuard, create_app
from pyexporter.webconfig.reload import WatchedConfig

log = logging.getLogger("pyexporter")

# After SIGTERM/SIGINT, in-flight scrapes answer by this deadline with what has finished by then;
# aiohttp's own wait for in-flight requests is the backstop.
SHUTDOWN_GRACE = 5.0
SHUTDOWN_TIMEOUT = 10.0

# aiohttp's own defaults, given explicitly so that they hold whatever its version: a longer request
# line or header line answers 400 and closes the connection.
MAX_LINE_SIZE = 8190
MAX_FIELD_SIZE = 8190


class _ClientErrors(logging.Filter):
    """aiohttp logs each malformed request (too long a line, bad syntax) as an error with a traceback.
    That is the client's doing and anyone can send it: log it at debug, so that it cannot flood."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], HttpProcessingError):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger("pyexporter").isEnabledFor(logging.DEBUG)
        return True


http_log = logging.getLogger("pyexporter.http")
http_log.addFilter(_ClientErrors())


def raise_open_files_limit() -> None:
    """The soft limit of open files raised to the hard one, as Go's runtime (1.19 on) raises it for
    node_exporter when it starts: process_max_fds then reports what node_exporter's does, and a
    host's devices get the attribute files kept open for them (toolkit.files.kept_limit) where
    the soft limit is the usual 1024. Where the raise is refused, as where Go's is, the limit stays."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (OSError, ValueError):
        pass


def run(settings: Settings) -> int:
    raise_open_files_limit()
    limit_malloc_arenas()
    keep_freed_heap()
    setup_logging(settings.log_level, settings.log_format)
    web_config = None
    sockets: list[socket.socket] | None = None
    try:
        if settings.systemd_socket and not settings.once:
            # Taken first, so that the LISTEN_* variables are gone before anything could start a child.
            sockets = listening_sockets()
        if settings.web_config_file:
            # Checked in full (certificates loaded, hashes parsed) before anything listens.
            web_config = WatchedConfig(settings.web_config_file)
        exporter = Exporter(settings)
    except (FlagValueError, ConfigError) as err:
        print(f"pyexporter: error: {err}", file=sys.stderr)
        return 2
    if settings.once:
        # Rendered as the first request to a server would be, self-metrics included.
        exporter.stats.started()
        body, _ = exporter.render()
        exporter.stats.finished(200)
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        _leave(exporter.close())
        return 0
    try:
        asyncio.run(serve(exporter, web_config, sockets))
    except OSError as err:
        # Typically the port is taken; one line, as for any other start-up problem.
        print(f"pyexporter: error: cannot listen: {err}", file=sys.stderr)
        return 2
    _leave(exporter.close())
    return 0


def _leave(abandoned: list[str]) -> None:
    """Exit at once, with status 0, when collectors are still stuck in their runs: a thread in a
    hung read cannot be stopped, and an interpreter exit would wait for one that a library made
    joinable (a ThreadPoolExecutor's) for ever."""
    if not abandoned:
        return
    log.warning("Exiting with collectors still running; their threads are abandoned",
                extra={"kv": {"collectors": ",".join(abandoned)}})
    for handler in logging.getLogger("pyexporter").handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@contextlib.asynccontextmanager
async def serving(
    exporter: Exporter,
    web_config: WatchedConfig | None = None,
    addresses: Sequence[ListenAddress] | None = None,
    sockets: Sequence[socket.socket] | None = None,
) -> AsyncIterator[web.AppRunner]:
    """Listen on SOCKETS (systemd's, already listening) when given, else on ADDRESSES (default:
    the settings'); on exit, let in-flight requests finish and close the listening sockets."""
    settings = exporter.settings
    guard = ConnectionGuard(settings.read_header_timeout, settings.idle_timeout)
    runner = web.AppRunner(
        create_app(exporter, web_config, guard),
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        keepalive_timeout=settings.idle_timeout,
        max_line_size=MAX_LINE_SIZE,
        max_field_size=MAX_FIELD_SIZE,
        logger=http_log,
    )
    await runner.setup()
    assert runner.server is not None
    # One cap and one view of every listener's connections (see listener.py).
    connections = Connections(runner.server, guard, settings.max_connections, MAX_LINE_SIZE)
    reaper: asyncio.Task[None] | None = None
    try:
        ssl_context = web_config.server_context() if web_config is not None and web_config.tls_enabled else None
        sites: list[tuple[Listener, str]] = []
        if sockets is not None:
            log.info("Listening on systemd activated listeners instead of port listeners.")
            sites = [(Listener.on_socket(runner, connections, sock, ssl_context=ssl_context), describe(sock))
                     for sock in sockets]
        else:
            for address in addresses if addresses is not None else settings.listen_addresses:
                site = Listener(runner, connections, address.host, address.port, ssl_context=ssl_context)
                sites.append((site, str(address)))
        for site, shown in sites:
            await site.start()
            log.info("Listening on", extra={"kv": {"address": shown}})
            log.info("TLS is enabled." if ssl_context else "TLS is disabled.",
                     extra={"kv": {"http2": False, "address": shown}})
        reaper = asyncio.create_task(guard.run(connections.guarded))
        yield runner
    finally:
        if reaper is not None:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
        await runner.cleanup()


def _settle() -> None:
    """After start-up, move everything allocated so far (modules, collectors) out of the garbage
    collector's sight: otherwise every full collection walks it all again, a pause that showed
    up in the scrape latency's tail."""
    gc.collect()
    gc.freeze()
    release_free_memory()


async def serve(exporter: Exporter, web_config: WatchedConfig | None = None,
                sockets: Sequence[socket.socket] | None = None) -> None:
    log.info("Starting pyexporter", extra={"kv": {"version": __version__}})
    log.info("Enabled collectors", extra={"kv": {"collectors": ",".join(exporter.enabled)}})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with serving(exporter, web_config, sockets=sockets):
        _settle()
        await stop.wait()
        log.info("Shutting down, waiting for in-flight scrapes", extra={"kv": {"at_most_seconds": SHUTDOWN_GRACE}})
        exporter.scraper.hasten(time.monotonic() + SHUTDOWN_GRACE)
