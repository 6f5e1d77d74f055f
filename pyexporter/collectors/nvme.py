"""nvme: /sys/class/nvme/<controller> and its namespaces, as node_exporter's nvme collector
(collector/nvme_linux.go, over sysfs's class_nvme.go)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_first_line, read_optional
from pyexporter.toolkit.numbers import NumberError, read_uint_file

# Namespace block devices below a controller: nvme0n1, or nvme0c0n1 under native multipath.
_NAMESPACE = re.compile(r"nvme\d+(?:c\d+)?n(\d+)")


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


def read_namespace(path: str, nsid: str) -> Namespace | None:
    """A namespace whose size files are absent (a controller still probing) is skipped. The
    sizes are read as sysfs's ReadUintFromFile reads them."""
    try:
        size = read_uint_file(os.path.join(path, "size"))
        used = read_uint_file(os.path.join(path, "nuse"))
        block = read_uint_file(os.path.join(path, "queue", "logical_block_size"))
    except FileNotFoundError:
        return None
    except NumberError as err:
        raise CollectorError(f"unexpected size of NVMe namespace {path}: {err}") from None
    ana = read_optional(os.path.join(path, "ana_state")) or "unknown"
    return Namespace(nsid, size, used, block, ana)


def read_controller(path: str) -> Controller:
    def attr(name: str) -> str:
        return read_first_line(os.path.join(path, name))

    ctrl = Controller(
        name=os.path.basename(path),
        serial=attr("serial"),
        model=attr("model"),
        state=attr("state"),
        firmware_revision=attr("firmware_rev"),
        controller_id=attr("cntlid"),
    )
    for entry in list_dir(path):
        match = _NAMESPACE.fullmatch(entry)
        if match and os.path.isdir(os.path.join(path, entry)):
            ns = read_namespace(os.path.join(path, entry), match.group(1))
            if ns is not None:
                ctrl.namespaces.append(ns)
    return ctrl


@collector("nvme")
class NVMeCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("class", "nvme")
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
                capacity.add_metric([c.name, ns.nsid], ns.size_blocks * ns.logical_block_size)
                size.add_metric([c.name, ns.nsid], ns.size_blocks * ns.logical_block_size)
                used.add_metric([c.name, ns.nsid], ns.used_blocks * ns.logical_block_size)
                block.add_metric([c.name, ns.nsid], ns.logical_block_size)
        yield from (info, ns_info, capacity, size, used, block)
