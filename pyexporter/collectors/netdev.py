"""netdev: per-interface traffic counters, as node_exporter's netdev collector
(collector/netdev_common.go: Update, metricDesc, legacy; collector/netdev_linux.go:
getNetDevStats, netlinkStats/parseNetlinkStats, procNetDevStats, getNetDevLabels; over procfs's
net_dev.go: newNetDev, parseLine).

/proc/net/dev lines are `name: 16 counters` after two header lines; extra columns are ignored.
procfs indexes past the end of a shorter line (a panic); here that line fails the collector.

With `netlink` (node_exporter's default) the counters come from an rtnetlink RTM_GETLINK dump,
like node_exporter: the kernel's own 64-bit link statistics for this process's network
namespace (which, like node_exporter's netlink mode, does not follow --path.procfs). Without
it they come from <procfs>/net/dev. psutil drops most /proc/net/dev columns and reads a
process-global procfs root, so the file is parsed here.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit import netlink
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, FamilyIndex, GaugeMetricFamily, add_row
from pyexporter.toolkit.files import read_optional, read_text
from pyexporter.toolkit.filters import exclusive_filter
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, parse_uints

# ---------------------------------------------------------------------------------------------
# /proc/net/dev

# Column order of /proc/net/dev after the interface name, under node_exporter's key names.
NET_DEV_KEYS = (
    "receive_bytes", "receive_packets", "receive_errors", "receive_dropped", "receive_fifo",
    "receive_frame", "receive_compressed", "receive_multicast",
    "transmit_bytes", "transmit_packets", "transmit_errors", "transmit_dropped", "transmit_fifo",
    "transmit_colls", "transmit_carrier", "transmit_compressed",
)


class DeviceStats(NamedTuple):
    """A device's statistics: VALUES of the statistics named KEYS, in that order. A source's
    devices share one KEYS (NET_DEV_KEYS, LINK_STATS_KEYS), and so the plan made for it."""

    name: str
    keys: tuple[str, ...]
    values: Sequence[int]
    alias: str = ""

    @property
    def stats(self) -> dict[str, int]:
        return dict(zip(self.keys, self.values, strict=True))


def parse_net_dev(text: str) -> list[DeviceStats]:
    """Parse /proc/net/dev: two header lines, then `name: 16 counters` per interface."""
    lines = text.splitlines()[2:]
    devices = _parse_net_dev_batch(lines)
    return devices if devices is not None else _parse_net_dev_lines(lines)


def _parse_net_dev_batch(lines: list[str]) -> list[DeviceStats] | None:
    """The devices of LINES when each is in the kernel's shape, a name and a colon then at least
    16 counters Go parses, with every line's counters checked as one batch (parse_uints); None
    for any other line (a blank one included), which _parse_net_dev_lines then skips or fails on
    as it would have on its own."""
    width = len(NET_DEV_KEYS)
    names: list[str] = []
    counters: list[str] = []
    for line in lines:
        name, sep, rest = line.partition(":")
        name = name.strip()
        fields = rest.split()
        if not sep or not name or len(fields) < width:
            return None
        names.append(name)
        counters += fields[:width]
    try:
        values = parse_uints(counters)
    except NumberError:
        return None
    return [DeviceStats(name, NET_DEV_KEYS, values[i * width : (i + 1) * width]) for i, name in enumerate(names)]


def _parse_net_dev_lines(lines: list[str]) -> list[DeviceStats]:
    """parse_net_dev line by line: the first faulty line fails it, with what is wrong with it."""
    devices: list[DeviceStats] = []
    for line in lines:
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        name = name.strip()
        if not sep or not name:
            raise CollectorError(f"invalid /proc/net/dev line: {line[:80]!r}")
        fields = rest.split()
        if len(fields) < len(NET_DEV_KEYS):
            raise CollectorError(f"short /proc/net/dev line for {name}: {len(fields)} fields")
        try:
            # procfs's net_dev.go: strconv.ParseUint(x, 10, 64) for every column.
            values = parse_uints(fields[: len(NET_DEV_KEYS)])
        except NumberError as err:
            raise CollectorError(f"invalid counter in /proc/net/dev line for {name}: {err}") from None
        devices.append(DeviceStats(name, NET_DEV_KEYS, values))
    return devices


# ---------------------------------------------------------------------------------------------
# rtnetlink

_IFINFOMSG = struct.Struct("=BxHiII")
_RTM_NEWLINK, _RTM_GETLINK = 16, 18
_IFLA_IFNAME, _IFLA_STATS, _IFLA_STATS64, _IFLA_IFALIAS = 3, 7, 23, 20

# struct rtnl_link_stats{,64} field order (include/uapi/linux/if_link.h), under node_exporter's
# detailed key names; older kernels send fewer fields, the rest count as zero.
LINK_STATS_KEYS = (
    "receive_packets", "transmit_packets", "receive_bytes", "transmit_bytes",
    "receive_errors", "transmit_errors", "receive_dropped", "transmit_dropped",
    "multicast", "collisions",
    "receive_length_errors", "receive_over_errors", "receive_crc_errors",
    "receive_frame_errors", "receive_fifo_errors", "receive_missed_errors",
    "transmit_aborted_errors", "transmit_carrier_errors", "transmit_fifo_errors",
    "transmit_heartbeat_errors", "transmit_window_errors",
    "receive_compressed", "transmit_compressed", "receive_nohandler",
)


def _link_stats(payload: bytes, width: int) -> list[int]:
    """The values of LINK_STATS_KEYS in PAYLOAD, of WIDTH bytes each."""
    count = min(len(payload) // width, len(LINK_STATS_KEYS))
    values = list(struct.unpack_from(f"={count}{'Q' if width == 8 else 'I'}", payload))
    values += [0] * (len(LINK_STATS_KEYS) - count)
    return values


# The attributes _parse_link reads of a link's ~40.
_LINK_ATTRIBUTES = frozenset({_IFLA_IFNAME, _IFLA_IFALIAS, _IFLA_STATS64, _IFLA_STATS})


def _parse_link(body: bytes) -> DeviceStats | None:
    """One RTM_NEWLINK body (ifinfomsg + attributes); None when it carries no name or stats."""
    attrs = netlink.chosen_attributes(body[_IFINFOMSG.size :], _LINK_ATTRIBUTES, "netlink link")
    name = attrs.get(_IFLA_IFNAME, b"").split(b"\0", 1)[0].decode("utf-8", "replace")
    alias = attrs.get(_IFLA_IFALIAS, b"").split(b"\0", 1)[0].decode("utf-8", "replace")
    # Only one of the statistics is reported, the 64-bit one when the kernel sends both (as it does).
    stats64 = attrs.get(_IFLA_STATS64)
    stats32 = attrs.get(_IFLA_STATS)
    if stats64 is not None:
        stats = _link_stats(stats64, 8)
    elif stats32 is not None:
        stats = _link_stats(stats32, 4)
    else:
        return None
    if not name:
        return None
    return DeviceStats(name, LINK_STATS_KEYS, stats, alias)


def parse_link_dump(data: bytes) -> tuple[list[DeviceStats], bool]:
    """Parse one netlink receive buffer of an RTM_GETLINK dump: (links, dump finished)."""
    links: list[DeviceStats] = []
    for kind, _flags, body in netlink.messages(data):
        if kind == netlink.NLMSG_DONE:
            return links, True
        if kind == netlink.NLMSG_ERROR:
            netlink.raise_for_error(body, "netlink link dump")
        elif kind == _RTM_NEWLINK:
            if len(body) < _IFINFOMSG.size:
                raise CollectorError("truncated netlink ifinfomsg")
            link = _parse_link(body)
            if link is not None:
                links.append(link)
    return links, False


def netlink_links() -> list[DeviceStats]:
    """Dump every link of this network namespace over rtnetlink."""
    return netlink.route_dump(_RTM_GETLINK, _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0), parse_link_dump)


# ---------------------------------------------------------------------------------------------
# Names and the address-info helpers


# node_exporter's legacy (non-detailed) name of each detailed counter it folds, and the detailed
# counters added into it, as the kernel adds them for /proc/net/dev (net/core/net-procfs.c).
_LEGACY_FOLDS = (
    ("receive_errs", "receive_errors", ()),
    ("receive_drop", "receive_dropped", ("receive_missed_errors",)),
    ("receive_fifo", "receive_fifo_errors", ()),
    ("receive_frame", "receive_frame_errors",
     ("receive_length_errors", "receive_over_errors", "receive_crc_errors")),
    ("receive_multicast", "multicast", ()),
    ("transmit_errs", "transmit_errors", ()),
    ("transmit_drop", "transmit_dropped", ()),
    ("transmit_fifo", "transmit_fifo_errors", ()),
    ("transmit_colls", "collisions", ()),
    ("transmit_carrier", "transmit_carrier_errors",
     ("transmit_aborted_errors", "transmit_heartbeat_errors", "transmit_window_errors")),
)


def legacy_stats(stats: dict[str, int]) -> dict[str, int]:
    """node_exporter's legacy (non-detailed) names: fold the detailed error counters the way
    the kernel does for /proc/net/dev, so both sources agree. A counter that is absent is not
    reported; one folded into another counts as zero when absent."""
    out = dict(stats)
    pop = out.pop
    for legacy, detailed, folded in _LEGACY_FOLDS:
        value = pop(detailed, None)
        if value is not None:
            for name in folded:
                value += pop(name, 0)
            out[legacy] = value
    return out


class StatsPlan(NamedTuple):
    """What legacy_stats makes of any device's statistics with given names in a given order."""

    keys: tuple[str, ...]  # the statistics' names it reports, in its order
    pick: Callable[[Sequence[int]], Iterable[int]]  # the statistics' values -> those it reports


def _pick_sums(sources: tuple[tuple[int, ...], ...]) -> Callable[[Sequence[int]], Iterable[int]]:
    """The values to report: at each position of SOURCES, the sum of the values at its positions."""
    if len(sources) < 2:  # an itemgetter of one position gives a value, not a tuple
        return lambda values: [sum(values[i] for i in ix) for ix in sources]
    firsts = itemgetter(*(ix[0] for ix in sources))
    folds = tuple((n, ix[1:]) for n, ix in enumerate(sources) if len(ix) > 1)
    if not folds:
        return firsts  # renames only, as for /proc/net/dev: one call

    def pick(values: Sequence[int]) -> list[int]:
        picked = list(firsts(values))
        for n, rest in folds:
            for i in rest:
                picked[n] += values[i]
        return picked
    return pick


def stats_plan(keys: tuple[str, ...], detailed: bool) -> StatsPlan:
    """The statistics reported of a device whose statistics have the names KEYS, in this order:
    the same for every device of one source, so worked out once for all of them. legacy_stats'
    folds are followed on the positions of the values rather than on the values: a reported
    value is the sum of the values at its positions, as legacy_stats adds them (integers, so the
    order of the additions changes nothing)."""
    if detailed:
        return StatsPlan(keys, tuple)
    sources: dict[str, tuple[int, ...]] = {key: (i,) for i, key in enumerate(keys)}
    pop = sources.pop
    for legacy, detailed_key, folded in _LEGACY_FOLDS:
        positions = pop(detailed_key, None)
        if positions is not None:
            for name in folded:
                positions += pop(name, ())
            sources[legacy] = positions
    return StatsPlan(tuple(sources), _pick_sums(tuple(sources.values())))


class AddressInfo(NamedTuple):
    device: str
    address: str
    netmask: str
    scope: str


def address_scope(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Go's net.IP classification as node_exporter reports it (private ranges count as global)."""
    link_local_mc = (
        ip in ipaddress.ip_network("224.0.0.0/24")
        if ip.version == 4
        else ip.is_multicast and (int(ip) >> 112) & 0xF == 2
    )
    if ip.is_loopback or ip.is_link_local or link_local_mc:
        return "link-local"
    if ip.version == 6 and ip.is_multicast and (int(ip) >> 112) & 0xF == 1:
        return "interface-local"
    if not (ip.is_unspecified or ip.is_multicast or (ip.version == 4 and int(ip) == 0xFFFFFFFF)):
        return "global"
    return ""


def address_infos(addrs: Mapping[str, Iterable[tuple[int, str, str | None]]]) -> list[AddressInfo]:
    """(family, address, netmask) per interface, as from getifaddrs, to address_info records."""
    infos: list[AddressInfo] = []
    for device, entries in addrs.items():
        for family, address, netmask in entries:
            if family not in (socket.AF_INET, socket.AF_INET6) or not netmask:
                continue
            try:
                ip = ipaddress.ip_address(address.split("%", 1)[0])
                mask = int(ipaddress.ip_address(netmask.split("%", 1)[0]))
            except ValueError:
                continue
            ones = bin(mask).count("1")
            # Go reports a non-canonical (non-contiguous) mask as size 0.
            bits = ip.max_prefixlen
            prefix = ones if mask == ((1 << bits) - 1) ^ ((1 << (bits - ones)) - 1) else 0
            infos.append(AddressInfo(device, str(ip), str(prefix), address_scope(ip)))
    return infos


def system_addresses() -> dict[str, list[tuple[int, str, str | None]]]:
    # getifaddrs(3) is netlink-based and has no procfs root, so psutil is the right reader here.
    import psutil

    return {
        name: [(a.family, a.address, a.netmask) for a in entries]
        for name, entries in psutil.net_if_addrs().items()
    }


@dataclass(frozen=True, slots=True)
class NetdevOptions:
    device_include: re.Pattern[str] | None = flag(
        "device-include",
        "Regexp of net devices to include (mutually exclusive to device-exclude).",
        "")
    device_whitelist: re.Pattern[str] | None = flag(
        "device-whitelist",
        "DEPRECATED: Use collector.netdev.device-include",
        "")
    device_exclude: re.Pattern[str] | None = flag(
        "device-exclude",
        "Regexp of net devices to exclude (mutually exclusive to device-include).",
        "")
    device_blacklist: re.Pattern[str] | None = flag(
        "device-blacklist",
        "DEPRECATED: Use collector.netdev.device-exclude",
        "")
    address_info: bool = flag("address-info", "Collect address-info for every device", False)
    enable_detailed_metrics: bool = flag(
        "enable-detailed-metrics",
        "Use (incompatible) metric names that provide more detailed stats on Linux",
        False)
    netlink: bool = flag("netlink", "Use netlink to gather stats instead of /proc/net/dev.", True)
    label_ifalias: bool = flag("label-ifalias", "Add ifAlias label", False)


@collector("netdev", options=NetdevOptions)
class NetdevCollector(Collector[NetdevOptions]):
    def __init__(self, ctx: CollectorContext[NetdevOptions]) -> None:
        super().__init__(ctx)
        options = self.options
        self.filter = exclusive_filter(
            "collector.netdev", options.device_exclude, options.device_include,
            old=((options.device_blacklist, "collector.netdev.device-blacklist"),
                 (options.device_whitelist, "collector.netdev.device-whitelist")),
        )
        self.netlink = bool(self.options.netlink)
        self.detailed = bool(self.options.enable_detailed_metrics)
        self.address_info = bool(self.options.address_info)
        self.label_ifalias = bool(self.options.label_ifalias)
        # (name, HELP) of each statistic's family, by the statistic's name.
        self._family_names: RecurringMemo[str, tuple[str, str]] = RecurringMemo(
            lambda key: (f"node_network_{key}_total", f"Network device statistic {key}."))
        # stats_plan of each set of statistics seen: a source's devices share one set, which
        # only the kernel's names make (/proc/net/dev's columns, rtnl_link_stats' fields), so
        # there are a few at most; a plan depends on them and the detailed flag alone.
        self._plans: RecurringMemo[tuple[str, ...], StatsPlan] = RecurringMemo(
            lambda keys: stats_plan(keys, self.detailed))
        self.labels = ["device", "ifalias"] if self.label_ifalias else ["device"]

    def devices(self) -> list[DeviceStats]:
        if self.netlink:
            return netlink_links()
        devices = parse_net_dev(read_text(self.paths.proc("net", "dev")))
        if self.label_ifalias:
            devices = [
                d._replace(alias=read_optional(self.paths.sys("class", "net", d.name, "ifalias")) or "")
                for d in devices
            ]
        return devices

    def collect(self) -> Iterator[Metric]:
        families = FamilyIndex()
        # The families of a device's reported statistics, and how to pick those from its values,
        # for each set of statistics: every device of one source has the same set in the same
        # order, so this is worked out once a scrape rather than once a device or a sample.
        columns: dict[tuple[str, ...], tuple[list[CounterMetricFamily], StatsPlan]] = {}
        label_ifalias = self.label_ifalias
        ignored = self.filter.ignored
        plans, family_names = self._plans, self._family_names
        plans.rotate()
        family_names.rotate()
        for device in self.devices():
            if ignored(device.name):
                continue
            keys = device.keys
            column = columns.get(keys)
            if column is None:
                plan = plans(keys)
                column = columns[keys] = (
                    [families.counter(*family_names(key), self.labels) for key in plan.keys], plan)
            labels = (device.name, device.alias) if label_ifalias else (device.name,)
            add_row(column[0], labels, map(float, column[1].pick(device.values)))
        yield from families.families()
        if self.address_info:
            info = GaugeMetricFamily(
                "node_network_address_info", "node network address by device",
                labels=["device", "address", "netmask", "scope"],
            )
            for addr in address_infos(system_addresses()):
                info.add_metric(list(addr), 1.0)
            yield info
