"""netclass: per-interface properties from /sys/class/net, as node_exporter's netclass collector
(collector/netclass_linux.go: netClassSysfsUpdate, getNetClassInfo, getAdminState; over procfs's
sysfs/net_class.go: NetClassDevices, ParseNetClassAttribute, canIgnoreError).

Every attribute is optional: a missing or unreadable one (ENOENT, EACCES, EOPNOTSUPP, EINVAL, as
a down link's speed or duplex) is left out, and so is an integer attribute ValueParser.PInt64
cannot parse. sysfs fails the whole collector on any other read error (EIO, ENODEV...); here
such an attribute is left out too, so one odd driver does not hide every interface.

node_exporter's `--collector.netclass.netlink` reads the same properties over rtnetlink; the flag
is accepted here but the values always come from sysfs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_attribute, resolve_sysfs_path
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_int

IFF_UP = 0x1

# sysfs attribute -> metric suffix, in node_exporter's emission order; counters end in _total.
_INT_PROPERTIES = (
    ("addr_assign_type", "address_assign_type"),
    ("carrier", "carrier"),
    ("carrier_changes", "carrier_changes_total"),
    ("carrier_up_count", "carrier_up_changes_total"),
    ("carrier_down_count", "carrier_down_changes_total"),
    ("dev_id", "device_id"),
    ("dormant", "dormant"),
    ("flags", "flags"),
    ("ifindex", "iface_id"),
    ("iflink", "iface_link"),
    ("link_mode", "iface_link_mode"),
    ("mtu", "mtu_bytes"),
    ("name_assign_type", "name_assign_type"),
    ("netdev_group", "net_dev_group"),
    ("speed", "speed_bytes"),
    ("tx_queue_len", "transmit_queue_length"),
    ("type", "protocol_type"),
)
_INT_ATTRIBUTES = frozenset(attr for attr, _ in _INT_PROPERTIES) | {"addr_len"}
_TEXT_ATTRIBUTES = frozenset({
    "address", "broadcast", "duplex", "ifalias", "operstate", "phys_port_id", "phys_port_name",
    "phys_switch_id",
})
_ATTRIBUTE_NAMES = tuple(sorted(_INT_ATTRIBUTES | _TEXT_ATTRIBUTES))


@dataclass(slots=True)
class NetClassIface:
    name: str
    text: dict[str, str] = field(default_factory=dict)
    ints: dict[str, int] = field(default_factory=dict)


def _read_attribute(name: str, directory_fd: int) -> str | None:
    # os.open/os.read: this runs for every attribute of every interface on every scrape. Opening
    # relative to the interface's directory spares the kernel the walk of the whole path and its
    # symlink for each attribute.
    try:
        # Trimmed as sysfs's SysReadFile trims.
        return go_trim_space(decode(read_attribute(name, directory_fd, 4096)))
    except OSError:
        # Missing and unreadable attributes (EINVAL for the speed of a down link, EOPNOTSUPP,
        # EACCES, EISDIR) are absent.
        return None


def parse_iface(name: str, attributes: dict[str, str]) -> NetClassIface:
    """An interface from its attribute files' contents (name -> text)."""
    iface = NetClassIface(name)
    for attr, value in attributes.items():
        if attr in _TEXT_ATTRIBUTES:
            iface.text[attr] = value
        elif attr in _INT_ATTRIBUTES:
            # sysfs's ParseNetClassAttribute reads these with ValueParser.PInt64,
            # strconv.ParseInt(value, 0, 64), and leaves an attribute it cannot parse unset.
            try:
                iface.ints[attr] = parse_int(value, 0)
            except NumberError:
                pass
    return iface


def read_iface(name: str, directory: str) -> NetClassIface:
    # Only the known attributes are tried: cheaper than listing the directory and checking
    # each entry, and a missing one simply fails to open.
    attributes: dict[str, str] = {}
    try:
        directory_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return parse_iface(name, attributes)  # gone since it was listed: no attribute readable
    try:
        for entry in _ATTRIBUTE_NAMES:
            value = _read_attribute(entry, directory_fd)
            if value is not None:
                attributes[entry] = value
    finally:
        os.close(directory_fd)
    return parse_iface(name, attributes)


def admin_state(flags: int | None) -> str:
    if flags is None:
        return "unknown"
    return "up" if flags & IFF_UP else "down"


@dataclass(frozen=True, slots=True)
class NetclassOptions:
    ignored_devices: re.Pattern[str] | None = flag(
        "ignored-devices",
        "Regexp of net devices to ignore for netclass collector.",
        "^$")
    ignore_invalid_speed: bool = flag(
        "ignore-invalid-speed",
        "Ignore devices where the speed is invalid. This will be the default behavior in 2.x.",
        False)
    netlink: bool = flag("netlink", "Use netlink to gather stats instead of /proc/net/dev.", False)


@collector("netclass", options=NetclassOptions)
class NetClassCollector(Collector[NetclassOptions]):
    def _devices(self) -> list[tuple[str, str]]:
        class_dir = self.paths.sys("class", "net")
        ignored = self.options.ignored_devices
        devices = []
        for entry in sorted(os.listdir(class_dir)):
            path = f"{class_dir}/{entry}"
            # On a real sysfs the kernel follows the interface link when attributes are opened;
            # only fixture trees, whose links may be plain files naming their target, need them
            # resolved here (a walk of the whole path, a large share of this collector's time).
            if not os.path.isdir(path):
                try:
                    path = resolve_sysfs_path(path)
                except OSError:
                    continue
                # Plain files such as bonding_masters sit beside the interface links.
                if not os.path.isdir(path):
                    continue
            if ignored is not None and ignored.search(entry):
                continue
            devices.append((entry, path))
        return devices

    def collect(self) -> Iterable[Metric]:
        try:
            devices = self._devices()
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return []
        skip_invalid_speed = self.options.ignore_invalid_speed
        up = GaugeMetricFamily("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.",
                               labels=["device"])
        info = GaugeMetricFamily(
            "node_network_info", "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
            labels=["device", "address", "broadcast", "duplex", "operstate", "adminstate", "ifalias"])
        props: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
        for suffix in (s for _, s in _INT_PROPERTIES):
            name = f"node_network_{suffix}"
            help_text = f"Network device property: {suffix}"
            if suffix.endswith("_total"):
                props[suffix] = CounterMetricFamily(name, help_text, labels=["device"])
            else:
                props[suffix] = GaugeMetricFamily(name, help_text, labels=["device"])

        for name, directory in devices:
            iface = read_iface(name, directory)
            operstate = iface.text.get("operstate", "")
            up.add_metric([name], 1.0 if operstate == "up" else 0.0)
            info.add_metric([
                name, iface.text.get("address", ""), iface.text.get("broadcast", ""),
                iface.text.get("duplex", ""), operstate, admin_state(iface.ints.get("flags")),
                iface.text.get("ifalias", ""),
            ], 1.0)
            for attr, suffix in _INT_PROPERTIES:
                value = iface.ints.get(attr)
                if value is None:
                    continue
                if attr == "speed":
                    # Some drivers report -1 for an unknown speed.
                    if value < 0 and skip_invalid_speed:
                        continue
                    # Go's int64 arithmetic: the division truncates toward zero.
                    value = value * 1000 * 1000 // 8 if value >= 0 else -(-value * 1000 * 1000 // 8)
                props[suffix].add_metric([name], float(value))
        return [up, info, *props.values()]
