"""A blocking D-Bus client for the systemd and logind collectors, over jeepney.

node_exporter talks D-Bus through godbus/dbus (logind_linux.go) and coreos/go-systemd's dbus
package on top of it (systemd_linux.go). This module is the part of both that those collectors use:

- connecting: the system bus at $DBUS_SYSTEM_BUS_ADDRESS, or godbus's default
  unix:path=/var/run/dbus/system_bus_socket, authenticated with EXTERNAL as our uid, then `Hello`;
  or systemd's private socket /run/systemd/private (a peer-to-peer connection to PID 1: no bus,
  so no Hello), go-systemd's NewSystemdConnectionContext;
- a method call that waits for its reply (a D-Bus error reply raises DBusError);
- org.freedesktop.DBus.Properties.Get, which answers a variant: (signature, value);
- go-systemd's PathBusEscape, which turns a unit name into its object path.

Why jeepney: it is pure Python (no C extension, nothing to compile), and it has a blocking I/O
API, which is what our collectors want: each runs in a worker thread of the scrape, so one
socket read with a deadline is all a call needs. dbus-fast is asyncio-first with an optional C
extension; dbus-python needs libdbus and compilation. jeepney is imported on the first connection
only: this module is imported with the (off by default) systemd and logind collectors, and even
then a server that does not enable them never loads jeepney.

Calls are sequential on one connection (node_exporter's systemd collector runs its groups of
property reads in goroutines over one connection; systemd answers them in order anyway). Every
read has a deadline, CALL_TIMEOUT, so a bus that never answers fails the collector rather than
holding its thread forever.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
from collections.abc import Iterator, Mapping
from typing import Any

from pyexporter.toolkit.collector import CollectorError

# godbus's getSystemBusPlatformAddress default, and go-systemd's private socket.
DEFAULT_SYSTEM_BUS_ADDRESS = "unix:path=/var/run/dbus/system_bus_socket"
SYSTEMD_PRIVATE_ADDRESS = "unix:path=/run/systemd/private"

BUS_NAME = "org.freedesktop.DBus"
BUS_PATH = "/org/freedesktop/DBus"
PROPERTIES = "org.freedesktop.DBus.Properties"

# Seconds to wait for authentication and for each reply.
AUTH_TIMEOUT = 5.0
CALL_TIMEOUT = 10.0

# A variant as jeepney decodes it: (signature, value).
Variant = tuple[str, Any]


class DBusError(CollectorError):
    """An error reply (NAME, MESSAGE), or a reply that is not what the call expects."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message


class ProtocolError(ConnectionError):
    """Bytes on the connection that are no D-Bus message: the connection is unusable from there on
    (an OSError, so that a collector stops rather than going on reading garbage)."""


def _jeepney() -> Any:
    """jeepney, imported on first use (CollectorError when it is not installed)."""
    try:
        import jeepney  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import jeepney.io.blocking  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as err:
        raise CollectorError(f"D-Bus needs the jeepney package, which is not installed: {err}") from None
    return jeepney


def system_bus_address(environ: Mapping[str, str] | None = None) -> str:
    """The system bus's address: $DBUS_SYSTEM_BUS_ADDRESS when set and not empty, else godbus's default."""
    env = os.environ if environ is None else environ
    return env.get("DBUS_SYSTEM_BUS_ADDRESS", "") or DEFAULT_SYSTEM_BUS_ADDRESS


def socket_paths(address: str) -> list[str]:
    """The unix socket paths of a D-Bus ADDRESS (`unix:path=...` or `unix:abstract=...`, `;`-separated,
    values %-escaped), in order; CollectorError when it names none (tcp: and the like)."""
    paths: list[str] = []
    for one in address.split(";"):
        transport, _, rest = one.partition(":")
        if transport != "unix":
            continue
        keys: dict[str, str] = {}
        for pair in rest.split(","):
            key, sep, value = pair.partition("=")
            if sep:
                keys[key] = _unescape(value)
        if "path" in keys:
            paths.append(keys["path"])
        elif "abstract" in keys:
            paths.append("\0" + keys["abstract"])
    if not paths:
        raise CollectorError(f"D-Bus address {address!r} names no unix socket")
    return paths


def _unescape(value: str) -> str:
    out = bytearray()
    i = 0
    raw = value.encode()
    while i < len(raw):
        if raw[i:i + 1] == b"%" and i + 3 <= len(raw):
            try:
                out.append(int(raw[i + 1:i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(raw[i])
        i += 1
    return out.decode(errors="surrogateescape")


_ALPHANUM = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_DIGITS = frozenset(b"0123456789")


def path_bus_escape(name: str) -> str:
    """go-systemd's PathBusEscape: every byte but [a-zA-Z0-9] (and a leading digit) as `_` and its
    hex digits (Go's %x: no leading zero); the empty name is `_`."""
    if not name:
        return "_"
    out = []
    for i, byte in enumerate(name.encode()):
        if byte not in _ALPHANUM or (i == 0 and byte in _DIGITS):
            out.append(f"_{byte:x}")
        else:
            out.append(chr(byte))
    return "".join(out)


def method_call(destination: str, path: str, interface: str, member: str, signature: str = "",
                body: tuple[Any, ...] = ()) -> Any:
    """A jeepney method call message."""
    jeepney = _jeepney()
    address = jeepney.DBusAddress(path, bus_name=destination, interface=interface)
    return jeepney.new_method_call(address, member, signature or None, body)


def reply_body(message: Any) -> tuple[Any, ...]:
    """The body of a reply message; DBusError for an error reply."""
    jeepney = _jeepney()
    if message.header.message_type == jeepney.MessageType.error:
        name = str(message.header.fields.get(jeepney.HeaderFields.error_name, "org.freedesktop.DBus.Error.Failed"))
        body = message.body
        text = body[0] if body and isinstance(body[0], str) else ""
        raise DBusError(name, text)
    return tuple(message.body)


def variant_of(body: tuple[Any, ...]) -> Variant:
    """The variant a Properties.Get reply (signature `v`) holds."""
    if len(body) != 1 or not isinstance(body[0], tuple) or len(body[0]) != 2 or not isinstance(body[0][0], str):
        raise DBusError("org.pyexporter.BadReply", f"expected a variant, got {body!r}")
    signature, value = body[0]
    return signature, value


class Connection:
    """One authenticated D-Bus connection: method calls, each waiting for its reply."""

    def __init__(self, sock: socket.socket, timeout: float = CALL_TIMEOUT) -> None:
        jeepney = _jeepney()
        self.sock = sock
        self.timeout = timeout
        self._parser = jeepney.Parser()
        self._serials = itertools.count(1)
        self.unique_name = ""

    @classmethod
    def open(cls, address: str, *, hello: bool, timeout: float = CALL_TIMEOUT) -> Connection:
        """Connect to the first socket of ADDRESS that answers, authenticate (EXTERNAL, our uid) and,
        on a bus (HELLO), say Hello. OSError or CollectorError when none can be had."""
        jeepney = _jeepney()
        last: Exception | None = None
        for path in socket_paths(address):
            try:
                sock = jeepney.io.blocking.prep_socket(path, timeout=AUTH_TIMEOUT)
            except (OSError, ValueError) as err:  # ValueError: jeepney's AuthenticationError
                last = err
                continue
            conn = cls(sock, timeout)
            if hello:
                try:
                    (name,) = conn.call(BUS_NAME, BUS_PATH, BUS_NAME, "Hello")
                except BaseException:
                    conn.close()
                    raise
                conn.unique_name = str(name)
            return conn
        assert last is not None
        raise last

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, destination: str, path: str, interface: str, member: str, signature: str = "",
             body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        """Call MEMBER and return the reply's body; DBusError for an error reply, TimeoutError when
        none comes within the timeout, ConnectionResetError when the peer hangs up."""
        serial = next(self._serials)
        message = method_call(destination, path, interface, member, signature, body)
        self.sock.sendall(message.serialise(serial=serial))
        for reply in self._messages(time.monotonic() + self.timeout):
            if _reply_serial(reply) == serial:
                return reply_body(reply)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_property(self, destination: str, path: str, interface: str, name: str) -> Variant:
        """org.freedesktop.DBus.Properties.Get(INTERFACE, NAME) on PATH: the variant it answers."""
        return variant_of(self.call(destination, path, PROPERTIES, "Get", "ss", (interface, name)))

    def _messages(self, deadline: float) -> Iterator[Any]:
        """Incoming messages until the caller stops; signals and others' replies are passed over."""
        while True:
            try:
                message = self._parser.get_next_message()
            except Exception as err:  # noqa: BLE001 - jeepney raises KeyError, ValueError, struct.error...
                raise ProtocolError(f"malformed D-Bus message: {type(err).__name__}: {err}") from None
            if message is not None:
                yield message
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no D-Bus reply within {self.timeout:g} s")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise TimeoutError(f"no D-Bus reply within {self.timeout:g} s") from None
            if not data:
                raise ConnectionResetError("the D-Bus peer closed the connection")
            self._parser.add_data(data)


def _reply_serial(message: Any) -> int:
    jeepney = _jeepney()
    return int(message.header.fields.get(jeepney.HeaderFields.reply_serial, -1))
