"""The aiohttp application: routes, landing page, request limits, negotiation and gzip.

It knows the exporter only through `render`, `select` and `enabled`; no collector is named here.
"""

from __future__ import annotations

import asyncio
import html
import logging

from aiohttp import web

from pyexporter import __version__
from pyexporter.exporter import Exporter
from pyexporter.exposition import compress
from pyexporter.scrape import FilterError

log = logging.getLogger("pyexporter.web")

EXPORTER = web.AppKey("exporter", Exporter)


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
        accept = request.headers.get("Accept", "")
        body, content_type = await asyncio.to_thread(exporter.render, names, accept)
        body, encoding = compress(body, request.headers.get("Accept-Encoding", ""))
        response = web.Response(body=body)
        # Set as a whole header: aiohttp's content_type setter would reorder the parameters.
        response.headers["Content-Type"] = content_type
        if encoding:
            response.headers["Content-Encoding"] = encoding
        code = 200
        return response
    except Exception:
        log.exception("error gathering metrics")
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


def create_app(exporter: Exporter) -> web.Application:
    app = web.Application()
    app[EXPORTER] = exporter
    app[LIMIT] = _Limit(exporter.settings.max_requests)
    app.router.add_get(exporter.settings.telemetry_path, metrics)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/", landing)
    return app
