"""systemd socket activation (--web.systemd-socket): the listening sockets systemd passes.

Follows sd_listen_fds(3) as exporter-toolkit's web/tls_config.go uses it, through go-systemd's
activation/files_unix.go and activation/listeners.go:

- the sockets are descriptors 3 .. 3+LISTEN_FDS-1, and they are ours only when LISTEN_PID is this
  process's pid (a parent's variables that leaked into a child name descriptors the child lacks);
- LISTEN_FDNAMES, colon-separated, names them (FileDescriptorName= in the .socket unit; default
  `LISTEN_FD_<fd>`);
- LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the environment whatever they held,
  and the descriptors are made close-on-exec, so that no child process inherits either;
- none passed, for whatever reason (no or another pid, no or a bad count, 0), is an error:
  "no socket activation file descriptors found".

go-systemd leaves a gap (nil) for a descriptor that is not a stream socket, on which the toolkit's
Serve then panics; here it is an error that says which descriptor it is, as is one that does not
listen (systemd's Accept=yes passes connections, not listeners).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from pyexporter.settings import ConfigError

LISTEN_FDS_START = 3  # SD_LISTEN_FDS_START
ENV_VARS = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")

# Go's strconv.Atoi: an optional sign and ASCII digits, nothing else (no spaces, no underscores).
_GO_INT = re.compile(r"[+-]?[0-9]+")

NONE_FOUND = "no socket activation file descriptors found"


@dataclass(frozen=True, slots=True)
class Passed:
    """One descriptor systemd passed, and its name."""

    fd: int
    name: str


def _go_atoi(text: str | None) -> int | None:
    return int(text) if text is not None and _GO_INT.fullmatch(text) else None


def passed_fds(env: Mapping[str, str], pid: int) -> tuple[list[Passed], str]:
    """The descriptors ENV passes to process PID, per sd_listen_fds(3); when there are none, why
    not (for the error message), else ""."""
    listen_pid = env.get("LISTEN_PID")
    if listen_pid is None:
        return [], "LISTEN_PID is not set"
    if _go_atoi(listen_pid) != pid:
        return [], f"LISTEN_PID={listen_pid} is not this process ({pid})"
    count_text = env.get("LISTEN_FDS")
    count = _go_atoi(count_text)
    if count is None:
        return [], "LISTEN_FDS is not set" if count_text is None else f"LISTEN_FDS={count_text!r} is not a number"
    if count <= 0:
        return [], f"LISTEN_FDS={count_text}"
    names = env.get("LISTEN_FDNAMES", "").split(":")
    passed = []
    for offset in range(count):
        fd = LISTEN_FDS_START + offset
        name = names[offset] if offset < len(names) and names[offset] else f"LISTEN_FD_{fd}"
        passed.append(Passed(fd, name))
    return passed, ""


def unset_env(env: MutableMapping[str, str]) -> None:
    for key in ENV_VARS:
        env.pop(key, None)


def listening_sockets(env: MutableMapping[str, str] | None = None, pid: int | None = None) -> list[socket.socket]:
    """Take the listening sockets systemd passed to this process (ENV: os.environ, which this
    empties of the LISTEN_* variables). Raises ConfigError with one line when there are none, or
    when a passed descriptor is not a listening stream socket."""
    env = os.environ if env is None else env
    passed, why = passed_fds(env, os.getpid() if pid is None else pid)
    unset_env(env)
    if not passed:
        raise ConfigError(f"--web.systemd-socket: {NONE_FOUND} ({why})")
    sockets: list[socket.socket] = []
    try:
        for item in passed:
            sockets.append(_listening_socket(item))
    except ConfigError:
        for sock in sockets:
            sock.detach()  # leave the descriptors as they were given
        raise
    return sockets


def _listening_socket(item: Passed) -> socket.socket:
    what = f"--web.systemd-socket: descriptor {item.fd} ({item.name})"
    try:
        os.set_inheritable(item.fd, False)
        sock = socket.socket(fileno=item.fd)  # family, type and protocol asked of the kernel
    except OSError as err:
        raise ConfigError(f"{what} is not a socket: {err.strerror or err}") from None
    try:
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    except OSError:
        listening = 0
    if sock.type != socket.SOCK_STREAM or not listening:
        kind = "a listening stream socket" if sock.type == socket.SOCK_STREAM else "a stream socket"
        sock.detach()
        raise ConfigError(f"{what} is not {kind} (a .socket unit with ListenStream= and Accept=no passes those)")
    return sock


def describe(sock: socket.socket) -> str:
    """A listener's address as Go's net.Listener.Addr().String() gives it: host:port, [v6]:port,
    or a unix socket's path."""
    address = sock.getsockname()
    if sock.family == socket.AF_INET6:
        return f"[{address[0]}]:{address[1]}"
    if sock.family == socket.AF_INET:
        return f"{address[0]}:{address[1]}"
    if isinstance(address, bytes):  # an abstract unix socket
        return "@" + address[1:].decode(errors="replace")
    return str(address)
