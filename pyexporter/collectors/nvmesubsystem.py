"""nvmesubsystem: NVMe(-oF) subsystems and the health of their controller paths, from
/sys/class/nvme-subsystem, as node_exporter's nvmesubsystem collector
(collector/nvmesubsystem_linux.go: Update, normalizeControllerState) over procfs's
sysfs/class_nvme_subsystem.go (NVMeSubsystemClass, parseNVMeSubsystem,
parseNVMeSubsystemController).

The subsystems are the entries whose name begins with `nvme-subsys`, in name order; each must
have readable subsysnqn, model, serial and iopolicy. Its controllers are the entries named
`nvme<N>` (`^nvme\\d+$`, ASCII digits; namespaces such as nvme0n1 are not controllers), each with
readable state, transport and address (address is read but not reported). Every read is
util.SysReadFile: one read, trimmed.

Any error that is os.ErrNotExist or os.ErrPermission (a missing class directory, a missing or
unreadable attribute anywhere) is node_exporter's ErrNoData: nothing at all. Any other error
(say ENOTDIR) fails the collector. An empty class directory is success with nothing.

path_state has one sample for each of live, connecting, resetting, dead and unknown: 1 for the
controller's state, where a state other than live, connecting, resetting, dead, deleting,
`deleting (no IO)` and new is unknown, so that deleting and new controllers have all five at 0.

Versions: this follows node_exporter's nvmesubsystem_linux.go as its procfs parser is stored.
Other node_exporter revisions of the file add node_nvmesubsystem_namespace_info{subsystem,device}
from an NVMeSubsystem.Namespaces field (and one of them the states deleting and new); the procfs
parser that fills that field was not found, so that family is not reported.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.numbers import sys_read_file

_CLASS = ("class", "nvme-subsystem")
_SUBSYSTEM_PREFIX = "nvme-subsys"
_CONTROLLER = re.compile(r"nvme[0-9]+", re.ASCII)

# The path_state label values, in node_exporter's order.
STATES = ("live", "connecting", "resetting", "dead", "unknown")
# The states normalizeControllerState keeps as they are.
_KNOWN = frozenset({"live", "connecting", "resetting", "dead", "deleting", "deleting (no IO)", "new"})

# Go's errors.Is(err, os.ErrNotExist) / errors.Is(err, os.ErrPermission) for a syscall.Errno.
_NO_DATA_ERRNOS = frozenset({errno.ENOENT, errno.EACCES, errno.EPERM})


class _NoData(Exception):
    """An error NVMeSubsystemClass returns that Update turns into ErrNoData."""


@dataclass(frozen=True, slots=True)
class Controller:
    name: str
    state: str
    transport: str
    address: str


@dataclass(slots=True)
class Subsystem:
    name: str
    nqn: str
    model: str
    serial: str
    iopolicy: str
    controllers: list[Controller] = field(default_factory=list)


def normalize_controller_state(raw: str) -> str:
    return raw if raw in _KNOWN else "unknown"


def _read(path: str, what: str) -> str:
    try:
        return sys_read_file(path)
    except OSError as err:
        message = f"failed to read {what}: {err}"
        if err.errno in _NO_DATA_ERRNOS:
            raise _NoData(message) from None
        raise CollectorError(message) from None


def _read_dir(path: str) -> list[str]:
    """os.ReadDir's names, sorted."""
    try:
        return sorted(os.listdir(path))
    except OSError as err:
        message = f"failed to list {path!r}: {err}"
        if err.errno in _NO_DATA_ERRNOS:
            raise _NoData(message) from None
        raise CollectorError(message) from None


def read_subsystem(class_dir: str, name: str) -> Subsystem:
    """parseNVMeSubsystem and its controllers."""
    path = os.path.join(class_dir, name)
    nqn, model, serial, iopolicy = (
        _read(os.path.join(path, attr), f"{attr} for {name}") for attr in ("subsysnqn", "model", "serial", "iopolicy")
    )
    subsystem = Subsystem(name, nqn, model, serial, iopolicy)
    for entry in _read_dir(path):
        if not _CONTROLLER.fullmatch(entry):
            continue
        ctrl = os.path.join(path, entry)
        state, transport, address = (
            _read(os.path.join(ctrl, attr), f"{attr} for {name}/{entry}") for attr in ("state", "transport", "address")
        )
        subsystem.controllers.append(Controller(entry, state, transport, address))
    return subsystem


def read_subsystems(class_dir: str) -> list[Subsystem]:
    """NVMeSubsystemClass; NoDataError where Update returns ErrNoData."""
    try:
        return [
            read_subsystem(class_dir, name)
            for name in _read_dir(class_dir)
            if name.startswith(_SUBSYSTEM_PREFIX)
        ]
    except _NoData as err:
        raise NoDataError(f"could not read NVMe subsystem info: {err}") from None


@collector("nvmesubsystem", default=False)
class NVMeSubsystemCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        subsystems = read_subsystems(self.paths.sys(*_CLASS))
        if not subsystems:
            return
        info = GaugeMetricFamily(
            "node_nvmesubsystem_info", "Non-numeric information about an NVMe subsystem.",
            labels=["subsystem", "nqn", "model", "serial", "iopolicy"],
        )
        paths = GaugeMetricFamily(
            "node_nvmesubsystem_paths", "Number of controller paths for an NVMe subsystem.", labels=["subsystem"]
        )
        paths_live = GaugeMetricFamily(
            "node_nvmesubsystem_paths_live", "Number of controller paths in live state for an NVMe subsystem.",
            labels=["subsystem"],
        )
        path_state = GaugeMetricFamily(
            "node_nvmesubsystem_path_state",
            "Current NVMe controller path state (1 for the current state, 0 for all others).",
            labels=["subsystem", "controller", "transport", "state"],
        )
        for subsys in subsystems:
            info.add_metric([subsys.name, subsys.nqn, subsys.model, subsys.serial, subsys.iopolicy], 1)
            live = 0
            for ctrl in subsys.controllers:
                state = normalize_controller_state(ctrl.state)
                if state == "live":
                    live += 1
                for s in STATES:
                    path_state.add_metric([subsys.name, ctrl.name, ctrl.transport, s], 1.0 if s == state else 0.0)
            paths.add_metric([subsys.name], len(subsys.controllers))
            paths_live.add_metric([subsys.name], live)
        yield info
        if path_state.samples:
            yield path_state
        yield paths
        yield paths_live
