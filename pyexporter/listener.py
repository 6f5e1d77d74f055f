"""Accepting connections: the listeners (plain and TLS), the cap on open connections, and everything
that happens to a connection before aiohttp's request handler is given it.

Why not aiohttp's TCPSite, that is loop.create_server(..., ssl=context): asyncio's TLS layer
- runs the handshake under its own deadline (60 s by default), outside --web.read-header-timeout,
  so connections that never start a handshake were held a minute whatever the flag said;
- gives every connection a 256 KiB read buffer (SSLProtocol.max_size) for the connection's whole
  life, which glibc then keeps as the process's own once the connection has closed;
- exists before anything could count the connection against a cap, or notice plain HTTP sent to
  the TLS port (Go answers that with a 400).

So every accepted socket gets one `_Connection`, the socket transport's protocol until it closes.
It reads into one buffer shared by all connections: the event loop runs one callback at a time and
each callback has copied or consumed the bytes before it returns. On a TLS listener it does TLS
itself, with ssl.SSLObject over memory BIOs (`_TLSTransport`), and it hands the connection to
aiohttp's RequestHandler once a first request line has arrived, since an HTTP/0.9 line (no version)
is one that aiohttp would accept and Go refuses.

Concurrency: everything here runs on the event loop's thread, as protocol callbacks; there is no
task per connection. The deadlines are the ConnectionGuard's (web.py), whose one reaper task looks
at every open connection: from accept under the connection's own name, then, from the hand-over on,
under aiohttp's handler, which the request middleware reports on.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import math
import socket
import ssl

from pyexporter.memory import lean_aiohttp_import, release_free_memory

with lean_aiohttp_import():  # whichever of our modules is imported first: see there
    from aiohttp import web

from pyexporter.systemd import describe
from pyexporter.web import Closable, ConnectionGuard

log = logging.getLogger("pyexporter.listener")

# What listen(2) is asked for; the kernel caps it at net.core.somaxconn, which is what Go's
# net.Listen asks for, so that a burst of connections waits in the accept queue, not in SYN retries.
LISTEN_BACKLOG = 65535

# Every connection reads into this one buffer (see the module's docstring).
_READ_BUFFER = memoryview(bytearray(64 * 1024))

# Plaintext is taken out of the TLS layer a record at a time (at most 16 KiB each).
_TLS_RECORD_SIZE = 16 * 1024

# Go's net/http: the first bytes of a TLS connection that look like an HTTP request
# (tlsRecordHeaderLooksLikeHTTP) get this answer; a request line it cannot parse gets the other.
_TLS_HANDSHAKE_RECORD = 0x16
_TLS_RECORD_HEADER_SIZE = 5
_HTTP_LOOKING_RECORD_HEADERS = (b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO")
HTTP_TO_HTTPS_ANSWER = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
MALFORMED_REQUEST_ANSWER = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
    b"400 Bad Request"
)

# Connections closed at the cap are logged at most once per this many seconds, with how many were
# closed since the previous such line.
REFUSED_LOG_INTERVAL = 10.0

# Once this many connections have closed since the most open, and none has closed for a second (a
# flood ending closes a great many at once, and aiohttp finishes each one's task after the close),
# free memory is handed back to the kernel: glibc keeps it otherwise, and a flood of connections
# would leave the process at its high-water mark for good. Steady churn never gets this far.
RELEASE_AFTER_CLOSED = 64
RELEASE_DELAY = 1.0


class Connections:
    """Every open connection of every listener: the cap on their number (one for the whole process,
    as the memory and file descriptors it protects are), what the guard watches, and handing
    memory back after many have closed.

    Beyond the cap a new connection is closed as soon as it is accepted, rather than left in the
    kernel's accept queue: its client learns at once instead of at its own timeout, the queue does
    not fill with connections that a flood left there, and asyncio has no public way to stop
    accepting for a while.
    """

    def __init__(self, server: web.Server, guard: ConnectionGuard, limit: int, max_line_size: int) -> None:
        self.server = server
        self.guard = guard
        self.limit = limit
        self.max_line_size = max_line_size
        self._loop = asyncio.get_running_loop()
        self._open: set[_Connection] = set()
        self._most_open = 0
        self._refused = 0
        self._refused_logged_at = -math.inf
        self._release: asyncio.TimerHandle | None = None
        self._last_closed_at = 0.0

    def guarded(self) -> list[Closable]:
        """What the guard's reaper looks at: one name per open connection."""
        return [connection.guarded for connection in self._open]

    def admit(self, connection: _Connection) -> bool:
        if self.limit and len(self._open) >= self.limit:
            self._refuse()
            return False
        connection.accepted_at = self._loop.time()
        self._open.add(connection)
        self._most_open = max(self._most_open, len(self._open))
        self.guard.watch(connection, connection.accepted_at)
        return True

    def discard(self, connection: _Connection) -> None:
        self._open.discard(connection)
        self._last_closed_at = self._loop.time()
        if self._release is None and self._most_open - len(self._open) >= RELEASE_AFTER_CLOSED:
            self._release = self._loop.call_at(self._last_closed_at + RELEASE_DELAY, self._release_memory)

    def close_pending(self, listener: Listener) -> None:
        """Close LISTENER's connections that aiohttp does not have yet (aiohttp drains its own)."""
        for connection in list(self._open):
            if connection.listener is listener and connection.pending:
                connection.force_close()

    def _refuse(self) -> None:
        self._refused += 1
        now = self._loop.time()
        if now - self._refused_logged_at >= REFUSED_LOG_INTERVAL:
            log.warning("Too many open connections, closing new ones as they come",
                        extra={"kv": {"max_connections": self.limit, "closed": self._refused}})
            self._refused, self._refused_logged_at = 0, now

    def _release_memory(self) -> None:
        quiet_from = self._last_closed_at + RELEASE_DELAY
        if self._loop.time() < quiet_from:
            self._release = self._loop.call_at(quiet_from, self._release_memory)
            return
        self._release = None
        self._most_open = len(self._open)
        # asyncio's socket transport refers to itself (through a bound method it keeps), so a closed
        # one waits for the cyclic collector; an idle server may not run a full collection for long.
        gc.collect()
        release_free_memory()


class _Connection(asyncio.BufferedProtocol):
    """One accepted socket, from accept to close: its transport's protocol throughout.

    Bytes go first to the TLS layer (TLS listeners: once the first byte says it is TLS), then, as
    plaintext, to the first-request-line check, then to aiohttp's handler for good.
    """

    __slots__ = ("_handler", "_head", "_raw", "_tls", "_tls_context", "accepted_at", "connections", "listener")

    def __init__(self, connections: Connections, listener: Listener, tls_context: ssl.SSLContext | None) -> None:
        self.connections = connections
        self.listener = listener
        self._tls_context = tls_context
        self.accepted_at = 0.0
        self._raw: asyncio.Transport | None = None
        self._tls: _TLSTransport | None = None
        self._handler: web.RequestHandler | None = None
        self._head = b""  # held back until it is known where it goes

    @property
    def pending(self) -> bool:
        return self._handler is None

    @property
    def guarded(self) -> Closable:
        # The request middleware reports requests under the handler's name.
        return self._handler if self._handler is not None else self

    def force_close(self) -> None:
        if self._handler is not None:
            self._handler.force_close()
        elif self._raw is not None:
            self._raw.close()

    # ---- the socket's side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._raw = transport
        if not self.connections.admit(self):
            transport.abort()

    def get_buffer(self, sizehint: int) -> memoryview:
        return _READ_BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        data = _READ_BUFFER[:nbytes]
        if self._tls is not None:
            self._decrypt(data)
        elif self._tls_context is not None:
            self._tell_tls(data)
        else:
            self._plaintext(data)

    def eof_received(self) -> bool | None:
        if self._handler is not None:
            self._handler.eof_received()
        return None  # the transport closes, as on every connection aiohttp has

    def pause_writing(self) -> None:
        if self._handler is not None:
            self._handler.pause_writing()

    def resume_writing(self) -> None:
        if self._handler is not None:
            self._handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        handler, self._handler, self._tls = self._handler, None, None
        if handler is not None:
            handler.connection_lost(exc)

    # ---- the stages

    def _tell_tls(self, data: memoryview) -> None:
        """A TLS listener's first bytes: a TLS handshake record, plain HTTP, or neither."""
        head = self._head + data
        if head[0] == _TLS_HANDSHAKE_RECORD:
            self._head = b""
            assert self._raw is not None and self._tls_context is not None
            self._tls = _TLSTransport(self._raw, self._tls_context)
            self._decrypt(head)
        elif len(head) < _TLS_RECORD_HEADER_SIZE:
            self._head = head
        elif head[:_TLS_RECORD_HEADER_SIZE] in _HTTP_LOOKING_RECORD_HEADERS:
            self._answer(HTTP_TO_HTTPS_ANSWER)
        else:
            self.force_close()

    def _decrypt(self, data: bytes | memoryview) -> None:
        assert self._tls is not None
        try:
            plaintext, closed = self._tls.receive(data)
        except ssl.SSLError as err:
            # A failed handshake or a corrupt record; the TLS alert, if any, is on its way. Anyone can
            # cause this, so it is not worth more than a debug line (Go logs each to stderr).
            log.debug("TLS error", extra={"kv": {"err": str(err), "remote": self._tls.get_extra_info("peername")}})
            self._tls.close()
            return
        if plaintext:
            self._plaintext(plaintext)
        if closed:  # close_notify: the end of the stream, as a plain connection's EOF
            self.eof_received()
            self._tls.close()

    def _plaintext(self, data: bytes | memoryview) -> None:
        if self._handler is not None:
            self._handler.data_received(bytes(data))
            return
        head = self._head + data
        line_end = head.find(b"\n")
        if line_end < 0 and len(head) <= self.connections.max_line_size:
            self._head = head
            return
        self._head = b""
        if line_end >= 0 and head[:line_end].count(b" ") < 2:
            # "GET /metrics" with no version: HTTP/0.9, which aiohttp would serve after waiting for
            # headers that such a client never sends. A longer line than aiohttp allows is
            # aiohttp's to refuse.
            self._answer(MALFORMED_REQUEST_ANSWER)
            return
        self._hand_over(head)

    def _hand_over(self, head: bytes) -> None:
        transport = self._tls if self._tls is not None else self._raw
        assert transport is not None
        handler = self.connections.server()
        self._handler = handler
        # The header deadline still runs from the accept.
        self.connections.guard.watch(handler, self.accepted_at)
        # The handler writes to TRANSPORT; the socket's transport keeps this object as its protocol
        # all the same, which passes the bytes on and sees the connection close.
        if self._tls is not None:
            self._tls.set_protocol(handler)
        handler.connection_made(transport)
        handler.data_received(head)

    def _answer(self, message: bytes) -> None:
        transport = self._tls if self._tls is not None else self._raw
        assert transport is not None
        transport.write(message)
        transport.close()


class _TLSTransport(asyncio.Transport):
    """TLS on top of a socket's transport, with ssl.SSLObject and memory BIOs: what aiohttp's handler
    writes to on a TLS connection. Its owner (`_Connection`) feeds it what the socket receives.

    It holds no buffer of its own between callbacks beyond OpenSSL's. Renegotiation is not
    supported (nor is it by Go's server): a write that would have to wait for one closes the
    connection.
    """

    __slots__ = ("_closing", "_established", "_incoming", "_outgoing", "_protocol", "_raw", "_tls")

    def __init__(self, raw: asyncio.Transport, context: ssl.SSLContext) -> None:
        super().__init__()
        self._raw = raw
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._protocol: asyncio.BaseProtocol | None = None
        self._established = False
        self._closing = False

    def receive(self, data: bytes | memoryview) -> tuple[bytes, bool]:
        """What the socket received -> the plaintext it completes, and whether the peer sent
        close_notify. Raises ssl.SSLError when the handshake fails or a record is corrupt."""
        self._incoming.write(data)
        chunks = []
        closed = False
        try:
            if not self._established:
                self._tls.do_handshake()
                self._established = True
            while chunk := self._tls.read(_TLS_RECORD_SIZE):
                chunks.append(chunk)
            closed = True  # read() gives b"" for close_notify only
        except ssl.SSLWantReadError:
            pass
        finally:
            self._flush()  # handshake messages, session tickets, alerts
        return b"".join(chunks), closed

    def _flush(self) -> None:
        if self._outgoing.pending:
            self._raw.write(self._outgoing.read())

    # ---- asyncio.Transport, for aiohttp

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        view = memoryview(data)
        try:
            while view:
                view = view[self._tls.write(view):]
        except ssl.SSLError:
            self.abort()
            return
        self._flush()

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        if self._established:
            try:
                self._tls.unwrap()  # queues close_notify; the peer's is not waited for
            except ssl.SSLError:
                pass
        self._flush()
        self._raw.close()

    def abort(self) -> None:
        self._closing = True
        self._raw.abort()

    def is_closing(self) -> bool:
        return self._closing or self._raw.is_closing()

    def get_extra_info(self, name: str, default: object = None) -> object:
        if name == "peercert":
            # Built when asked (per request, only with client_allowed_sans), not kept per connection.
            return self._tls.getpeercert()
        if name == "sslcontext":
            return self._tls.context
        if name == "ssl_object":
            return self._tls
        if name == "cipher":
            return self._tls.cipher()
        if name == "compression":
            return self._tls.compression()
        return self._raw.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        assert self._protocol is not None
        return self._protocol

    def pause_reading(self) -> None:
        self._raw.pause_reading()

    def resume_reading(self) -> None:
        self._raw.resume_reading()

    def is_reading(self) -> bool:
        return self._raw.is_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._raw.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._raw.get_write_buffer_size()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._raw.get_write_buffer_limits()

    def can_write_eof(self) -> bool:
        return False


class Listener(web.BaseSite):
    """An aiohttp site on HOST:PORT, or on the listening socket SOCK that it was given (systemd's:
    see systemd.py), TLS with SSL_CONTEXT, whose connections go through CONNECTIONS.

    Of BaseSite's internals it uses one, as aiohttp's own sites do: the listening server goes in
    `_server`, which BaseSite.stop closes and BaseRunner.addresses reports
    (tests/web/test_aiohttp_internals.py checks that aiohttp still does both).
    """

    __slots__ = ("_connections", "_host", "_port", "_sock", "_tls_context")

    def __init__(self, runner: web.BaseRunner, connections: Connections, host: str | None, port: int, *,
                 ssl_context: ssl.SSLContext | None = None, sock: socket.socket | None = None) -> None:
        super().__init__(runner)
        self._connections = connections
        self._host = host
        self._port = port
        self._sock = sock
        self._tls_context = ssl_context

    @classmethod
    def on_socket(cls, runner: web.BaseRunner, connections: Connections, sock: socket.socket, *,
                  ssl_context: ssl.SSLContext | None = None) -> Listener:
        """A site on SOCK, already bound and listening; stopping the site closes it."""
        return cls(runner, connections, None, 0, ssl_context=ssl_context, sock=sock)

    @property
    def name(self) -> str:
        scheme = "https" if self._tls_context is not None else "http"
        if self._sock is not None:
            return f"{scheme}://{describe(self._sock)}"
        return f"{scheme}://{self._host or '0.0.0.0'}:{self._port}"

    async def start(self) -> None:
        await super().start()
        factory = functools.partial(_Connection, self._connections, self, self._tls_context)
        loop = asyncio.get_running_loop()
        if self._sock is not None:
            # asyncio calls listen(2) again with this backlog: the kernel caps it at somaxconn, as
            # it does systemd's own default (Backlog=SOMAXCONN), so the queue stays as it was.
            server = await loop.create_server(factory, sock=self._sock, backlog=LISTEN_BACKLOG)
        else:
            server = await loop.create_server(
                factory, self._host, self._port, backlog=LISTEN_BACKLOG, reuse_address=True)
        self._server = server
        if server.sockets and self._sock is None:
            self._port = server.sockets[0].getsockname()[1]  # port 0: the one the kernel chose

    async def stop(self) -> None:
        await super().stop()
        self._connections.close_pending(self)
