"""The systemd collector (collector/systemd_linux.go) and the D-Bus pieces under it (collectors/dbus.py),
on bytes, jeepney messages and a fake bus. The live test against systemd is
tests/e2e/test_systemd_collector.py."""

from __future__ import annotations

import logging
import re
import socket
import struct
from collections.abc import Iterable
from typing import Any

import pytest

from pyexporter.collectors import load
from pyexporter.collectors import systemd as sd
from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.toolkit import dbus
from pyexporter.toolkit.collector import CollectorContext, CollectorError

jeepney = pytest.importorskip("jeepney")

# -- D-Bus wire format ------------------------------------------------------------------------------


def _pad(buf: bytes, align: int) -> bytes:
    return buf + b"\0" * (-len(buf) % align)


def reply_bytes(reply_serial: int, serial: int = 7) -> bytes:
    """A method return carrying the variant ("s", "running"), laid out by hand per the D-Bus
    specification (little endian), independently of jeepney's encoder."""
    fields = b"\x05" + b"\x01u\x00" + struct.pack("<I", reply_serial)  # REPLY_SERIAL: variant u
    fields = _pad(fields, 8) + b"\x08" + b"\x01g\x00" + b"\x01v\x00"  # SIGNATURE: variant g "v"
    body = b"\x01s\x00" + b"\x00" + struct.pack("<I", 7) + b"running\x00"
    header = b"l\x02\x00\x01" + struct.pack("<III", len(body), serial, len(fields)) + fields
    return _pad(header, 8) + body


def parse_one(data: bytes) -> Any:
    parser = jeepney.Parser()
    parser.add_data(data)
    message = parser.get_next_message()
    assert message is not None
    return message


def test_get_property_round_trip_on_the_wire() -> None:
    """go-systemd's GetManagerProperty: Properties.Get(interface, name) answered by a variant."""
    ours, peer = socket.socketpair()
    peer.sendall(reply_bytes(reply_serial=1))
    conn = dbus.Connection(ours, timeout=2)
    try:
        assert conn.get_property(sd.SYSTEMD, sd.SYSTEMD_PATH, sd.MANAGER, "SystemState") == ("s", "running")
        call = parse_one(peer.recv(65536))
    finally:
        conn.close()
        peer.close()
    fields = call.header.fields
    H = jeepney.HeaderFields
    assert call.header.message_type == jeepney.MessageType.method_call
    assert call.header.serial == 1
    assert (fields[H.destination], fields[H.path], fields[H.interface], fields[H.member], fields[H.signature]) == (
        "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.DBus.Properties", "Get", "ss")
    assert call.body == ("org.freedesktop.systemd1.Manager", "SystemState")


def test_call_skips_signals_and_other_replies() -> None:
    ours, peer = socket.socketpair()
    signal = jeepney.new_signal(jeepney.DBusAddress("/x", interface="a.b"), "Changed")
    peer.sendall(signal.serialise(serial=50) + reply_bytes(reply_serial=9, serial=51) + reply_bytes(reply_serial=1))
    with dbus.Connection(ours, timeout=2) as conn:
        assert conn.get_property("a.b", "/", "a.b", "P") == ("s", "running")
    peer.close()


def test_error_reply_is_a_dbus_error() -> None:
    """A unit that vanished: systemd answers the read with an error, which fails that read only."""
    ours, peer = socket.socketpair()
    with dbus.Connection(ours, timeout=2) as conn:
        request = jeepney.new_method_call(jeepney.DBusAddress("/", bus_name="a.b"), "M")
        request.header.serial = 1
        error = jeepney.new_error(request, "org.freedesktop.systemd1.NoSuchUnit", "s", ("Unit x not loaded.",))
        peer.sendall(error.serialise(serial=3))
        with pytest.raises(dbus.DBusError) as info:
            conn.call("a.b", "/", "a.b", "M")
    assert info.value.name == "org.freedesktop.systemd1.NoSuchUnit"
    assert info.value.message == "Unit x not loaded."
    assert isinstance(info.value, CollectorError)
    peer.close()


def test_silence_hang_up_and_garbage_are_connection_errors() -> None:
    ours, peer = socket.socketpair()
    with dbus.Connection(ours, timeout=0.05) as conn, pytest.raises(TimeoutError):
        conn.call("a.b", "/", "a.b", "M")
    peer.close()

    ours, peer = socket.socketpair()
    peer.close()
    with dbus.Connection(ours, timeout=2) as conn, pytest.raises(OSError):
        conn.call("a.b", "/", "a.b", "M")

    ours, peer = socket.socketpair()
    peer.sendall(b"garbage!" * 4)
    with dbus.Connection(ours, timeout=2) as conn, pytest.raises(dbus.ProtocolError):
        conn.call("a.b", "/", "a.b", "M")
    assert issubclass(dbus.ProtocolError, OSError)
    peer.close()

    # A truncated reply: waits for the rest, then times out.
    ours, peer = socket.socketpair()
    peer.sendall(reply_bytes(reply_serial=1)[:20])
    with dbus.Connection(ours, timeout=0.05) as conn, pytest.raises(TimeoutError):
        conn.call("a.b", "/", "a.b", "M")
    peer.close()


@pytest.mark.parametrize("body", [(), ("x",), (("s",),), (("s", 1, 2),), ((1, "x"),)])
def test_variant_of_refuses_what_is_no_variant(body: tuple[Any, ...]) -> None:
    with pytest.raises(dbus.DBusError):
        dbus.variant_of(body)


def test_addresses() -> None:
    """godbus: $DBUS_SYSTEM_BUS_ADDRESS, else unix:path=/var/run/dbus/system_bus_socket."""
    assert dbus.system_bus_address({}) == "unix:path=/var/run/dbus/system_bus_socket"
    assert dbus.system_bus_address({"DBUS_SYSTEM_BUS_ADDRESS": ""}) == "unix:path=/var/run/dbus/system_bus_socket"
    assert dbus.system_bus_address({"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/x"}) == "unix:path=/x"
    assert dbus.socket_paths("unix:path=/run/a%20b,guid=00") == ["/run/a b"]
    assert dbus.socket_paths("tcp:host=x,port=1;unix:abstract=/tmp/dbus-1") == ["\0/tmp/dbus-1"]
    assert dbus.socket_paths("unix:path=/a;unix:path=/b") == ["/a", "/b"]
    for bad in ("tcp:host=localhost,port=1", "", "unix:", "garbage"):
        with pytest.raises(CollectorError):
            dbus.socket_paths(bad)


@pytest.mark.parametrize(("name", "path"), [
    ("dbus.service", "dbus_2eservice"),
    ("getty@tty1.service", "getty_40tty1_2eservice"),
    ("systemd-journald.socket", "systemd_2djournald_2esocket"),
    ("-.mount", "_2d_2emount"),
    ("1x.service", "_31x_2eservice"),  # a leading digit is escaped, later ones are not
    ("a1.service", "a1_2eservice"),
    ("é", "_c3_a9"),
    ("", "_"),
])
def test_path_bus_escape(name: str, path: str) -> None:
    """go-systemd's PathBusEscape, the object path go-systemd's unitPath reads a unit's properties at."""
    assert dbus.path_bus_escape(name) == path
    assert sd.unit_path(name) == "/org/freedesktop/systemd1/unit/" + path


def test_unit_path_is_a_valid_object_path() -> None:
    jeepney.DBusAddress(sd.unit_path("getty@tty1.service"), bus_name="org.freedesktop.systemd1")


# -- ListUnits and the pure parts of systemd_linux.go ------------------------------------------------

UNIT_ROW = ("dbus.service", "D-Bus System Message Bus", "loaded", "active", "running", "",
            "/org/freedesktop/systemd1/unit/dbus_2eservice", 0, "", "/")


def test_list_units_reply_decodes() -> None:
    """go-systemd's ListUnitsContext: a(ssssssouso), encoded and decoded by jeepney."""
    request = jeepney.new_method_call(jeepney.DBusAddress(sd.SYSTEMD_PATH, bus_name=sd.SYSTEMD), "ListUnits")
    request.header.serial = 4
    reply = jeepney.new_method_return(request, sd.LIST_UNITS_SIGNATURE, ([UNIT_ROW, (
        *UNIT_ROW[:3], "failed", "failed", "", "/org/freedesktop/systemd1/unit/x", 7, "start",
        "/org/freedesktop/systemd1/job/7")],))
    units = sd.parse_list_units(dbus.reply_body(parse_one(reply.serialise(serial=9))))
    assert units[0] == sd.Unit(*UNIT_ROW)
    assert (units[1].active_state, units[1].job_id, units[1].job_type) == ("failed", 7, "start")


@pytest.mark.parametrize("body", [(), ([],) * 2, ("x",), ([("a", "b")],), ([UNIT_ROW[:9]],)])
def test_list_units_bad_shapes(body: tuple[Any, ...]) -> None:
    with pytest.raises(CollectorError):
        sd.parse_list_units(body)


@pytest.mark.parametrize(("text", "parsed"), [
    ("252.39-1~deb12u2", (252.39, "252.39-1~deb12u2")),
    ("257", (257.0, "257")),
    ("v245.4-4ubuntu3", (245.4, "v245.4-4ubuntu3")),
    ("99", (0.0, "")),  # fewer than three digits: no version
    ("", (0.0, "")),
])
def test_parse_version(text: str, parsed: tuple[float, str]) -> None:
    """getSystemdVersion: systemdVersionRE's match as the value, the whole text as the label."""
    assert sd.parse_version(text) == parsed


def test_virtualization_type() -> None:
    """getSystemdVirtualization: empty means bare metal."""
    assert sd.virtualization_type("") == "none"
    assert sd.virtualization_type("kvm") == "kvm"


def unit(name: str, active: str = "active", load: str = "loaded") -> sd.Unit:
    return sd.Unit(name, "", load, active, "", "", "/", 0, "", "/")


def test_summarize_units_counts_every_state() -> None:
    """summarizeUnits: the five states always, others (reloading) as they come."""
    summary = sd.summarize_units([unit("a.service"), unit("b.service", "failed"), unit("c.slice", "reloading"),
                                  unit("d.service", "active", "not-found")])
    assert summary == {"active": 2, "activating": 0, "deactivating": 0, "inactive": 0, "failed": 1, "reloading": 1}


def test_filter_units_anchors_both_patterns() -> None:
    """filterUnits with NewSystemdCollector's `^(?:%s)$`: whole names only, loaded units only."""
    include = sd.anchored(re.compile(sd.DEFAULT_INCLUDE))
    exclude = sd.anchored(re.compile(sd.DEFAULT_EXCLUDE))
    units = [unit("a.service"), unit("-.slice"), unit("x.mount"), unit("x.mount.service"), unit("tmp.automount"),
             unit("gone.service", load="not-found"), unit("bad.service", "failed", "error"), unit("t.timer")]
    assert [u.name for u in sd.filter_units(units, include, exclude)] == ["a.service", "x.mount.service", "t.timer"]
    just = sd.anchored(re.compile("a"))
    assert sd.filter_units([unit("a.service"), unit("a")], just, exclude) == [unit("a")]
    # An empty include flag anchors the empty pattern: nothing.
    assert sd.filter_units(units, sd.anchored(None), exclude) == []
    # Go's `$` ends the text; Python's would also match before a final newline.
    assert sd.anchored(re.compile("x.mount")).fullmatch("x.mount\n") is None


# -- the collector on a fake bus ----------------------------------------------------------------------


class FakeBus:
    """Answers ListUnits and Properties.Get from tables; an Exception in a table is raised."""

    def __init__(self, units: Iterable[sd.Unit], props: dict[tuple[str, str, str], Any],
                 manager: dict[str, Any]) -> None:
        self.units = [tuple(u) for u in units]
        self.props = props
        self.manager = manager
        self.closed = False
        self.list_error: Exception | None = None

    def call(self, destination: str, path: str, interface: str, member: str, signature: str = "",
             body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        assert (destination, path, interface, member) == (sd.SYSTEMD, sd.SYSTEMD_PATH, sd.MANAGER, "ListUnits")
        if self.list_error is not None:
            raise self.list_error
        return (self.units,)

    def get_property(self, destination: str, path: str, interface: str, name: str) -> dbus.Variant:
        assert destination == sd.SYSTEMD
        if path == sd.SYSTEMD_PATH:
            assert interface == sd.MANAGER
            value = self.manager.get(name, dbus.DBusError("org.freedesktop.DBus.Error.UnknownProperty"))
        else:
            assert path.startswith(sd.UNIT_PATH_PREFIX)
            value = self.props.get((path, interface, name),
                                   dbus.DBusError("org.freedesktop.DBus.Error.UnknownProperty"))
        if isinstance(value, BaseException):
            raise value
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        self.closed = True


def P(name: str, iface: str, prop: str) -> tuple[str, str, str]:
    return sd.unit_path(name), f"org.freedesktop.systemd1.{iface}", prop


MANAGER_OK = {"Version": ("s", "252.39-1~deb12u2"), "Virtualization": ("s", "docker"),
              "SystemState": ("s", "running")}


def make(options: dict[str, object] | None = None, bus: FakeBus | None = None) -> tuple[sd.SystemdCollector, FakeBus]:
    spec = load(["systemd"])["systemd"]
    ctx = CollectorContext(paths=Paths(), options=spec.options(options or {}), logger=logging.getLogger("t"))
    fake = bus or FakeBus([], {}, dict(MANAGER_OK))
    return sd.SystemdCollector(ctx, lambda private: fake), fake


def scrape(collector: sd.SystemdCollector) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in collector.collect():
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def L(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def test_collector_families_and_property_reads() -> None:
    """Update on a fake bus: every family, each property read through the unit's escaped path."""
    units = [unit("svc.service"), unit("gone.service", "inactive"), unit("t.timer"), unit("s.socket"),
             unit("old.socket"), unit("bad.socket"), unit("m.mount"), unit("-.slice"), unit("odd.service", "failed")]
    props = {
        P("svc.service", "Service", "Type"): ("s", "notify"),
        P("svc.service", "Service", "NRestarts"): ("u", 3),
        P("svc.service", "Unit", "ActiveEnterTimestamp"): ("t", 1_700_000_000_250_000),
        P("svc.service", "Service", "TasksCurrent"): ("t", 5),
        P("svc.service", "Service", "TasksMax"): ("t", 2**64 - 1),  # no limit: left out
        # gone.service vanished after ListUnits: every read fails
        P("gone.service", "Service", "Type"): dbus.DBusError("org.freedesktop.systemd1.NoSuchUnit"),
        P("t.timer", "Timer", "LastTriggerUSec"): ("t", 1_600_000_000_000_000),
        P("s.socket", "Socket", "NAccepted"): ("u", 10),
        P("s.socket", "Socket", "NConnections"): ("u", 2),
        P("s.socket", "Socket", "NRefused"): ("u", 1),
        P("old.socket", "Socket", "NAccepted"): ("u", 4),  # before systemd 239: no NRefused
        P("old.socket", "Socket", "NConnections"): ("u", 0),
        P("bad.socket", "Socket", "NAccepted"): ("s", "x"),  # a wrong type leaves the socket out
        P("odd.service", "Service", "Type"): ("u", 1),  # a wrong type: empty label
        P("odd.service", "Service", "NRestarts"): ("u", 0),
        P("odd.service", "Service", "TasksCurrent"): ("t", 0),
        P("odd.service", "Service", "TasksMax"): ("t", 100),
    }
    collector, bus = make({"enable-task-metrics": True, "enable-restarts-metrics": True,
                           "enable-start-time-metrics": True}, FakeBus(units, props, dict(MANAGER_OK)))
    got = scrape(collector)
    assert bus.closed
    assert got["node_systemd_version"] == {L(version="252.39-1~deb12u2"): 252.39}
    assert got["node_systemd_virtualization_info"] == {L(virtualization_type="docker"): 1.0}
    assert got["node_systemd_units"] == {L(state="active"): 7, L(state="activating"): 0, L(state="deactivating"): 0,
                                         L(state="inactive"): 1, L(state="failed"): 1}
    state = got["node_systemd_unit_state"]
    assert state[L(name="svc.service", state="active", type="notify")] == 1.0
    assert state[L(name="svc.service", state="failed", type="notify")] == 0.0
    assert state[L(name="gone.service", state="inactive", type="")] == 1.0
    assert state[L(name="odd.service", state="failed", type="")] == 1.0
    assert state[L(name="t.timer", state="active", type="")] == 1.0
    assert {dict(k)["name"] for k in state} == {"svc.service", "gone.service", "t.timer", "s.socket", "old.socket",
                                                "bad.socket", "odd.service"}  # mount and slice excluded
    assert len(state) == 7 * 5
    assert got["node_systemd_service_restart_total"] == {L(name="svc.service"): 3.0, L(name="odd.service"): 0.0}
    start = got["node_systemd_unit_start_time_seconds"]
    assert start[L(name="svc.service")] == 1_700_000_000.25
    assert start[L(name="gone.service")] == 0.0 and start[L(name="odd.service")] == 0.0  # not active: 0
    assert L(name="t.timer") not in start  # active, but its ActiveEnterTimestamp cannot be read
    assert got["node_systemd_unit_tasks_current"] == {L(name="svc.service"): 5.0, L(name="odd.service"): 0.0}
    assert got["node_systemd_unit_tasks_max"] == {L(name="odd.service"): 100.0}
    assert got["node_systemd_timer_last_trigger_seconds"] == {L(name="t.timer"): 1_600_000_000.0}
    assert got["node_systemd_socket_accepted_connections_total"] == {
        L(name="s.socket"): 10.0, L(name="old.socket"): 4.0}
    assert got["node_systemd_socket_current_connections"] == {L(name="s.socket"): 2.0, L(name="old.socket"): 0.0}
    assert got["node_systemd_socket_refused_connections_total"] == {L(name="s.socket"): 1.0}
    assert got["node_systemd_system_running"] == {(): 1.0}


def test_optional_families_off_by_default() -> None:
    collector, _ = make(bus=FakeBus([unit("svc.service")], {P("svc.service", "Service", "Type"): ("s", "simple")},
                                    dict(MANAGER_OK)))
    got = scrape(collector)
    for name in ("node_systemd_service_restart_total", "node_systemd_unit_start_time_seconds",
                 "node_systemd_unit_tasks_current", "node_systemd_unit_tasks_max"):
        assert name not in got


def test_manager_properties_missing_or_old() -> None:
    """getSystemdVersion without Version: 0 and ""; below 212 no timers and no system_running;
    getSystemdVirtualization on error: "unknown"."""
    collector, _ = make(bus=FakeBus([unit("t.timer")], {P("t.timer", "Timer", "LastTriggerUSec"): ("t", 1)}, {}))
    got = scrape(collector)
    assert got["node_systemd_version"] == {L(version=""): 0.0}
    assert got["node_systemd_virtualization_info"] == {L(virtualization_type="unknown"): 1.0}
    assert "node_systemd_timer_last_trigger_seconds" not in got
    assert "node_systemd_system_running" not in got

    collector, _ = make(bus=FakeBus([], {}, {"Version": ("s", "211"), "Virtualization": ("s", "")}))
    got = scrape(collector)
    assert got["node_systemd_version"] == {L(version="211"): 211.0}
    assert got["node_systemd_virtualization_info"] == {L(virtualization_type="none"): 1.0}
    assert "node_systemd_system_running" not in got


def test_system_state_not_running() -> None:
    collector, _ = make(bus=FakeBus([], {}, {**MANAGER_OK, "SystemState": ("s", "degraded")}))
    assert scrape(collector)["node_systemd_system_running"] == {(): 0.0}


def test_failures_fail_the_collector_after_what_it_gave() -> None:
    """Update returns the ListUnits and SystemState errors; what it sent before is served."""
    bus = FakeBus([], {}, dict(MANAGER_OK))
    bus.list_error = dbus.DBusError("org.freedesktop.DBus.Error.AccessDenied", "no")
    collector, _ = make(bus=bus)
    given = []
    with pytest.raises(CollectorError, match=r"couldn't get units: org\.freedesktop\.DBus\.Error\.AccessDenied: no"):
        for family in collector.collect():
            given.append(family.name)
    assert given == ["node_systemd_version", "node_systemd_virtualization_info"]
    assert bus.closed

    collector, _ = make(bus=FakeBus([], {}, {**MANAGER_OK, "SystemState": ("u", 1)}))
    with pytest.raises(CollectorError, match="couldn't get system state"):
        list(collector.collect())

    # A connection that breaks mid-scrape fails the collector rather than waiting on every unit.
    units = [unit("a.service"), unit("b.service")]
    collector, bus = make(bus=FakeBus(units, {P("a.service", "Service", "Type"): ConnectionResetError("gone")},
                                      dict(MANAGER_OK)))
    with pytest.raises(ConnectionResetError):
        list(collector.collect())
    assert bus.closed


def test_connection_failure_message() -> None:
    spec = load(["systemd"])["systemd"]
    ctx = CollectorContext(paths=Paths(), options=spec.options({}), logger=logging.getLogger("t"))

    def refuse(private: bool) -> sd.Bus:
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(CollectorError, match=r"couldn't get dbus connection: .*Connection refused"):
        list(sd.SystemdCollector(ctx, refuse).collect())


def test_connect_falls_back_to_the_private_socket_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """go-systemd's NewWithContext: the system bus; as root, the private socket when it fails.
    --collector.systemd.private: the private socket, without Hello (no bus there)."""
    opened: list[tuple[str, bool]] = []

    def fake_open(address: str, *, hello: bool, timeout: float = 1.0) -> str:
        opened.append((address, hello))
        if "system_bus_socket" in address:
            raise FileNotFoundError(2, "No such file or directory")
        return "conn"

    monkeypatch.setattr(dbus.Connection, "open", staticmethod(fake_open))
    monkeypatch.delenv("DBUS_SYSTEM_BUS_ADDRESS", raising=False)
    assert sd.connect(True) == "conn"  # type: ignore[comparison-overlap]
    assert opened == [("unix:path=/run/systemd/private", False)]
    opened.clear()
    assert sd.connect(False, euid=0) == "conn"  # type: ignore[comparison-overlap]
    assert opened == [("unix:path=/var/run/dbus/system_bus_socket", True), ("unix:path=/run/systemd/private", False)]
    with pytest.raises(FileNotFoundError):
        sd.connect(False, euid=1000)


# -- flags ------------------------------------------------------------------------------------------------


def test_flags_and_deprecated_aliases(caplog: pytest.LogCaptureFixture) -> None:
    """NewSystemdCollector: unit-blacklist/unit-whitelist stand in for unit-exclude/unit-include,
    and may not be given with them."""
    spec = load(["systemd"])["systemd"]
    names = {f.name: f.default for f in spec.flags}
    assert names == {"unit-include": ".+", "unit-whitelist": "",
                     "unit-exclude": r".+\.(automount|device|mount|scope|slice)", "unit-blacklist": "",
                     "private": False, "enable-task-metrics": False, "enable-restarts-metrics": False,
                     "enable-start-time-metrics": False}
    collector, _ = make({"unit-blacklist": r"a\..*", "unit-whitelist": ".*"})
    assert collector.exclude.pattern == r"(?:a\..*)" and collector.include.pattern == "(?:.*)"
    assert "unit-blacklist is DEPRECATED" in caplog.text
    with pytest.raises(FlagValueError, match=r"--collector\.systemd\.unit-blacklist and "
                                             r"--collector\.systemd\.unit-exclude are mutually exclusive"):
        make({"unit-blacklist": "a", "unit-exclude": "b"})
    with pytest.raises(FlagValueError, match=r"--collector\.systemd\.unit-whitelist and "
                                             r"--collector\.systemd\.unit-include are mutually exclusive"):
        make({"unit-whitelist": "a", "unit-include": "b"})
    with pytest.raises(FlagValueError):
        make({"unit-include": "("})
