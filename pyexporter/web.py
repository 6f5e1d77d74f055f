"""The aiohttp application: routes, landing page, auth, request limits, negotiation and gzip.

It knows the exporter only through `render`, `select` and `enabled`; no collector is named here.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from pyexporter.memory import lean_aiohttp_import

with lean_aiohttp_import():  # whichever of our modules is imported first: see there
    from aiohttp import web

from pyexporter import __version__
from pyexporter.exporter import Exporter
from pyexporter.scrape import FilterError
from pyexporter.webconfig.auth import BasicAuth
from pyexporter.webconfig.config import RateLimit
from pyexporter.webconfig.ratelimit import TokenBucket
from pyexporter.webconfig.reload import WatchedConfig
from pyexporter.webconfig.tls import allowed_san

log = logging.getLogger("pyexporter.web")

EXPORTER = web.AppKey("exporter", Exporter)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Limit:
    """`--web.max-requests`: requests beyond the limit answer 503 at once, as promhttp does."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.current = 0

    def acquire(self) -> bool:
        if self.maximum and self.current >= self.maximum:
            return False
        self.current += 1
        return True

    def release(self) -> None:
        self.current -= 1


LIMIT = web.AppKey("limit", _Limit)


async def metrics(request: web.Request) -> web.StreamResponse:
    exporter = request.app[EXPORTER]
    limit = request.app[LIMIT]
    stats = exporter.stats
    if not limit.acquire():
        stats.started()
        stats.finished(503)
        return web.Response(
            status=503,
            text=f"Limit of concurrent requests reached ({limit.maximum}), try again later.\n",
        )
    stats.started()
    code = 500
    try:
        query = request.query
        try:
            names = exporter.select(query.getall("collect[]", []), query.getall("exclude[]", []))
        except FilterError as err:
            code = 400
            return web.Response(
                status=400, text=f"Couldn't create filtered metrics handler: {err}\n"
            )
        headers = request.headers
        deadline = exporter.deadline(headers.get("X-Prometheus-Scrape-Timeout-Seconds"))
        body, content_type, encoding = await exporter.render_async(
            names, headers.get("Accept", ""), headers.get("Accept-Encoding", ""), deadline
        )
        response = web.Response(body=body)
        # Set as a whole header: aiohttp's content_type setter would reorder the parameters.
        response.headers["Content-Type"] = content_type
        if encoding:
            response.headers["Content-Encoding"] = encoding
        code = 200
        return response
    except Exception as err:
        log.exception("error gathering metrics", extra={"kv": {"err": str(err)}})
        return web.Response(status=500, text="An error has occurred while serving metrics.\n")
    finally:
        limit.release()
        stats.finished(code)


async def landing(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER]
    path = html.escape(exporter.settings.telemetry_path)
    collectors = "".join(f"<li>{html.escape(name)}</li>" for name in exporter.enabled)
    page = f"""<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>pyexporter</title></head>
<body>
<h1>pyexporter</h1>
<p>Prometheus node_exporter compatible exporter, version {html.escape(__version__)}</p>
<p><a href="{path}">Metrics</a></p>
<h2>Enabled collectors</h2>
<ul>{collectors}</ul>
</body>
</html>
"""
    return web.Response(text=page, content_type="text/html")


async def healthy(request: web.Request) -> web.Response:
    return web.Response(text="Healthy\n")


class Closable(Protocol):
    """What the ConnectionGuard watches and closes: one open connection."""

    def force_close(self) -> None: ...


class ConnectionGuard:
    """Deadlines for connections that are not being served: slowloris and idle keep-alive.

    A connection must deliver a whole request head within `header_timeout` of being accepted (TLS
    handshake included), and the next one within `idle_timeout` of the previous response;
    otherwise it is closed. A request being handled (a slow scrape) is never cut. The listener
    (listener.py) says when a connection was accepted (`watch`), the middleware marks requests in
    and out; `reap`, run about once a second over the open connections, closes the late ones. A
    connection not announced by `watch` is given its header deadline when `reap` first sees it.
    This does not rely on aiohttp's keepalive_timeout, which older aiohttp releases only start
    after a first response, so a silent or trickling new connection was never closed.
    """

    def __init__(self, header_timeout: float, idle_timeout: float) -> None:
        self.header_timeout = header_timeout
        self.idle_timeout = idle_timeout
        # connection -> [requests in progress, deadline]
        self._state: dict[Closable, list[float]] = {}

    def watch(self, connection: Closable, accepted_at: float) -> None:
        """CONNECTION was accepted at ACCEPTED_AT (the loop's clock): its header clock runs from then."""
        self._state[connection] = [0, accepted_at + self.header_timeout]

    def begin(self, connection: Closable) -> None:
        state = self._state.setdefault(connection, [0, 0.0])
        state[0] += 1

    def end(self, connection: Closable) -> None:
        state = self._state.setdefault(connection, [1, 0.0])
        state[0] -= 1
        state[1] = asyncio.get_running_loop().time() + self.idle_timeout

    def reap(self, connections: Iterable[Closable]) -> int:
        """Close the connections past their deadline; returns how many."""
        now = asyncio.get_running_loop().time()
        live = set(connections)
        for gone in self._state.keys() - live:
            del self._state[gone]
        closed = 0
        for connection in live:
            state = self._state.get(connection)
            if state is None:
                self._state[connection] = [0, now + self.header_timeout]
            elif state[0] <= 0 and now >= state[1]:
                connection.force_close()
                del self._state[connection]
                closed += 1
        return closed

    async def run(self, connections: Callable[[], Iterable[Closable]]) -> None:
        interval = min(1.0, self.header_timeout / 4, self.idle_timeout / 4)
        while True:
            await asyncio.sleep(interval)
            closed = self.reap(connections())
            if closed:
                log.debug("Closed connections past their header or idle deadline", extra={"kv": {"count": closed}})


GUARD = web.AppKey("guard", ConnectionGuard)
WEB_CONFIG = web.AppKey("web_config", WatchedConfig)
AUTH = web.AppKey("auth", BasicAuth)


@web.middleware
async def _http1_tracked(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Every request, in one middleware (each one more costs every request a coroutine and a frame):

    - Go's net/http speaks HTTP/1.x only: a request line without a version (which aiohttp takes for
      HTTP/0.9) answers 400, a version 2 or above 505. The listener answers a connection's first
      request line without a version as soon as it arrives; this answers any later one, which
      aiohttp passes on once a blank line follows it.
    - The ConnectionGuard is told the request is in progress, so that its connection is not cut.
    """
    major = request.version.major
    if major != 1:
        if major == 0:
            response = web.Response(status=400, text="400 Bad Request")
        else:
            response = web.Response(status=505, text="505 HTTP Version Not Supported: unsupported protocol version")
        response.force_close()
        return response
    guard = request.app[GUARD]
    connection = request.protocol
    guard.begin(connection)
    try:
        return await handler(request)
    finally:
        guard.end(connection)


class _Buckets:
    """The rate_limit token bucket, renewed when the file changes its settings."""

    def __init__(self) -> None:
        self.bucket: TokenBucket | None = None

    def allow(self, limit: RateLimit | None) -> bool:
        if limit is None:
            self.bucket = None
            return True
        if self.bucket is None or self.bucket.limit != limit:
            self.bucket = TokenBucket(limit)
        return self.bucket.allow()


BUCKETS = web.AppKey("buckets", _Buckets)


@web.middleware
async def _secure(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """exporter-toolkit's webHandler, in its order: configuration, rate limit, client SANs, basic auth."""
    config = request.app[WEB_CONFIG].current()
    if config is None:
        return web.Response(status=500, text="Internal Server Error\n")
    if not request.app[BUCKETS].allow(config.rate_limit):
        return web.Response(status=429, text="Too Many Requests\n")
    sans = config.tls.client_allowed_sans
    if sans is not None and request.transport is not None:
        # Go rejects such a certificate in the handshake; here the verified peer is checked per request.
        if not allowed_san(request.transport.get_extra_info("peercert"), sans):
            return web.Response(status=403, text="Forbidden: client certificate SAN not allowed\n")
    if config.users and not await request.app[AUTH].verify(config.users, request.headers.get("Authorization")):
        return web.Response(status=401, text="Unauthorized\n", headers={"WWW-Authenticate": "Basic"})
    return await handler(request)


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    # Every response, 401 and 404 included, as exporter-toolkit sets them before anything else.
    config = request.app[WEB_CONFIG].cached
    if config is not None:
        for name, value in config.headers.items():
            response.headers[name] = value


async def _close_auth(app: web.Application) -> None:
    app[AUTH].close()


def create_app(
    exporter: Exporter, web_config: WatchedConfig | None = None, guard: ConnectionGuard | None = None
) -> web.Application:
    settings = exporter.settings
    guard = guard or ConnectionGuard(settings.read_header_timeout, settings.idle_timeout)
    middlewares = [_http1_tracked]
    if web_config is not None:
        middlewares.append(_secure)
    app = web.Application(middlewares=middlewares)
    app[GUARD] = guard
    if web_config is not None:
        app[WEB_CONFIG] = web_config
        app[AUTH] = BasicAuth()
        app[BUCKETS] = _Buckets()
        app.on_response_prepare.append(_add_headers)
        app.on_cleanup.append(_close_auth)
    app[EXPORTER] = exporter
    app[LIMIT] = _Limit(settings.max_requests)
    app.router.add_get(exporter.settings.telemetry_path, metrics)
    app.router.add_get("/-/healthy", healthy)
    if exporter.settings.telemetry_path != "/":
        # node_exporter serves its landing page at / unless the metrics are there (since 1.6).
        app.router.add_get("/", landing)
    return app
