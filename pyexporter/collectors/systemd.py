"""systemd: the service manager's units and state over D-Bus, as node_exporter's systemd collector
(collector/systemd_linux.go: NewSystemdCollector, Update, collectUnitStatusMetrics, collectSockets,
collectUnitStartTimeMetrics, collectUnitTasksMetrics, collectTimers, collectSummaryMetrics,
collectSystemState, newSystemdDbusConn, getAllUnits, summarizeUnits, filterUnits,
getSystemdVersion, getSystemdVirtualization; over coreos/go-systemd/v22/dbus: ListUnitsContext,
GetUnitTypePropertyContext, GetUnitPropertyContext, GetManagerProperty, PathBusEscape). Off by
default. (Not pyexporter/systemd.py, which is the server's own socket activation.)

What it asks systemd, as node_exporter does:
- the Manager's Version (node_systemd_version, value the number in it, 0 and "" when it has none),
  Virtualization (node_systemd_virtualization_info; "none" when empty, "unknown" on error) and,
  from version 212, SystemState (node_systemd_system_running);
- ListUnits: the units systemd has loaded or that something refers to (not every unit file).
  node_systemd_units counts all of them by ActiveState; the per-unit families only the units
  whose name matches unit-include, does not match unit-exclude (both anchored: the whole name)
  and whose LoadState is "loaded";
- per unit, properties of its type's interface read through the unit's object path (go-systemd
  builds the path from the name with PathBusEscape, it does not call GetUnit): Service.Type or
  Mount.Type for the `type` label of node_systemd_unit_state, Service.NRestarts, Unit
  ActiveEnterTimestamp, Service.TasksCurrent/TasksMax, Timer.LastTriggerUSec, Socket.NAccepted/
  NConnections/NRefused. A property that cannot be read (the unit went away between ListUnits and
  the read, an older systemd without it) leaves out that sample only, logged at debug level.

The connection: the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else /var/run/dbus/system_bus_socket),
falling back, as root, to systemd's private socket /run/systemd/private as go-systemd's
NewWithContext does; --collector.systemd.private goes to the private socket directly.

Deliberate differences: the property reads run one after another on the one connection, where
node_exporter runs its groups of them in goroutines; a property of an unexpected D-Bus type
(node_exporter would panic on its type assertion) leaves out that sample like a failed read. The
deprecated unit-whitelist/unit-blacklist clash with unit-include/unit-exclude only when those are
given a value other than their default (node_exporter: when given at all). node_exporter's newest
source has a start of ScheduledShutdown reading that logs and emits nothing; it is left out.
D-Bus is spoken through jeepney (see pyexporter/collectors/dbus.py for why).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import FlagValueError, flag
from pyexporter.toolkit import dbus
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily

SYSTEMD = "org.freedesktop.systemd1"
SYSTEMD_PATH = "/org/freedesktop/systemd1"
MANAGER = "org.freedesktop.systemd1.Manager"
UNIT = "org.freedesktop.systemd1.Unit"
UNIT_PATH_PREFIX = "/org/freedesktop/systemd1/unit/"

# systemd_linux.go's minSystemdVersionSystemState: SystemState and Timer.LastTriggerUSec from 212.
MIN_SYSTEMD_VERSION_SYSTEM_STATE = 212
UNIT_STATES = ("active", "activating", "deactivating", "inactive", "failed")
SYSTEMD_VERSION = re.compile(r"[0-9]{3,}(\.[0-9]+)?")
MAX_UINT64 = 2**64 - 1

DEFAULT_INCLUDE = ".+"
DEFAULT_EXCLUDE = r".+\.(automount|device|mount|scope|slice)"


class Unit(NamedTuple):
    """One entry of Manager.ListUnits, a(ssssssouso) (go-systemd's UnitStatus)."""

    name: str
    description: str
    load_state: str
    active_state: str
    sub_state: str
    followed: str
    path: str
    job_id: int
    job_type: str
    job_path: str


LIST_UNITS_SIGNATURE = "a(ssssssouso)"


def parse_list_units(body: tuple[Any, ...]) -> list[Unit]:
    """The units of a ListUnits reply body (one array of 10-field structs); CollectorError when the
    reply has another shape."""
    if len(body) != 1 or not isinstance(body[0], list):
        raise CollectorError(f"ListUnits: unexpected reply {str(body)[:200]}")
    units = []
    for entry in body[0]:
        if not isinstance(entry, tuple) or len(entry) != 10:
            raise CollectorError(f"ListUnits: unexpected unit entry {str(entry)[:200]}")
        units.append(Unit(*entry))
    return units


def unit_path(name: str) -> str:
    """go-systemd's unitPath: the object path of unit NAME."""
    return UNIT_PATH_PREFIX + dbus.path_bus_escape(name)


def parse_version(version: str) -> tuple[float, str]:
    """getSystemdVersion on the Version property's text: (the number in it, the text); (0, "")
    without a number of three digits or more."""
    match = SYSTEMD_VERSION.search(version)
    if match is None:
        return 0.0, ""
    return float(match.group(0)), version


def virtualization_type(value: str) -> str:
    """getSystemdVirtualization: the Virtualization property, "none" when empty."""
    value = value.strip('"')
    return value or "none"


def summarize_units(units: Iterable[Unit]) -> dict[str, float]:
    """summarizeUnits: units by ActiveState; the five usual states always, others as seen."""
    summary = dict.fromkeys(UNIT_STATES, 0.0)
    for unit in units:
        summary[unit.active_state] = summary.get(unit.active_state, 0.0) + 1.0
    return summary


def anchored(pattern: re.Pattern[str] | None) -> re.Pattern[str]:
    """Go's regexp.MustCompile(fmt.Sprintf("^(?:%s)$", flag)), for fullmatch; an empty flag
    anchors the empty pattern, which matches only the empty name."""
    return re.compile(f"(?:{pattern.pattern if pattern is not None else ''})")


def filter_units(units: Iterable[Unit], include: re.Pattern[str], exclude: re.Pattern[str]) -> list[Unit]:
    """filterUnits: units whose whole name matches INCLUDE and not EXCLUDE, loaded ones only."""
    return [
        unit for unit in units
        if include.fullmatch(unit.name) and not exclude.fullmatch(unit.name) and unit.load_state == "loaded"
    ]


class PropertyError(CollectorError):
    """A property that could not be read or is not of the expected D-Bus type."""


def expect(variant: dbus.Variant, signature: str, what: str) -> Any:
    """The value of VARIANT when its signature is SIGNATURE; PropertyError otherwise."""
    sig, value = variant
    if sig != signature:
        raise PropertyError(f"{what}: expected D-Bus type {signature!r}, got {sig!r}")
    return value


class Bus(Protocol):
    """What the collector needs of a D-Bus connection (dbus.Connection; a fake in tests)."""

    def call(self, destination: str, path: str, interface: str, member: str, signature: str = "",
             body: tuple[Any, ...] = ()) -> tuple[Any, ...]: ...

    def get_property(self, destination: str, path: str, interface: str, name: str) -> dbus.Variant: ...

    def close(self) -> None: ...


def connect(private: bool, *, euid: int | None = None) -> dbus.Connection:
    """newSystemdDbusConn: systemd's private socket with PRIVATE; otherwise the system bus, and as
    root the private socket when the bus cannot be had (go-systemd's NewWithContext)."""
    if private:
        return dbus.Connection.open(dbus.SYSTEMD_PRIVATE_ADDRESS, hello=False)
    try:
        return dbus.Connection.open(dbus.system_bus_address(), hello=True)
    except (OSError, CollectorError):
        if (os.geteuid() if euid is None else euid) != 0:
            raise
        return dbus.Connection.open(dbus.SYSTEMD_PRIVATE_ADDRESS, hello=False)


@dataclass(frozen=True, slots=True)
class SystemdOptions:
    unit_include: re.Pattern[str] | None = flag(
        "unit-include",
        "Regexp of systemd units to include. Units must both match include and not match exclude to be included.",
        DEFAULT_INCLUDE)
    unit_whitelist: re.Pattern[str] | None = flag(
        "unit-whitelist", "DEPRECATED: Use --collector.systemd.unit-include", "")
    unit_exclude: re.Pattern[str] | None = flag(
        "unit-exclude",
        "Regexp of systemd units to exclude. Units must both match include and not match exclude to be included.",
        DEFAULT_EXCLUDE)
    unit_blacklist: re.Pattern[str] | None = flag(
        "unit-blacklist", "DEPRECATED: Use collector.systemd.unit-exclude", "")
    private: bool = flag(
        "private",
        "Establish a private, direct connection to systemd without dbus (Strongly discouraged since it "
        "requires root. For testing purposes only).",
        False)
    enable_task_metrics: bool = flag(
        "enable-task-metrics", "Enables service unit tasks metrics unit_tasks_current and unit_tasks_max", False)
    enable_restarts_metrics: bool = flag(
        "enable-restarts-metrics", "Enables service unit metric service_restart_total", False)
    enable_start_time_metrics: bool = flag(
        "enable-start-time-metrics", "Enables service unit metric unit_start_time_seconds", False)


def resolve_deprecated(current: re.Pattern[str] | None, default: str, old: re.Pattern[str] | None,
                       current_flag: str, old_flag: str) -> tuple[re.Pattern[str] | None, bool]:
    """NewSystemdCollector's handling of a deprecated flag: (the pattern to use, whether the old
    flag stood in); FlagValueError when both are given."""
    if old is None or old.pattern == "":
        return current, False
    if current is not None and current.pattern != default:
        raise FlagValueError(f"--{old_flag} and --{current_flag} are mutually exclusive")
    return old, True


@collector("systemd", default=False, options=SystemdOptions)
class SystemdCollector(Collector[SystemdOptions]):
    def __init__(self, ctx: CollectorContext[SystemdOptions], connector: Callable[[bool], Bus] | None = None) -> None:
        super().__init__(ctx)
        options = self.options
        exclude, old_exclude = resolve_deprecated(
            options.unit_exclude, DEFAULT_EXCLUDE, options.unit_blacklist,
            "collector.systemd.unit-exclude", "collector.systemd.unit-blacklist")
        if old_exclude:
            self.log.warning("--collector.systemd.unit-blacklist is DEPRECATED and will be removed in 2.0.0, "
                             "use --collector.systemd.unit-exclude")
        include, old_include = resolve_deprecated(
            options.unit_include, DEFAULT_INCLUDE, options.unit_whitelist,
            "collector.systemd.unit-include", "collector.systemd.unit-whitelist")
        if old_include:
            self.log.warning("--collector.systemd.unit-whitelist is DEPRECATED and will be removed in 2.0.0, "
                             "use --collector.systemd.unit-include")
        try:
            self.include = anchored(include)
            self.exclude = anchored(exclude)
        except re.error as err:
            raise FlagValueError(f"--collector.systemd.unit-include/exclude: {err}") from None
        self.log.info("Parsed flag --collector.systemd.unit-include",
                      extra={"kv": {"flag": include.pattern if include is not None else ""}})
        self.log.info("Parsed flag --collector.systemd.unit-exclude",
                      extra={"kv": {"flag": exclude.pattern if exclude is not None else ""}})
        # How to reach systemd (PRIVATE: its private socket): tests give a fake bus.
        self._connect: Callable[[bool], Bus] = connector or connect

    # -- one scrape --------------------------------------------------------------------------------

    def collect(self) -> Iterator[Metric]:
        try:
            bus = self._connect(self.options.private)
        except (OSError, CollectorError) as err:
            raise CollectorError(f"couldn't get dbus connection: {err}") from err
        try:
            yield from self._collect(bus)
        finally:
            bus.close()

    def _collect(self, bus: Bus) -> Iterator[Metric]:
        version, version_full = self.systemd_version(bus)
        if version < MIN_SYSTEMD_VERSION_SYSTEM_STATE:
            self.log.debug("Detected systemd version is lower than minimum, some systemd state and timer "
                           "metrics will not be available",
                           extra={"kv": {"current": version, "minimum": MIN_SYSTEMD_VERSION_SYSTEM_STATE}})
        family = GaugeMetricFamily("node_systemd_version", "Detected systemd version", labels=["version"])
        family.add_metric([version_full], version)
        yield family

        family = GaugeMetricFamily("node_systemd_virtualization_info", "Detected virtualization technology",
                                   labels=["virtualization_type"])
        family.add_metric([self.virtualization(bus)], 1.0)
        yield family

        try:
            all_units = parse_list_units(bus.call(SYSTEMD, SYSTEMD_PATH, MANAGER, "ListUnits"))
        except (OSError, CollectorError) as err:
            raise CollectorError(f"couldn't get units: {err}") from err

        family = GaugeMetricFamily("node_systemd_units", "Summary of systemd unit states", labels=["state"])
        for state, count in summarize_units(all_units).items():
            family.add_metric([state], count)
        yield family

        units = filter_units(all_units, self.include, self.exclude)
        yield from self.unit_status(bus, units)
        if self.options.enable_start_time_metrics:
            yield self.start_times(bus, units)
        if self.options.enable_task_metrics:
            yield from self.tasks(bus, units)
        if version >= MIN_SYSTEMD_VERSION_SYSTEM_STATE:
            yield self.timers(bus, units)
        yield from self.sockets(bus, units)
        if version >= MIN_SYSTEMD_VERSION_SYSTEM_STATE:
            try:
                state = expect(bus.get_property(SYSTEMD, SYSTEMD_PATH, MANAGER, "SystemState"), "s", "SystemState")
            except (OSError, CollectorError) as err:
                raise CollectorError(f"couldn't get system state: {err}") from err
            yield GaugeMetricFamily(
                "node_systemd_system_running",
                "Whether the system is operational (see 'systemctl is-system-running')",
                value=1.0 if state == "running" else 0.0)

    def _unit_property(self, bus: Bus, unit: Unit, interface: str, name: str, signature: str) -> Any:
        """A property of UNIT's INTERFACE (a systemd1 type such as "Service", or UNIT), or None after a
        debug line when systemd answers with an error or a value of another type (node_exporter's
        lines name the property in the message: "couldn't get unit NRestarts"; here it is a value).
        A broken or silent connection (OSError) fails the collector: every further read would wait
        as long."""
        iface = interface if interface.startswith("org.") else f"{SYSTEMD}.{interface}"
        try:
            return expect(bus.get_property(SYSTEMD, unit_path(unit.name), iface, name), signature, name)
        except CollectorError as err:
            self.log.debug("couldn't get unit property",
                           extra={"kv": {"unit": unit.name, "property": name, "err": str(err)}})
            return None

    def systemd_version(self, bus: Bus) -> tuple[float, str]:
        try:
            version = expect(bus.get_property(SYSTEMD, SYSTEMD_PATH, MANAGER, "Version"), "s", "Version")
        except CollectorError:
            self.log.debug("Unable to get systemd version property, defaulting to 0")
            return 0.0, ""
        number, full = parse_version(version)
        if not full:
            self.log.debug("Got invalid systemd version", extra={"kv": {"version": version}})
        return number, full

    def virtualization(self, bus: Bus) -> str:
        try:
            value = expect(bus.get_property(SYSTEMD, SYSTEMD_PATH, MANAGER, "Virtualization"), "s",
                           "Virtualization")
        except CollectorError as err:
            self.log.debug("Could not get Virtualization property", extra={"kv": {"err": str(err)}})
            return "unknown"
        return virtualization_type(value)

    def unit_status(self, bus: Bus, units: list[Unit]) -> Iterator[Metric]:
        """collectUnitStatusMetrics: node_systemd_unit_state, and service_restart_total."""
        states = GaugeMetricFamily("node_systemd_unit_state", "Systemd unit", labels=["name", "state", "type"])
        restarts = CounterMetricFamily("node_systemd_service_restart_total", "Service unit count of Restart triggers",
                                       labels=["name"])
        for unit in units:
            unit_type = None
            if unit.name.endswith(".service"):
                unit_type = self._unit_property(bus, unit, "Service", "Type", "s")
            elif unit.name.endswith(".mount"):
                unit_type = self._unit_property(bus, unit, "Mount", "Type", "s")
            for state in UNIT_STATES:
                states.add_metric([unit.name, state, unit_type or ""], 1.0 if state == unit.active_state else 0.0)
            if self.options.enable_restarts_metrics and unit.name.endswith(".service"):
                # NRestarts came with systemd 235.
                count = self._unit_property(bus, unit, "Service", "NRestarts", "u")
                if count is not None:
                    restarts.add_metric([unit.name], float(count))
        yield states
        yield restarts

    def start_times(self, bus: Bus, units: list[Unit]) -> Metric:
        """collectUnitStartTimeMetrics: 0 for a unit that is not active."""
        family = GaugeMetricFamily("node_systemd_unit_start_time_seconds",
                                   "Start time of the unit since unix epoch in seconds.", labels=["name"])
        for unit in units:
            if unit.active_state != "active":
                usec = 0
            else:
                usec = self._unit_property(bus, unit, UNIT, "ActiveEnterTimestamp", "t")
                if usec is None:
                    continue
            family.add_metric([unit.name], usec / 1e6)
        return family

    def tasks(self, bus: Bus, units: list[Unit]) -> Iterator[Metric]:
        """collectUnitTasksMetrics: services only; "no value" (MaxUint64) is left out."""
        current = GaugeMetricFamily("node_systemd_unit_tasks_current", "Current number of tasks per Systemd unit",
                                    labels=["name"])
        maximum = GaugeMetricFamily("node_systemd_unit_tasks_max", "Maximum number of tasks per Systemd unit",
                                    labels=["name"])
        for unit in units:
            if not unit.name.endswith(".service"):
                continue
            value = self._unit_property(bus, unit, "Service", "TasksCurrent", "t")
            if value is not None and value != MAX_UINT64:
                current.add_metric([unit.name], float(value))
            value = self._unit_property(bus, unit, "Service", "TasksMax", "t")
            if value is not None and value != MAX_UINT64:
                maximum.add_metric([unit.name], float(value))
        yield current
        yield maximum

    def timers(self, bus: Bus, units: list[Unit]) -> Metric:
        """collectTimers."""
        family = GaugeMetricFamily("node_systemd_timer_last_trigger_seconds", "Seconds since epoch of last trigger.",
                                   labels=["name"])
        for unit in units:
            if not unit.name.endswith(".timer"):
                continue
            usec = self._unit_property(bus, unit, "Timer", "LastTriggerUSec", "t")
            if usec is not None:
                family.add_metric([unit.name], usec / 1e6)
        return family

    def sockets(self, bus: Bus, units: list[Unit]) -> Iterator[Metric]:
        """collectSockets: a socket whose NAccepted or NConnections cannot be read is left at that;
        NRefused (systemd 239) is a gauge under a _total name, as in node_exporter."""
        accepted = CounterMetricFamily("node_systemd_socket_accepted_connections_total",
                                       "Total number of accepted socket connections", labels=["name"])
        current = GaugeMetricFamily("node_systemd_socket_current_connections",
                                    "Current number of socket connections", labels=["name"])
        refused = GaugeMetricFamily("node_systemd_socket_refused_connections_total",
                                    "Total number of refused socket connections", labels=["name"])
        for unit in units:
            if not unit.name.endswith(".socket"):
                continue
            value = self._unit_property(bus, unit, "Socket", "NAccepted", "u")
            if value is None:
                continue
            accepted.add_metric([unit.name], float(value))
            value = self._unit_property(bus, unit, "Socket", "NConnections", "u")
            if value is None:
                continue
            current.add_metric([unit.name], float(value))
            try:
                value = expect(bus.get_property(SYSTEMD, unit_path(unit.name), f"{SYSTEMD}.Socket", "NRefused"),
                               "u", "NRefused")
            except CollectorError:
                continue
            refused.add_metric([unit.name], float(value))
        yield accepted
        yield current
        yield refused
