"""systemd socket activation: LISTEN_* parsing (sd_listen_fds(3), go-systemd's activation.Files)
and taking the passed descriptors as listening sockets."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator

import pytest

from pyexporter.cli import parse_args
from pyexporter.settings import ConfigError
from pyexporter.systemd import (
    NONE_FOUND,
    Passed,
    _listening_socket,
    describe,
    listening_sockets,
    passed_fds,
)

PID = 4242


def test_two_named_sockets() -> None:
    env = {"LISTEN_PID": str(PID), "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:https"}
    assert passed_fds(env, PID) == ([Passed(3, "http"), Passed(4, "https")], "")


@pytest.mark.parametrize(("names", "expected"), [
    (None, ["LISTEN_FD_3", "LISTEN_FD_4", "LISTEN_FD_5"]),
    ("", ["LISTEN_FD_3", "LISTEN_FD_4", "LISTEN_FD_5"]),
    ("a", ["a", "LISTEN_FD_4", "LISTEN_FD_5"]),
    ("a::c:extra", ["a", "LISTEN_FD_4", "c"]),
])
def test_names_default_to_listen_fd_n(names: str | None, expected: list[str]) -> None:
    env = {"LISTEN_PID": str(PID), "LISTEN_FDS": "3"}
    if names is not None:
        env["LISTEN_FDNAMES"] = names
    passed, why = passed_fds(env, PID)
    assert [p.name for p in passed] == expected and [p.fd for p in passed] == [3, 4, 5] and why == ""


@pytest.mark.parametrize(("env", "why"), [
    ({}, "LISTEN_PID is not set"),
    ({"LISTEN_FDS": "1"}, "LISTEN_PID is not set"),
    ({"LISTEN_PID": "1", "LISTEN_FDS": "1"}, f"LISTEN_PID=1 is not this process ({PID})"),
    ({"LISTEN_PID": f" {PID}", "LISTEN_FDS": "1"}, "is not this process"),  # Go's Atoi takes no spaces
    ({"LISTEN_PID": "x", "LISTEN_FDS": "1"}, "is not this process"),
    ({"LISTEN_PID": str(PID)}, "LISTEN_FDS is not set"),
    ({"LISTEN_PID": str(PID), "LISTEN_FDS": "one"}, "LISTEN_FDS='one' is not a number"),
    ({"LISTEN_PID": str(PID), "LISTEN_FDS": "1_0"}, "is not a number"),
    ({"LISTEN_PID": str(PID), "LISTEN_FDS": "0"}, "LISTEN_FDS=0"),
    ({"LISTEN_PID": str(PID), "LISTEN_FDS": "-2"}, "LISTEN_FDS=-2"),
])
def test_none_passed(env: dict[str, str], why: str) -> None:
    passed, reason = passed_fds(env, PID)
    assert passed == [] and why in reason


def test_go_atoi_accepts_a_plus_sign() -> None:
    assert passed_fds({"LISTEN_PID": f"+{PID}", "LISTEN_FDS": "+1"}, PID) == ([Passed(3, "LISTEN_FD_3")], "")


@pytest.mark.parametrize("env", [
    {"LISTEN_PID": "1", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "x", "OTHER": "kept"},
    {"LISTEN_PID": str(PID), "LISTEN_FDS": "0", "OTHER": "kept"},
    {"OTHER": "kept"},
])
def test_no_sockets_is_one_line_error_and_the_env_is_emptied(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        listening_sockets(env, PID)
    message = str(info.value)
    assert message.startswith(f"--web.systemd-socket: {NONE_FOUND} (") and "\n" not in message
    assert env == {"OTHER": "kept"}


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


def test_a_listening_socket_is_taken_and_made_close_on_exec(listening: socket.socket) -> None:
    os.set_inheritable(listening.fileno(), True)
    sock = _listening_socket(Passed(listening.fileno(), "http"))
    try:
        assert sock.fileno() == listening.fileno()
        assert sock.family == socket.AF_INET and sock.type == socket.SOCK_STREAM
        assert not os.get_inheritable(sock.fileno())
        assert describe(sock) == f"127.0.0.1:{listening.getsockname()[1]}"
    finally:
        sock.detach()  # the fixture closes it


def test_describe_ipv6_and_unix(tmp_path) -> None:
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(tmp_path / "s"))
        assert describe(unix) == str(tmp_path / "s")
    if socket.has_ipv6:
        try:
            with socket.socket(socket.AF_INET6) as six:
                six.bind(("::1", 0))
                assert describe(six) == f"[::1]:{six.getsockname()[1]}"
        except OSError:
            pass  # no IPv6 loopback here


def test_udp_tcp_not_listening_and_a_pipe_are_refused() -> None:
    read, write = os.pipe()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        for fd, expected in ((udp.fileno(), "is not a stream socket"),
                             (tcp.fileno(), "is not a listening stream socket"),
                             (read, "is not a socket")):
            with pytest.raises(ConfigError, match=f"descriptor {fd} \\(web\\) {expected}"):
                _listening_socket(Passed(fd, "web"))
            os.fstat(fd)  # still open: refused descriptors are left as they were
    os.close(read)
    os.close(write)


def test_the_flag() -> None:
    assert parse_args(["--web.systemd-socket"]).systemd_socket is True
    assert parse_args(["--web.systemd-socket=false"]).systemd_socket is False
    assert parse_args([]).systemd_socket is False


def test_os_environ_is_emptied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTEN_PID", "1")
    monkeypatch.setenv("LISTEN_FDS", "1")
    monkeypatch.setenv("LISTEN_FDNAMES", "web")
    with pytest.raises(ConfigError, match="LISTEN_PID=1 is not this process"):
        listening_sockets()
    assert not {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} & set(os.environ)
    # os.environ's deletions are unsetenv(3)s: a child started any way inherits none of them.
    child = subprocess.run(["env"], capture_output=True, text=True, env=None, check=True)
    assert "LISTEN_" not in child.stdout
