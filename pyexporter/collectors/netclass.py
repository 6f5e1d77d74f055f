"""netclass: per-interface properties from /sys/class/net, as node_exporter's netclass collector
(collector/netclass_linux.go: netClassSysfsUpdate, getNetClassInfo, getAdminState; over procfs's
sysfs/net_class.go: NetClassDevices, ParseNetClassAttribute, canIgnoreError).

An interface's directory is listed and only the entries it lists as regular files are read, as
parseNetClassIface reads them (a link, a directory or a device node named like an attribute is
not). Every attribute is optional: a missing or unreadable one (ENOENT, EACCES, EOPNOTSUPP, EINVAL,
as a down link's speed or duplex) is left out, and so is an integer attribute ValueParser.PInt64
cannot parse. sysfs fails the whole collector on any other read error (EIO, ENODEV...); here
such an attribute is left out too, so one odd driver does not hide every interface.

node_exporter's `--collector.netclass.netlink` reads the same properties over rtnetlink; the flag
is accepted here but the values always come from sysfs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily, add_row
from pyexporter.toolkit.files import (
    KeptAttributes,
    decode,
    list_attributes,
    open_directory,
    read_attributes,
    resolve_sysfs_path,
)
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_int
from pyexporter.toolkit.static import ListingCache

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
_INT_ATTRIBUTES = frozenset(attr for attr, _ in _INT_PROPERTIES)
# (attribute, family name, HELP, family type) of each property.
_PROPERTY_FAMILIES: tuple[tuple[str, str, str, type[GaugeMetricFamily] | type[CounterMetricFamily]], ...] = tuple(
    (attr, f"node_network_{suffix}", f"Network device property: {suffix}",
     CounterMetricFamily if suffix.endswith("_total") else GaugeMetricFamily)
    for attr, suffix in _INT_PROPERTIES)
# The text attributes node_network_info reports. procfs also reads addr_len and phys_port_id,
# phys_port_name and phys_switch_id, which node_exporter never reports: they are not read here,
# and since a failed read of an attribute only leaves it out here, that changes no output.
_TEXT_ATTRIBUTES = frozenset({"address", "broadcast", "duplex", "ifalias", "operstate"})
_ATTRIBUTES = _INT_ATTRIBUTES | _TEXT_ATTRIBUTES


@dataclass(slots=True)
class NetClassIface:
    name: str
    text: dict[str, str] = field(default_factory=dict)
    ints: dict[str, int] = field(default_factory=dict)


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


def read_iface_at(name: str, directory_fd: int, kept: KeptAttributes | None = None,
                  listings: ListingCache | None = None) -> NetClassIface:
    # The directory is listed, as parseNetClassIface lists it (with LISTINGS, the listing is the
    # one kept while the directory is the same: a device's attributes are its kobject's groups,
    # made with its directory), and the known attributes it lists as regular files are read
    # (opened relative to it, which spares the kernel the walk of the whole path and its link for
    # each one) without an fstat each: read_attributes' listed_regular; with KEPT, read again
    # through the descriptors it kept open from the last scrape where they still name the same
    # files. Unreadable ones (EINVAL for the speed of a down link, EOPNOTSUPP, EACCES, one gone
    # since the listing) are absent; the rest are trimmed as sysfs's SysReadFile trims. The order
    # they are read in changes nothing: parse_iface files each under its name.
    listing = list_attributes(directory_fd) if listings is None else listings.listing(directory_fd)
    names = _ATTRIBUTES & listing.regular
    if kept is None:
        raw = read_attributes(directory_fd, names, 4096, listed_regular=listing.regular)
    else:
        raw = kept.read(directory_fd, listing, names, 4096)
    return parse_iface(name, {attr: go_trim_space(decode(value)) for attr, value in raw.items()})


def read_iface(name: str, directory: str) -> NetClassIface:
    try:
        directory_fd = open_directory(directory)
    except OSError:
        return NetClassIface(name)  # gone since it was listed: no attribute readable
    try:
        return read_iface_at(name, directory_fd)
    finally:
        os.close(directory_fd)


def iface_directory(path: str) -> str | None:
    """The directory of the /sys/class/net entry PATH, or None when it leads to no directory."""
    if os.path.isdir(path):
        return path
    # Fixture trees' links may be plain files naming their target; plain files such as
    # bonding_masters sit beside the interface links.
    try:
        path = resolve_sysfs_path(path)
    except OSError:
        return None
    return path if os.path.isdir(path) else None


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
    def __init__(self, ctx: CollectorContext[NetclassOptions]) -> None:
        super().__init__(ctx)
        # Every device's attributes are listed and read on every scrape: most of this collector's cost.
        self._kept = KeptAttributes()
        self._listings = ListingCache()

    def _ifaces(self, class_dir: str, entries: list[str]) -> Iterator[NetClassIface]:
        ignored = self.options.ignored_devices
        for entry in entries:
            if ignored is not None and ignored.search(entry):
                continue
            path = f"{class_dir}/{entry}"
            try:
                # On a real sysfs the entry is a link, which the kernel follows as it opens it;
                # opening it is also the check that it leads to a directory, so only what fails
                # here (fixture trees' link files, plain files, vanished links) costs more.
                directory_fd = open_directory(path)
            except OSError:
                directory = iface_directory(path)
                if directory is not None:
                    yield read_iface(entry, directory)
                continue
            try:
                iface = read_iface_at(entry, directory_fd, self._kept, self._listings)
            finally:
                os.close(directory_fd)
            yield iface

    def collect(self) -> Iterable[Metric]:
        class_dir = self.paths.sys("class", "net")
        try:
            entries = sorted(os.listdir(class_dir))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            self._kept.sweep()
            self._listings.sweep()
            return []
        skip_invalid_speed = self.options.ignore_invalid_speed
        up = GaugeMetricFamily("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.",
                               labels=["device"])
        info = GaugeMetricFamily(
            "node_network_info", "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
            labels=["device", "address", "broadcast", "duplex", "operstate", "adminstate", "ifalias"])
        props: list[GaugeMetricFamily | CounterMetricFamily] = [
            family_type(name, help_text, labels=["device"]) for _, name, help_text, family_type in _PROPERTY_FAMILIES]
        columns = [(attr, family) for (attr, *_), family in zip(_PROPERTY_FAMILIES, props, strict=True)]

        for iface in self._ifaces(class_dir, entries):
            name, text, ints = iface.name, iface.text, iface.ints
            labels = (name,)
            operstate = text.get("operstate", "")
            info.add_metric((
                name, text.get("address", ""), text.get("broadcast", ""), text.get("duplex", ""),
                operstate, admin_state(ints.get("flags")), text.get("ifalias", ""),
            ), 1.0)
            # The families labelled by device alone that have a value for this one.
            row: list[GaugeMetricFamily | CounterMetricFamily] = [up]
            values = [1.0 if operstate == "up" else 0.0]
            for attr, family in columns:
                value = ints.get(attr)
                if value is None:
                    continue
                if attr == "speed":
                    # Some drivers report -1 for an unknown speed.
                    if value < 0 and skip_invalid_speed:
                        continue
                    # Go's int64 arithmetic: the division truncates toward zero.
                    value = value * 1000 * 1000 // 8 if value >= 0 else -(-value * 1000 * 1000 // 8)
                row.append(family)
                values.append(float(value))
            add_row(row, labels, values)
        self._kept.sweep()  # devices gone since the last scrape
        self._listings.sweep()
        return [up, info, *props]
