"""The demo API the sidecar watches: a small aiohttp service with a cheap and a CPU-bound endpoint.

    python app.py [--host 0.0.0.0] [--port 8888]

GET /helloWorld      -> {"message": "Hello World!"}
GET /work?ms=20      -> burns about MS milliseconds of CPU, then {"ms": ..., "iterations": ...}
GET /healthz         -> ok
"""

from __future__ import annotations

import argparse
import hashlib
import time

from aiohttp import web

# A single request may not hold a worker for longer than this.
MAX_WORK_MS = 1000


async def hello_world(request: web.Request) -> web.Response:
    return web.json_response({"message": "Hello World!"})


def burn(ms: float) -> int:
    """Hash in a loop until MS milliseconds of CPU time have passed; the iterations done."""
    deadline = time.process_time() + ms / 1000
    digest, iterations = b"pyexporter", 0
    while time.process_time() < deadline:
        for _ in range(200):
            digest = hashlib.sha256(digest).digest()
        iterations += 200
    return iterations


async def work(request: web.Request) -> web.Response:
    try:
        ms = float(request.query.get("ms", "20"))
    except ValueError:
        raise web.HTTPBadRequest(text="ms must be a number\n") from None
    ms = min(max(ms, 0.0), MAX_WORK_MS)
    # On the event loop on purpose: the demo's point is a process whose CPU rises with load.
    iterations = burn(ms)
    return web.json_response({"ms": ms, "iterations": iterations})


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/helloWorld", hello_world)
    app.router.add_get("/work", work)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="pyexporter demo API")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args()
    web.run_app(create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
