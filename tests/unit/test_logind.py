"""The logind collector (collector/logind_linux.go) on jeepney-encoded replies and a fake bus; the
live test against systemd-logind is tests/e2e/test_systemd_collector.py."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from pyexporter.collectors import logind as ld
from pyexporter.flags import NoOptions
from pyexporter.paths import Paths
from pyexporter.toolkit import dbus
from pyexporter.toolkit.collector import CollectorContext, CollectorError

jeepney = pytest.importorskip("jeepney")


def decoded(signature: str, body: tuple[Any, ...]) -> tuple[Any, ...]:
    """BODY as a method return of SIGNATURE, serialised and parsed back by jeepney."""
    request = jeepney.new_method_call(jeepney.DBusAddress(ld.LOGIN1_PATH, bus_name=ld.LOGIN1), "ListSessions")
    request.header.serial = 2
    data = jeepney.new_method_return(request, signature, body).serialise(serial=5)
    parser = jeepney.Parser()
    parser.add_data(data)
    return dbus.reply_body(parser.get_next_message())


def test_list_seats_adds_the_empty_seat() -> None:
    """listSeats: a(so), and "" for sessions without a seat (SSH)."""
    body = decoded("a(so)", ([("seat0", "/org/freedesktop/login1/seat/seat0")],))
    assert ld.parse_list_seats(body) == ["seat0", ""]
    assert ld.parse_list_seats(decoded("a(so)", ([],))) == [""]


def test_list_sessions_decodes() -> None:
    """listSessions: a(susso)."""
    body = decoded("a(susso)", ([("c1", 0, "root", "", "/org/freedesktop/login1/session/c1"),
                                 ("2", 1000, "ann", "seat0", "/org/freedesktop/login1/session/_32")],))
    assert ld.parse_list_sessions(body) == [
        ld.SessionEntry("c1", 0, "root", "", "/org/freedesktop/login1/session/c1"),
        ld.SessionEntry("2", 1000, "ann", "seat0", "/org/freedesktop/login1/session/_32"),
    ]


@pytest.mark.parametrize("body", [(), ("x",), ([("seat0",)],), ([(1, "/")],)])
def test_list_seats_bad_shapes(body: tuple[Any, ...]) -> None:
    with pytest.raises(CollectorError):
        ld.parse_list_seats(body)


@pytest.mark.parametrize("body", [(), ([("c1", 0, "root", "")],), ([[1]],)])
def test_list_sessions_bad_shapes(body: tuple[Any, ...]) -> None:
    with pytest.raises(CollectorError):
        ld.parse_list_sessions(body)


def test_known_string_or_other() -> None:
    assert ld.known_string_or_other("wayland", ld.TYPE_VALUES) == "wayland"
    assert ld.known_string_or_other("user-early", ld.CLASS_VALUES) == "other"  # newer logind classes
    assert ld.known_string_or_other("", ld.TYPE_VALUES) == "other"


def test_count_sessions_every_combination_in_go_order() -> None:
    """collectMetrics: remote x type x class x seat, zero where no session has it."""
    sessions = [ld.Session("seat0", "false", "x11", "user"), ld.Session("seat0", "false", "x11", "user"),
                ld.Session("", "true", "tty", "user"), ld.Session("seat9", "false", "tty", "user")]
    counts = ld.count_sessions(["seat0", ""], sessions)
    assert len(counts) == 2 * 7 * 5 * 2
    assert counts[0] == (("seat0", "true", "other", "other"), 0.0)
    assert counts[1] == (("", "true", "other", "other"), 0.0)
    as_dict = dict(counts)
    assert as_dict[("seat0", "false", "x11", "user")] == 2.0
    assert as_dict[("", "true", "tty", "user")] == 1.0
    assert sum(as_dict.values()) == 3.0  # a seat ListSeats did not name is counted nowhere


class FakeBus:
    def __init__(self, seats: list[tuple[str, str]], sessions: list[tuple[Any, ...]],
                 props: dict[tuple[str, str], Any]) -> None:
        self.seats, self.sessions, self.props = seats, sessions, props
        self.errors: dict[str, Exception] = {}
        self.closed = False

    def call(self, destination: str, path: str, interface: str, member: str, signature: str = "",
             body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        assert (destination, path, interface) == (ld.LOGIN1, ld.LOGIN1_PATH, ld.MANAGER)
        if member in self.errors:
            raise self.errors[member]
        return (self.seats,) if member == "ListSeats" else (self.sessions,)

    def get_property(self, destination: str, path: str, interface: str, name: str) -> dbus.Variant:
        assert (destination, interface) == (ld.LOGIN1, ld.SESSION)
        value = self.props.get((path, name), dbus.DBusError("org.freedesktop.DBus.Error.UnknownObject"))
        if isinstance(value, BaseException):
            raise value
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        self.closed = True


def session_props(path: str, remote: bool, kind: str, klass: str) -> dict[tuple[str, str], Any]:
    return {(path, "Remote"): ("b", remote), (path, "Type"): ("s", kind), (path, "Class"): ("s", klass)}


def collector(bus: FakeBus) -> ld.LogindCollector:
    ctx = CollectorContext(paths=Paths(), options=NoOptions(), logger=logging.getLogger("t"))
    return ld.LogindCollector(ctx, lambda: bus)


def test_collector_counts_sessions() -> None:
    """getSession: Remote as "true"/"false", Type and Class known or "other"; a session that
    ended between ListSessions and its reads, or with a property of the wrong type, is left out."""
    s = "/org/freedesktop/login1/session/"
    props = {
        **session_props(s + "c1", False, "tty", "user"),
        **session_props(s + "c2", True, "tty", "user"),
        **session_props(s + "_33", False, "wayland", "user-early"),
        **session_props(s + "c4", False, "x11", "greeter"),
        (s + "c5", "Remote"): ("s", "no"),
        (s + "c5", "Type"): ("s", "tty"),
        (s + "c5", "Class"): ("s", "user"),
    }
    props[(s + "c4", "Class")] = dbus.DBusError("org.freedesktop.DBus.Error.UnknownObject")
    sessions = [("c1", 0, "root", "", s + "c1"), ("c2", 1000, "ann", "", s + "c2"),
                ("3", 1000, "ann", "seat0", s + "_33"), ("c4", 0, "gdm", "seat0", s + "c4"),
                ("c5", 0, "x", "", s + "c5"), ("gone", 0, "x", "", s + "gone")]
    bus = FakeBus([("seat0", "/org/freedesktop/login1/seat/seat0")], sessions, props)
    (family,) = list(collector(bus).collect())
    assert bus.closed
    assert (family.name, family.type, family.documentation) == (
        "node_logind_sessions", "gauge", "Number of sessions registered in logind.")
    got = {(s.labels["seat"], s.labels["remote"], s.labels["type"], s.labels["class"]): s.value
           for s in family.samples}
    assert len(got) == 2 * 7 * 5 * 2
    assert {k: v for k, v in got.items() if v} == {
        ("", "false", "tty", "user"): 1.0,
        ("", "true", "tty", "user"): 1.0,
        ("seat0", "false", "wayland", "other"): 1.0,
    }


def test_collector_errors() -> None:
    """Update's errors: the connection, then ListSeats, then ListSessions."""
    bus = FakeBus([], [], {})
    bus.errors["ListSeats"] = dbus.DBusError("org.freedesktop.DBus.Error.ServiceUnknown", "no logind")
    with pytest.raises(CollectorError, match=r"unable to get seats: .*ServiceUnknown"):
        list(collector(bus).collect())
    assert bus.closed
    bus = FakeBus([], [], {})
    bus.errors["ListSessions"] = TimeoutError("no D-Bus reply within 10 s")
    with pytest.raises(CollectorError, match="unable to get sessions: no D-Bus reply"):
        list(collector(bus).collect())

    def refuse() -> ld.Bus:
        raise FileNotFoundError(2, "No such file or directory")

    ctx = CollectorContext(paths=Paths(), options=NoOptions(), logger=logging.getLogger("t"))
    with pytest.raises(CollectorError, match=r"unable to connect to dbus: .*No such file"):
        list(ld.LogindCollector(ctx, refuse).collect())


def test_broken_connection_during_session_reads_fails() -> None:
    s = "/org/freedesktop/login1/session/c1"
    bus = FakeBus([], [("c1", 0, "root", "", s)], {(s, "Remote"): ConnectionResetError("gone")})
    with pytest.raises(ConnectionResetError):
        list(collector(bus).collect())
