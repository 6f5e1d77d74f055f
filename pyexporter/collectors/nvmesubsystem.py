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

Namespaces are the entries named `nvme<N>n<M>` (the block devices the subsystem exposes, such as
nvme0n1), reported as node_nvmesubsystem_namespace_info{subsystem,device}.

path_state has one sample for each state of nvmeMetricStates (connecting, dead, deleting, live,
new, resetting, unknown): 1 for the controller's state as normalizeControllerState maps it
(`deleting (no IO)` is deleting; anything not in nvmeControllerStateMap is unknown).

Versions: this is the newest nvmesubsystem_linux.go and its test (TestNVMeSubsystemMetrics, whose
expected output node_exporter's fixture tree gives here); earlier revisions had five states and no
namespace family. The procfs parser of the newest revision was not in the stored sources: the
namespace pattern follows the kernel's naming and upstream's fixture (an `nvme0n1` directory).
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
_NAMESPACE = re.compile(r"nvme[0-9]+n[0-9]+", re.ASCII)

# nvmeControllerStateMap: the kernel's controller states and the label value each is reported as.
_STATE_MAP = {
    "live": "live", "connecting": "connecting", "resetting": "resetting", "dead": "dead",
    "deleting": "deleting", "deleting (no IO)": "deleting", "new": "new",
}
# nvmeMetricStates: the label values, sorted, with unknown.
STATES = tuple(sorted({*_STATE_MAP.values(), "unknown"}))

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
    namespaces: list[str] = field(default_factory=list)


def normalize_controller_state(raw: str) -> str:
    return _STATE_MAP.get(raw, "unknown")


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
        if _NAMESPACE.fullmatch(entry):
            subsystem.namespaces.append(entry)
            continue
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
        namespace_info = GaugeMetricFamily(
            "node_nvmesubsystem_namespace_info", "Maps an NVMe namespace block device to its subsystem.",
            labels=["subsystem", "device"],
        )
        path_state = GaugeMetricFamily(
            "node_nvmesubsystem_path_state",
            "Current NVMe controller path state (1 for the current state, 0 for all others).",
            labels=["subsystem", "controller", "transport", "state"],
        )
        for subsys in subsystems:
            info.add_metric([subsys.name, subsys.nqn, subsys.model, subsys.serial, subsys.iopolicy], 1)
            for namespace in subsys.namespaces:
                namespace_info.add_metric([subsys.name, namespace], 1)
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
        if namespace_info.samples:
            yield namespace_info
        if path_state.samples:
            yield path_state
        yield paths
        yield paths_live
