"""The demo API the sidecar watches: a small aiohttp service with a cheap and a CPU-bound endpoint.

    python app.py [--host 0.0.0.0] [--port 8888]

GET /helloWorld      -> {"message": "Hello World!"}
GET /work?ms=20      -> burns about MS milliseconds of CPU, then {"ms": ..., "iterations": ...}
GET /alloc?mb=64     -> a child process allocates and touches MB MiB, holds them MS milliseconds
                        (&ms=, default 0), and exits; then {"mb": ..., "ms": ..., "killed": ...}
GET /healthz         -> ok

/alloc is for memory limits: past the container's limit (compose.yml gives the server 256 MiB and
no swap), the kernel's OOM killer kills the child, which asks to be its first choice
(oom_score_adj 1000), and the answer says "killed": true. The API itself stays up, and the
container's cgroup counts the OOM kill (memory.oom_control's oom_kill on cgroup v1,
memory.events' oom_kill on v2), which the sidecar reports as container_oom_events_total. The child
is `python app.py --alloc-child MB --hold-ms MS`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import signal
import sys
import time

from aiohttp import web

# A single request may not hold a worker for longer than this.
MAX_WORK_MS = 1000
# /alloc's bounds: enough to pass any demo limit, not enough to trouble a host without one.
MAX_ALLOC_MB = 1024
MAX_HOLD_MS = 10_000
MIB = 1 << 20
PAGE = 4096


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


def number(request: web.Request, name: str, default: float, high: float) -> float:
    """The query parameter NAME (DEFAULT when absent) clamped to [0, HIGH]; 400 if not a number."""
    try:
        value = float(request.query.get(name, str(default)))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be a number\n") from None
    return min(max(value, 0.0), high) if value == value else 0.0  # NaN counts as nothing to do


async def work(request: web.Request) -> web.Response:
    ms = number(request, "ms", 20, MAX_WORK_MS)
    # On the event loop on purpose: the demo's point is a process whose CPU rises with load.
    iterations = burn(ms)
    return web.json_response({"ms": ms, "iterations": iterations})


async def alloc(request: web.Request) -> web.Response:
    mb = int(number(request, "mb", 64, MAX_ALLOC_MB))
    ms = number(request, "ms", 0, MAX_HOLD_MS)
    # In a child process, so that an OOM kill takes the child and never the API.
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--alloc-child", str(mb), "--hold-ms", str(ms),
        stdin=asyncio.subprocess.DEVNULL)
    status = await child.wait()
    if status not in (0, -signal.SIGKILL):
        raise web.HTTPInternalServerError(text=f"the allocating child exited with status {status}\n")
    return web.json_response({"mb": mb, "ms": ms, "killed": status == -signal.SIGKILL})


def alloc_child(mb: int, hold_ms: float) -> None:
    """Allocate MB MiB and write to every page, so that all of it is resident; hold it HOLD_MS ms."""
    try:
        # Raising one's own score needs no privilege: the OOM killer picks this process first.
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass
    chunks = []
    for _ in range(mb):
        chunk = bytearray(MIB)
        for offset in range(0, MIB, PAGE):
            chunk[offset] = 1
        chunks.append(chunk)
    time.sleep(hold_ms / 1000)


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/helloWorld", hello_world)
    app.router.add_get("/work", work)
    app.router.add_get("/alloc", alloc)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="pyexporter demo API")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8888)
    # /alloc's child process (see the module's docstring).
    parser.add_argument("--alloc-child", type=int, metavar="MB", help=argparse.SUPPRESS)
    parser.add_argument("--hold-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alloc_child is not None:
        alloc_child(args.alloc_child, args.hold_ms)
        return
    web.run_app(create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
