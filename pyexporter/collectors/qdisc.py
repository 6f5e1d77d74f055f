"""qdisc: root queueing-discipline statistics, as node_exporter's qdisc collector
(collector/qdisc_linux.go: Update, over ema/qdisc's Get; off by default).

The kernel publishes these only over rtnetlink (an RTM_GETQDISC dump); there is no /proc or /sys
file for them, so like node_exporter this reads the network namespace pyexporter runs in and does
not follow --path.procfs. The hidden `fixtures` flag reads node_exporter's JSON test fixtures
(`results.json`) instead, for end-to-end tests.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit import netlink
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.filters import exclusive_filter


@dataclass(frozen=True, slots=True)
class QdiscInfo:
    iface: str
    parent: int  # 0 for a root qdisc
    kind: str
    bytes: int = 0
    packets: int = 0
    drops: int = 0
    requeues: int = 0
    overlimits: int = 0
    qlen: int = 0
    backlog: int = 0


_INFO_FIELDS = ("bytes", "packets", "drops", "requeues", "overlimits", "qlen", "backlog")


def parse_fixture_json(text: str) -> list[QdiscInfo]:
    """node_exporter's results.json: a list of objects with Go field names (matched ignoring case,
    as Go's JSON decoder does); absent fields are zero."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise CollectorError(f"invalid qdisc fixture JSON: {err}") from None
    if not isinstance(data, list):
        raise CollectorError("qdisc fixture JSON is not a list")
    result: list[QdiscInfo] = []
    for entry in data:
        if not isinstance(entry, dict):
            raise CollectorError("qdisc fixture entry is not an object")
        fields = {str(k).lower(): v for k, v in entry.items()}
        try:
            result.append(QdiscInfo(
                iface=str(fields.get("ifacename", "")),
                parent=int(fields.get("parent", 0)),
                kind=str(fields.get("kind", "")),
                **{name: int(fields.get(name, 0)) for name in _INFO_FIELDS},
            ))
        except (TypeError, ValueError):
            raise CollectorError(f"invalid qdisc fixture entry {entry!r}") from None
    return result


# ---------------------------------------------------------------------------------------------
# rtnetlink

_TCMSG = struct.Struct("=BxxxiIII")
_RTM_NEWQDISC, _RTM_GETQDISC = 36, 38
_TCA_KIND, _TCA_STATS, _TCA_STATS2 = 1, 3, 7
_TCA_STATS_BASIC, _TCA_STATS_QUEUE = 1, 3
_TC_H_ROOT = 0xFFFFFFFF


def _attributes(data: bytes) -> Iterator[tuple[int, bytes]]:
    return netlink.attributes(data, "netlink qdisc")


def _need(payload: bytes, size: int, what: str) -> None:
    if len(payload) < size:
        raise CollectorError(f"short {what} in netlink qdisc message")


def parse_qdisc_message(body: bytes, ifname: Callable[[int], str] = socket.if_indextoname) -> QdiscInfo | None:
    """One RTM_NEWQDISC body (tcmsg + attributes). IFNAME maps an ifindex to its name; a qdisc of
    an interface that vanished meanwhile is None."""
    if len(body) < _TCMSG.size:
        raise CollectorError(f"short netlink qdisc message, length {len(body)}")
    _family, ifindex, _handle, parent, _info = _TCMSG.unpack_from(body)
    stats: dict[str, int] = {}
    kind = ""
    for attr, payload in _attributes(body[_TCMSG.size :]):
        if attr == _TCA_KIND:
            kind = payload.split(b"\0", 1)[0].decode("utf-8", "replace")
        elif attr == _TCA_STATS2:
            for sub, data in _attributes(payload):
                if sub == _TCA_STATS_BASIC:
                    _need(data, 12, "basic stats")
                    stats["bytes"], stats["packets"] = struct.unpack_from("=QI", data)
                elif sub == _TCA_STATS_QUEUE:
                    _need(data, 20, "queue stats")
                    (stats["qlen"], stats["backlog"], stats["drops"], stats["requeues"],
                     stats["overlimits"]) = struct.unpack_from("=5I", data)
        elif attr == _TCA_STATS:
            # The legacy struct tc_stats; the kernel sends it after TCA_STATS2 with the same counts.
            _need(payload, 36, "legacy stats")
            (stats["bytes"], stats["packets"], stats["drops"], stats["overlimits"], _bps, _pps,
             stats["qlen"], stats["backlog"]) = struct.unpack_from("=QIIIIIII", payload)
    try:
        name = ifname(ifindex)
    except OSError:
        return None
    return QdiscInfo(name, 0 if parent == _TC_H_ROOT else parent, kind, **stats)


def parse_qdisc_dump(data: bytes,
                     ifname: Callable[[int], str] = socket.if_indextoname) -> tuple[list[QdiscInfo], bool]:
    """One receive buffer of an RTM_GETQDISC dump: (qdiscs, dump finished)."""
    found: list[QdiscInfo] = []
    for kind, _flags, body in netlink.messages(data):
        if kind == netlink.NLMSG_DONE:
            return found, True
        if kind == netlink.NLMSG_ERROR:
            netlink.raise_for_error(body, "netlink qdisc dump")
        elif kind == _RTM_NEWQDISC:
            info = parse_qdisc_message(body, ifname)
            if info is not None:
                found.append(info)
    return found, False


def netlink_qdiscs() -> list[QdiscInfo]:
    """Dump every qdisc of this network namespace over rtnetlink."""
    return netlink.route_dump(_RTM_GETQDISC, _TCMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0), parse_qdisc_dump)


@dataclass(frozen=True, slots=True)
class QdiscOptions:
    fixtures: str = flag("fixtures", "test fixtures to use for qdisc collector end-to-end testing", "")
    device_include: re.Pattern[str] | None = flag(
        "device-include",
        "Regexp of qdisc devices to include (mutually exclusive to device-exclude).",
        "")
    device_exclude: re.Pattern[str] | None = flag(
        "device-exclude",
        "Regexp of qdisc devices to exclude (mutually exclusive to device-include).",
        "")
    old_device_include: re.Pattern[str] | None = flag(
        "old-device-include",
        "DEPRECATED: Use collector.qdisc.device-include",
        "",
        full_name="collector.qdisk.device-include")
    old_device_exclude: re.Pattern[str] | None = flag(
        "old-device-exclude",
        "DEPRECATED: Use collector.qdisc.device-exclude",
        "",
        full_name="collector.qdisk.device-exclude")


@collector("qdisc", default=False, options=QdiscOptions)
class QdiscCollector(Collector[QdiscOptions]):
    def __init__(self, ctx: CollectorContext[QdiscOptions]) -> None:
        super().__init__(ctx)
        options = self.options
        self.filter = exclusive_filter(
            "collector.qdisc", options.device_exclude, options.device_include,
            old=((options.old_device_exclude, "collector.qdisk.device-exclude"),
                 (options.old_device_include, "collector.qdisk.device-include")),
        )
        self.fixtures: str = self.options.fixtures

    def qdiscs(self) -> list[QdiscInfo]:
        if self.fixtures:
            return parse_fixture_json(read_text(os.path.join(self.fixtures, "results.json")))
        return netlink_qdiscs()

    def collect(self) -> Iterator[Metric]:
        labels = ["device", "kind"]
        families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {
            "bytes": CounterMetricFamily("node_qdisc_bytes_total", "Number of bytes sent.", labels=labels),
            "packets": CounterMetricFamily("node_qdisc_packets_total", "Number of packets sent.", labels=labels),
            "drops": CounterMetricFamily("node_qdisc_drops_total", "Number of packets dropped.", labels=labels),
            "requeues": CounterMetricFamily(
                "node_qdisc_requeues_total", "Number of packets dequeued, not transmitted, and requeued.",
                labels=labels),
            "overlimits": CounterMetricFamily(
                "node_qdisc_overlimits_total", "Number of overlimit packets.", labels=labels),
            "qlen": GaugeMetricFamily(
                "node_qdisc_current_queue_length", "Number of packets currently in queue to be sent.",
                labels=labels),
            "backlog": GaugeMetricFamily(
                "node_qdisc_backlog", "Number of bytes currently in queue to be sent.", labels=labels),
        }
        for info in self.qdiscs():
            if info.parent != 0 or self.filter.ignored(info.iface):
                continue
            for field_name, family in families.items():
                family.add_metric([info.iface, info.kind], float(getattr(info, field_name)))
        yield from families.values()
