"""mountstats: NFS client statistics from /proc/self/mountstats, as node_exporter's mountstats
collector (collector/mountstats_linux.go: Update, updateNFSStats; over procfs's mountstats.go:
parseMountStats, parseMount, parseMountStatsNFS, parseNFSBytesStats, parseNFSEventsStats,
parseNFSOperationStats, parseNFSTransportStats; and mountinfo.go for the `addr` super option;
off by default).

statvers 1.0 and 1.1 transports (tcp, udp; rdma at 1.1) are read; sections an entry lacks (age,
bytes, events) stay zero; every xprt: line (nconnect) is a transport."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import parse_uint

# Values past 2**53 lose precision as floats; node_exporter wraps them there, and so do we.
FLOAT64_MANTISSA = 9007199254740992

_BYTES_LEN = 8
_EVENTS_LEN = 27
# Fields after the protocol name of an `xprt:` line, by stats version and protocol.
_XPRT_LEN = {("1.0", "tcp"): 10, ("1.0", "udp"): 7, ("1.1", "tcp"): 13, ("1.1", "udp"): 10}
_XPRT_RDMA_MIN_LEN = 20


class NFSTransport(NamedTuple):
    protocol: str
    port: int
    bind: int
    connect: int
    connect_idle_time: int
    idle_time_seconds: int
    sends: int
    receives: int
    bad_transaction_ids: int
    cumulative_active_requests: int
    cumulative_backlog: int
    maximum_rpc_slots_used: int
    cumulative_sending_queue: int
    cumulative_pending_queue: int


class NFSOperation(NamedTuple):
    operation: str
    requests: int
    transmissions: int
    major_timeouts: int
    bytes_sent: int
    bytes_received: int
    queue_milliseconds: int
    response_milliseconds: int
    request_milliseconds: int
    # Only kernels from 5.x on report a per-operation error count.
    errors: int | None


@dataclass(slots=True)
class NFSStats:
    stat_version: str
    age_seconds: float = 0.0
    bytes: tuple[int, ...] = (0,) * _BYTES_LEN
    events: tuple[int, ...] = (0,) * _EVENTS_LEN
    transports: list[NFSTransport] = field(default_factory=list)
    operations: list[NFSOperation] = field(default_factory=list)


class Mount(NamedTuple):
    device: str
    mount_point: str
    fstype: str
    stats: NFSStats | None


# What time.ParseDuration accepts of a plain number of seconds: a sign, digits, a fraction.
_DURATION = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?", re.ASCII)
_NS_PER_S = 10**9


def parse_age(text: str) -> float:
    """An `age:` field in seconds, as procfs reads it: time.ParseDuration(text + "s"), so at
    most nanosecond precision and within int64 nanoseconds, then Duration.Seconds(). A unit of
    its own in TEXT (which ParseDuration would read as a prefix of "s") is refused."""
    match = _DURATION.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        raise CollectorError(f"invalid NFS age: {text[:40]!r}")
    sign, whole, fraction = match.groups(default="")
    nanoseconds = int(whole or "0") * _NS_PER_S + int(fraction[:9].ljust(9, "0"))
    if nanoseconds > (2**63 if sign == "-" else 2**63 - 1):
        raise CollectorError(f"NFS age out of range: {text[:40]!r}")
    seconds, rest = divmod(nanoseconds, _NS_PER_S)
    value = seconds + rest / 1e9
    return -value if sign == "-" else value


def parse_transport(fields: list[str], stat_version: str) -> NFSTransport:
    """The fields of an `xprt:` line after the keyword: protocol, then counters."""
    protocol, rest = fields[0], fields[1:]
    if protocol == "rdma" and stat_version == "1.1":
        if len(rest) < _XPRT_RDMA_MIN_LEN:
            raise CollectorError(f"invalid NFS rdma transport stats: {' '.join(fields)[:80]!r}")
    else:
        expected = _XPRT_LEN.get((stat_version, protocol))
        if expected is None:
            raise CollectorError(f"unsupported NFS transport {protocol!r} in stats version {stat_version!r}")
        if len(rest) != expected:
            raise CollectorError(f"invalid NFS transport stats {stat_version}: {' '.join(fields)[:80]!r}")
    ns = [parse_uint(f) for f in rest]
    if protocol == "udp":
        # udp has no connect count, connect idle time or idle time.
        ns = [*ns[:2], 0, 0, 0, *ns[2:]]
    elif protocol == "rdma":
        # rdma lines carry their own counters where tcp's slot and queue counters would be.
        ns = [*ns[:10], 0, 0, 0]
    ns = (ns + [0] * 13)[:13]
    return NFSTransport(protocol, *ns)


def parse_operation(fields: list[str]) -> NFSOperation:
    if len(fields) < 9:
        raise CollectorError(f"invalid NFS per-operation stats: {' '.join(fields)[:80]!r}")
    ns = [parse_uint(f) for f in fields[1:]]
    return NFSOperation(
        operation=fields[0].removesuffix(":"),
        requests=ns[0],
        transmissions=ns[1],
        major_timeouts=ns[2],
        bytes_sent=ns[3],
        bytes_received=ns[4],
        queue_milliseconds=ns[5],
        response_milliseconds=ns[6],
        request_milliseconds=ns[7],
        errors=ns[8] if len(ns) > 8 else None,
    )


def _parse_nfs(lines: Iterator[list[str]], stat_version: str) -> NFSStats:
    stats = NFSStats(stat_version)
    for fields in lines:
        if not fields:
            return stats
        key = fields[0]
        if key == "per-op":
            break
        if key in ("age:", "bytes:", "events:", "xprt:") and len(fields) < (3 if key == "xprt:" else 2):
            raise CollectorError(f"incomplete NFS stats line: {' '.join(fields)[:80]!r}")
        if key == "age:":
            stats.age_seconds = parse_age(fields[1])
        elif key == "bytes:":
            if len(fields) - 1 != _BYTES_LEN:
                raise CollectorError(f"invalid NFS bytes stats: {' '.join(fields)[:80]!r}")
            stats.bytes = tuple(parse_uint(f) for f in fields[1:])
        elif key == "events:":
            if len(fields) - 1 != _EVENTS_LEN:
                raise CollectorError(f"invalid NFS events stats: {' '.join(fields)[:80]!r}")
            stats.events = tuple(parse_uint(f) for f in fields[1:])
        elif key == "xprt:":
            stats.transports.append(parse_transport(fields[1:], stat_version))
    # Per-operation lines run to the blank line that ends the mount's entry.
    for fields in lines:
        if not fields:
            break
        stats.operations.append(parse_operation(fields))
    return stats


def parse_mountstats(text: str) -> list[Mount]:
    """Every `device ... mounted on ... with fstype ...` entry, with NFS statistics when given."""
    mounts: list[Mount] = []
    lines = (line.split() for line in text.splitlines())
    for fields in lines:
        if not fields or fields[0] != "device":
            continue
        if len(fields) < 8 or [fields[i] for i in (2, 3, 5, 6)] != ["mounted", "on", "with", "fstype"]:
            raise CollectorError(f"invalid mountstats device line: {' '.join(fields)[:80]!r}")
        stats = None
        if len(fields) > 8:
            if fields[7] not in ("nfs", "nfs4"):
                raise CollectorError(f"cannot parse mountstats for fstype {fields[7]!r}")
            stats = _parse_nfs(lines, fields[8].removeprefix("statvers="))
        mounts.append(Mount(fields[1], fields[4], fields[7], stats))
    return mounts


def parse_mountinfo_addresses(text: str) -> list[str]:
    """The `addr=` super option of each /proc/self/mountinfo line, in order ("" when absent), as
    procfs's parseMountInfoString reads a line: split on single spaces (an empty source stays a
    field), at least 10 fields, the `-` separator fourth from the end, the super options last;
    and mountOptionsParser: `key=value` split on every `=`, the value being the second part."""
    addresses: list[str] = []
    for line in text.splitlines():
        if not line:
            continue
        fields = line.split(" ")
        if len(fields) < 10 or fields[-4] != "-":
            raise CollectorError(f"invalid mountinfo line: {line[:80]!r}")
        address = ""
        for option in fields[-1].split(","):
            parts = option.split("=")
            if parts[0] == "addr":
                address = parts[1] if len(parts) > 1 else ""
        addresses.append(address)
    return addresses


_L = ("export", "protocol", "mountaddr")
_INFO_L = (*_L, "mountpoint")
_OP_L = (*_L, "operation")
_XPRT_L = (*_L, "transport")

# (metric suffix, HELP, index into NFSStats.bytes)
_BYTES_METRICS = (
    ("read_bytes", "Number of bytes read using the read() syscall.", 0),
    ("write_bytes", "Number of bytes written using the write() syscall.", 1),
    ("direct_read_bytes", "Number of bytes read using the read() syscall in O_DIRECT mode.", 2),
    ("direct_write_bytes", "Number of bytes written using the write() syscall in O_DIRECT mode.", 3),
    ("total_read_bytes", "Number of bytes read from the NFS server, in total.", 4),
    ("total_write_bytes", "Number of bytes written to the NFS server, in total.", 5),
    ("read_pages", "Number of pages read directly via mmap()'d files.", 6),
    ("write_pages", "Number of pages written directly via mmap()'d files.", 7),
)

# (metric suffix, HELP, index into NFSStats.events); index 18 (congestion wait) is not exported.
# Some HELP texts repeat a neighbour's, as node_exporter's do.
_EVENT_METRICS = (
    ("event_inode_revalidate", "Number of times cached inode attributes are re-validated from the server.", 0),
    ("event_dnode_revalidate", "Number of times cached dentry nodes are re-validated from the server.", 1),
    ("event_data_invalidate", "Number of times an inode cache is cleared.", 2),
    ("event_attribute_invalidate", "Number of times cached inode attributes are invalidated.", 3),
    ("event_vfs_open", "Number of times cached inode attributes are invalidated.", 4),
    ("event_vfs_lookup", "Number of times a directory lookup has occurred.", 5),
    ("event_vfs_access", "Number of times permissions have been checked.", 6),
    ("event_vfs_update_page", "Number of updates (and potential writes) to pages.", 7),
    ("event_vfs_read_page", "Number of pages read directly via mmap()'d files.", 8),
    ("event_vfs_read_pages", "Number of times a group of pages have been read.", 9),
    ("event_vfs_write_page", "Number of pages written directly via mmap()'d files.", 10),
    ("event_vfs_write_pages", "Number of times a group of pages have been written.", 11),
    ("event_vfs_getdents", "Number of times directory entries have been read with getdents().", 12),
    ("event_vfs_setattr", "Number of times directory entries have been read with getdents().", 13),
    ("event_vfs_flush", "Number of pending writes that have been forcefully flushed to the server.", 14),
    ("event_vfs_fsync", "Number of times fsync() has been called on directories and files.", 15),
    ("event_vfs_lock", "Number of times locking has been attempted on a file.", 16),
    ("event_vfs_file_release", "Number of times files have been closed and released.", 17),
    ("event_truncation", "Number of times files have been truncated.", 19),
    ("event_write_extension", "Number of times a file has been grown due to writes beyond its existing end.", 20),
    ("event_silly_rename", "Number of times a file was removed while still open by another process.", 21),
    ("event_short_read", "Number of times the NFS server gave less data than expected while reading.", 22),
    ("event_short_write", "Number of times the NFS server wrote less data than expected while writing.", 23),
    ("event_jukebox_delay",
     "Number of times the NFS server indicated EJUKEBOX; retrieving data from offline storage.", 24),
    ("event_pnfs_read", "Number of NFS v4.1+ pNFS reads.", 25),
    ("event_pnfs_write", "Number of NFS v4.1+ pNFS writes.", 26),
)

# (metric suffix, HELP, is counter, value from a transport)
_XPRT_METRICS: tuple[tuple[str, str, bool, Callable[[NFSTransport], float]], ...] = (
    ("transport_bind", "Number of times the client has had to establish a connection from scratch to the NFS server.",
     True, lambda t: t.bind),
    ("transport_connect", "Number of times the client has made a TCP connection to the NFS server.",
     True, lambda t: t.connect),
    ("transport_idle_time_seconds", "Duration since the NFS mount last saw any RPC traffic, in seconds.",
     False, lambda t: t.idle_time_seconds % FLOAT64_MANTISSA),
    ("transport_sends", "Number of RPC requests for this mount sent to the NFS server.", True, lambda t: t.sends),
    ("transport_receives", "Number of RPC responses for this mount received from the NFS server.",
     True, lambda t: t.receives),
    ("transport_bad_transaction_ids",
     "Number of times the NFS server sent a response with a transaction ID unknown to this client.",
     True, lambda t: t.bad_transaction_ids),
    ("transport_backlog_queue", "Total number of items added to the RPC backlog queue.",
     True, lambda t: t.cumulative_backlog),
    ("transport_maximum_rpc_slots", "Maximum number of simultaneously active RPC requests ever used.",
     False, lambda t: t.maximum_rpc_slots_used),
    ("transport_sending_queue", "Total number of items added to the RPC transmission sending queue.",
     True, lambda t: t.cumulative_sending_queue),
    ("transport_pending_queue", "Total number of items added to the RPC transmission pending queue.",
     True, lambda t: t.cumulative_pending_queue),
)


def _ms(value: int) -> float:
    return (value % FLOAT64_MANTISSA) / 1000.0


# (metric suffix, HELP, value from an operation); all counters.
_OP_METRICS: tuple[tuple[str, str, Callable[[NFSOperation], float]], ...] = (
    ("operations_requests", "Number of requests performed for a given operation.", lambda o: o.requests),
    ("operations_transmissions", "Number of times an actual RPC request has been transmitted for a given operation.",
     lambda o: o.transmissions),
    ("operations_major_timeouts", "Number of times a request has had a major timeout for a given operation.",
     lambda o: o.major_timeouts),
    ("operations_sent_bytes", "Number of bytes sent for a given operation, including RPC headers and payload.",
     lambda o: o.bytes_sent),
    ("operations_received_bytes", "Number of bytes received for a given operation, including RPC headers and payload.",
     lambda o: o.bytes_received),
    ("operations_queue_time_seconds",
     "Duration all requests spent queued for transmission for a given operation before they were sent, in seconds.",
     lambda o: _ms(o.queue_milliseconds)),
    ("operations_response_time_seconds",
     "Duration all requests took to get a reply back after a request for a given operation was transmitted, "
     "in seconds.",
     lambda o: _ms(o.response_milliseconds)),
    ("operations_request_time_seconds",
     "Duration all requests took from when a request was enqueued to when it was completely handled for a given "
     "operation, in seconds.",
     lambda o: _ms(o.request_milliseconds)),
)

_PREFIX = "node_mountstats_nfs_"


class _MountFamilies:
    """Every family of one scrape's NFS mounts, built fresh so samples never leak between scrapes."""

    def __init__(self) -> None:
        self.age = CounterMetricFamily(_PREFIX + "age_seconds", "The age of the NFS mount in seconds.", labels=_L)
        self.info = GaugeMetricFamily(
            _PREFIX + "mountpoint_info", "Info metric for an NFS mountpoint.", labels=_INFO_L
        )
        self.bytes = [(CounterMetricFamily(_PREFIX + n, h, labels=_L), i) for n, h, i in _BYTES_METRICS]
        self.events = [(CounterMetricFamily(_PREFIX + n, h, labels=_L), i) for n, h, i in _EVENT_METRICS]
        self.xprt: list[tuple[CounterMetricFamily | GaugeMetricFamily, Callable[[NFSTransport], float]]] = [
            ((CounterMetricFamily if counter else GaugeMetricFamily)(_PREFIX + n, h, labels=_XPRT_L), get)
            for n, h, counter, get in _XPRT_METRICS
        ]
        self.ops = [(CounterMetricFamily(_PREFIX + n, h, labels=_OP_L), get) for n, h, get in _OP_METRICS]
        self.op_errors = CounterMetricFamily(
            _PREFIX + "operations_errors", "Number of errors for a given operation", labels=_OP_L
        )

    def add_stats(self, s: NFSStats, labels: list[str]) -> None:
        self.age.add_metric(labels, s.age_seconds)
        for family, index in self.bytes:
            family.add_metric(labels, s.bytes[index])
        for number, transport in enumerate(s.transports):
            for xprt_family, get_xprt in self.xprt:
                xprt_family.add_metric([*labels, str(number)], get_xprt(transport))
        for op in s.operations:
            for op_family, get_op in self.ops:
                op_family.add_metric([*labels, op.operation], get_op(op))
            if op.errors is not None:
                self.op_errors.add_metric([*labels, op.operation], op.errors % FLOAT64_MANTISSA)
        for family, index in self.events:
            family.add_metric(labels, s.events[index])

    def all(self) -> list[Metric]:
        families: list[Metric] = [self.age, self.info]
        families += [f for f, _ in self.bytes] + [f for f, _ in self.events]
        families += [f for f, _ in self.xprt] + [f for f, _ in self.ops] + [self.op_errors]
        return [f for f in families if f.samples]


@collector("mountstats", default=False)
class MountstatsCollector(Collector[NoOptions]):
    def _self_dir(self) -> str:
        """/proc/self; in fixture trees unpacked without symlinks it is a file naming the pid."""
        path = self.paths.proc("self")
        if os.path.isdir(path) or not os.path.isfile(path):
            return path
        target = read_text(path).strip()
        if not target or "\n" in target:
            return path
        return os.path.normpath(os.path.join(self.paths.proc(), target))

    def collect(self) -> Iterable[Metric]:
        self_dir = self._self_dir()
        # node_exporter fails on a missing mountstats as on any file it cannot read.
        mounts = parse_mountstats(read_text(os.path.join(self_dir, "mountstats")))
        addresses = parse_mountinfo_addresses(read_text(os.path.join(self_dir, "mountinfo")))

        families = _MountFamilies()
        seen_devices: set[tuple[str, str, str]] = set()
        seen_mountpoints: set[tuple[str, str, str, str]] = set()
        for index, mount in enumerate(mounts):
            if mount.stats is None:
                continue
            # mountstats and mountinfo list the mounts in the same order.
            address = addresses[index] if index < len(addresses) else ""
            for transport in mount.stats.transports:
                mountpoint_key = (mount.device, transport.protocol, address, mount.mount_point)
                if mountpoint_key not in seen_mountpoints:
                    seen_mountpoints.add(mountpoint_key)
                    families.info.add_metric(list(mountpoint_key), 1)
                device_key = (mount.device, transport.protocol, address)
                if device_key in seen_devices:
                    self.log.debug("Skipping duplicate device entry", extra={"kv": {"device": str(device_key)}})
                    break
                seen_devices.add(device_key)
                families.add_stats(mount.stats, list(device_key))
        return families.all()
