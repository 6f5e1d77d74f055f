"""logind: login sessions by seat, remoteness, type and class, as node_exporter's logind collector
(collector/logind_linux.go: Update, collectMetrics, knownStringOrOther, newDbus, listSeats,
listSessions, getSession; over godbus/dbus). Off by default.

It asks systemd-logind on the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else
/var/run/dbus/system_bus_socket) for ListSeats and ListSessions, then for each session its
Remote, Type and Class properties. node_logind_sessions has a sample for every combination of
remote (true, false), type (logind's values as of systemd v229, else "other"), class (likewise)
and seat (every seat, and the empty seat of sessions without one, such as SSH's): zero where no
session has it. A session whose properties cannot be read (it ended between the calls) is left
out; a session on a seat ListSeats did not name is counted nowhere, as in node_exporter.

Deliberate difference: a session property of an unexpected D-Bus type is left out like an
unreadable one (node_exporter keeps a non-boolean Remote as its text). D-Bus is spoken through
jeepney (see pyexporter/collectors/dbus.py for why).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, Protocol

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit import dbus
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily

LOGIN1 = "org.freedesktop.login1"
LOGIN1_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"

# logind_linux.go: "Taken from logind as of systemd v229"; "other" is the fallback for the rest.
REMOTE_VALUES = ("true", "false")
TYPE_VALUES = ("other", "unspecified", "tty", "x11", "wayland", "mir", "web")
CLASS_VALUES = ("other", "user", "greeter", "lock-screen", "background")


class SessionEntry(NamedTuple):
    """One entry of Manager.ListSessions, a(susso)."""

    session_id: str
    user_id: int
    user_name: str
    seat_id: str
    path: str


class Session(NamedTuple):
    """logindSession: what a session is counted by."""

    seat: str
    remote: str
    type: str
    klass: str


def parse_list_seats(body: tuple[Any, ...]) -> list[str]:
    """listSeats: the seat ids of a ListSeats reply, a(so), and always the empty seat last."""
    if len(body) != 1 or not isinstance(body[0], list):
        raise CollectorError(f"ListSeats: unexpected reply {str(body)[:200]}")
    seats = []
    for entry in body[0]:
        if not isinstance(entry, tuple) or len(entry) != 2 or not isinstance(entry[0], str):
            raise CollectorError(f"ListSeats: unexpected seat entry {str(entry)[:200]}")
        seats.append(entry[0])
    seats.append("")
    return seats


def parse_list_sessions(body: tuple[Any, ...]) -> list[SessionEntry]:
    """listSessions: the entries of a ListSessions reply, a(susso)."""
    if len(body) != 1 or not isinstance(body[0], list):
        raise CollectorError(f"ListSessions: unexpected reply {str(body)[:200]}")
    sessions = []
    for entry in body[0]:
        if not isinstance(entry, tuple) or len(entry) != 5:
            raise CollectorError(f"ListSessions: unexpected session entry {str(entry)[:200]}")
        sessions.append(SessionEntry(*entry))
    return sessions


def known_string_or_other(value: str, known: Iterable[str]) -> str:
    """knownStringOrOther."""
    return value if value in known else "other"


def count_sessions(seats: list[str], sessions: Iterable[Session]) -> list[tuple[tuple[str, str, str, str], float]]:
    """collectMetrics: ((seat, remote, type, class), count) for every combination, in node_exporter's
    loop order (remote, type, class, seat)."""
    counts = Counter(sessions)
    return [
        ((seat, remote, kind, klass), float(counts[Session(seat, remote, kind, klass)]))
        for remote in REMOTE_VALUES
        for kind in TYPE_VALUES
        for klass in CLASS_VALUES
        for seat in seats
    ]


class Bus(Protocol):
    def call(self, destination: str, path: str, interface: str, member: str, signature: str = "",
             body: tuple[Any, ...] = ()) -> tuple[Any, ...]: ...

    def get_property(self, destination: str, path: str, interface: str, name: str) -> dbus.Variant: ...

    def close(self) -> None: ...


def connect() -> dbus.Connection:
    """newDbus: a private connection to the system bus, EXTERNAL auth as our uid, Hello."""
    return dbus.Connection.open(dbus.system_bus_address(), hello=True)


def get_session(bus: Bus, entry: SessionEntry) -> Session | None:
    """getSession: the session's Remote, Type and Class; None when one cannot be read. A broken
    connection (OSError) propagates."""
    values: list[Any] = []
    for name, signature in (("Remote", "b"), ("Type", "s"), ("Class", "s")):
        try:
            sig, value = bus.get_property(LOGIN1, entry.path, SESSION, name)
        except CollectorError:
            return None
        if sig != signature:
            return None
        values.append(value)
    remote, kind, klass = values
    return Session(entry.seat_id, "true" if remote else "false", known_string_or_other(kind, TYPE_VALUES),
                   known_string_or_other(klass, CLASS_VALUES))


@collector("logind", default=False, options=NoOptions)
class LogindCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions], connector: Callable[[], Bus] | None = None) -> None:
        super().__init__(ctx)
        self._connect: Callable[[], Bus] = connector or connect

    def collect(self) -> Iterator[Metric]:
        try:
            bus = self._connect()
        except (OSError, CollectorError) as err:
            raise CollectorError(f"unable to connect to dbus: {err}") from err
        try:
            yield self.sessions(bus)
        finally:
            bus.close()

    def sessions(self, bus: Bus) -> Metric:
        try:
            seats = parse_list_seats(bus.call(LOGIN1, LOGIN1_PATH, MANAGER, "ListSeats"))
        except (OSError, CollectorError) as err:
            raise CollectorError(f"unable to get seats: {err}") from err
        try:
            entries = parse_list_sessions(bus.call(LOGIN1, LOGIN1_PATH, MANAGER, "ListSessions"))
        except (OSError, CollectorError) as err:
            raise CollectorError(f"unable to get sessions: {err}") from err
        sessions = []
        for entry in entries:
            session = get_session(bus, entry)
            if session is None:
                self.log.debug("couldn't get session", extra={"kv": {"session": entry.session_id}})
            else:
                sessions.append(session)
        family = GaugeMetricFamily("node_logind_sessions", "Number of sessions registered in logind.",
                                   labels=["seat", "remote", "type", "class"])
        for labels, count in count_sessions(seats, sessions):
            family.add_metric(list(labels), count)
        return family
