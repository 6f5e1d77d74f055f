"""nvme: /sys/class/nvme/<controller> and its namespaces, as node_exporter's nvme collector
(collector/nvme_linux.go: Update; over sysfs's class_nvme.go: NVMeClass, parseNVMeDevice).

A controller's firmware_rev, model, serial, state and cntlid are required (any read error
fails). Its namespaces are the entries whose name contains `nvme<N>n<nsid>`, or
`nvme<N>c<M>n<nsid>` under native multipath (sysfs's nvmeNamespacePattern, an unanchored
match; one sysfs release required the `c<M>`, which upstream's own fixture, `nvme0n1`, and
e2e output show it no longer does). In a namespace,
nuse, size and queue/logical_block_size must be readable, but a value that is not a number
reads as 0; ana_state is optional (`unknown` when unreadable). Byte counts are uint64 products,
wrapping as Go's do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import list_dir
from pyexporter.toolkit.numbers import NumberError, parse_uint, sys_read_file

# sysfs's nvmeNamespacePattern, searched (not anchored) in each entry's name.
_NAMESPACE = re.compile(r"nvme\d+(?:c\d+)?n(\d+)", re.ASCII)
_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Namespace:
    nsid: str
    size_blocks: int
    used_blocks: int
    logical_block_size: int
    ana_state: str


@dataclass(slots=True)
class Controller:
    name: str
    serial: str
    model: str
    state: str
    firmware_revision: str
    controller_id: str
    namespaces: list[Namespace] = field(default_factory=list)


def _blocks(text: str) -> int:
    """`if val, err := strconv.ParseUint(value, 10, 64); err == nil`: 0 when not a number."""
    try:
        return parse_uint(text)
    except NumberError:
        return 0


def read_namespace(path: str, nsid: str) -> Namespace:
    """One namespace as parseNVMeDevice reads it."""
    values = []
    for name in ("nuse", "size", os.path.join("queue", "logical_block_size")):
        file_path = os.path.join(path, name)
        try:
            values.append(_blocks(sys_read_file(file_path)))
        except OSError as err:
            raise CollectorError(f"failed to read file {file_path!r}: {err}") from None
    used, size, block = values
    try:
        ana = sys_read_file(os.path.join(path, "ana_state"))
    except OSError:
        ana = "unknown"
    return Namespace(nsid, size, used, block, ana)


def read_controller(path: str) -> Controller:
    def attr(name: str) -> str:
        try:
            return sys_read_file(os.path.join(path, name))
        except OSError as err:
            raise CollectorError(f"failed to read file {os.path.join(path, name)!r}: {err}") from None

    ctrl = Controller(
        name=os.path.basename(path),
        serial=attr("serial"),
        model=attr("model"),
        state=attr("state"),
        firmware_revision=attr("firmware_rev"),
        controller_id=attr("cntlid"),
    )
    for entry in list_dir(path):
        match = _NAMESPACE.search(entry)
        if match:
            ctrl.namespaces.append(read_namespace(os.path.join(path, entry), match.group(1)))
    return ctrl


@collector("nvme")
class NVMeCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("class", "nvme")
        if not os.path.isdir(base):
            raise NoDataError("nvme statistics not found, skipping")
        controllers = [read_controller(os.path.join(base, name)) for name in list_dir(base)]
        if not controllers:
            return
        info = GaugeMetricFamily(
            "node_nvme_info", "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
            labels=["device", "firmware_revision", "model", "serial", "state", "cntlid"],
        )
        ns_labels = ["device", "nsid"]
        ns_info = GaugeMetricFamily(
            "node_nvme_namespace_info", "Information about NVMe namespaces. Value is always 1",
            labels=["device", "nsid", "ana_state"],
        )
        capacity = GaugeMetricFamily(
            "node_nvme_namespace_capacity_bytes",
            "Capacity of the NVMe namespace in bytes. Computed as namespace_size * namespace_logical_block_size",
            labels=ns_labels,
        )
        size = GaugeMetricFamily(
            "node_nvme_namespace_size_bytes",
            "Size of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/size",
            labels=ns_labels,
        )
        used = GaugeMetricFamily(
            "node_nvme_namespace_used_bytes",
            "Used space of the NVMe namespace in bytes. Available in /sys/class/nvme/<device>/<namespace>/nuse",
            labels=ns_labels,
        )
        block = GaugeMetricFamily(
            "node_nvme_namespace_logical_block_size_bytes",
            "Logical block size of the NVMe namespace in bytes. Usually 4Kb. Available in "
            "/sys/class/nvme/<device>/<namespace>/queue/logical_block_size",
            labels=ns_labels,
        )
        for c in controllers:
            info.add_metric(
                [c.name, c.firmware_revision, c.model, c.serial, c.state, c.controller_id], 1
            )
            for ns in c.namespaces:
                ns_info.add_metric([c.name, ns.nsid, ns.ana_state], 1)
                capacity.add_metric([c.name, ns.nsid], (ns.size_blocks * ns.logical_block_size) & _U64)
                size.add_metric([c.name, ns.nsid], (ns.size_blocks * ns.logical_block_size) & _U64)
                used.add_metric([c.name, ns.nsid], (ns.used_blocks * ns.logical_block_size) & _U64)
                block.add_metric([c.name, ns.nsid], ns.logical_block_size)
        yield from (f for f in (info, ns_info, capacity, size, used, block) if f.samples)
