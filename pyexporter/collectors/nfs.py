"""nfs: NFS client statistics from /proc/net/rpc/nfs, as node_exporter's nfs collector."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import read_text

# Procedure names in the kernel's order, as procfs names them (they become `method` labels).
V2_PROCEDURES = (
    "Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read", "WrCache", "Write",
    "Create", "Remove", "Rename", "Link", "SymLink", "MkDir", "RmDir", "ReadDir", "FsStat",
)
V3_PROCEDURES = (
    "Null", "GetAttr", "SetAttr", "Lookup", "Access", "ReadLink", "Read", "Write", "Create",
    "MkDir", "SymLink", "MkNod", "Remove", "RmDir", "Rename", "Link", "ReadDir", "ReadDirPlus",
    "FsStat", "FsInfo", "PathConf", "Commit",
)
CLIENT_V4_PROCEDURES = (
    "Null", "Read", "Write", "Commit", "Open", "OpenConfirm", "OpenNoattr", "OpenDowngrade",
    "Close", "Setattr", "FsInfo", "Renew", "SetClientID", "SetClientIDConfirm", "Lock", "Lockt",
    "Locku", "Access", "Getattr", "Lookup", "LookupRoot", "Remove", "Rename", "Link", "Symlink",
    "Create", "Pathconf", "StatFs", "ReadLink", "ReadDir", "ServerCaps", "DelegReturn", "GetACL",
    "SetACL", "FsLocations", "ReleaseLockowner", "Secinfo", "FsidPresent", "ExchangeID",
    "CreateSession", "DestroySession", "Sequence", "GetLeaseTime", "ReclaimComplete",
    "GetDeviceInfo", "LayoutGet", "LayoutCommit", "LayoutReturn", "SecinfoNoName", "TestStateID",
    "FreeStateID", "GetDeviceList", "BindConnToSession", "DestroyClientID", "Seek", "Allocate",
    "DeAllocate", "LayoutStats", "Clone",
)


def parse_uints(key: str, fields: list[str]) -> list[int]:
    try:
        return [int(f) for f in fields]
    except ValueError:
        raise CollectorError(f"non-integer value in NFS line {key!r}") from None


def expect_len(key: str, values: list[int], count: int) -> list[int]:
    if len(values) != count:
        raise CollectorError(f"NFS line {key!r}: expected {count} values, got {len(values)}")
    return values


def procedure_counts(
    key: str, values: list[int], names: tuple[str, ...], minimum: int, pad: bool = False
) -> dict[str, int]:
    """A `procN COUNT v1 v2 ...` line as {procedure: count}; the leading count must agree."""
    if not values or len(values) - 1 != values[0]:
        raise CollectorError(f"NFS line {key!r}: value count does not match its header")
    counts = values[1:]
    if len(counts) < minimum:
        raise CollectorError(f"NFS line {key!r}: expected at least {minimum} values")
    if pad:
        # Older kernels report fewer v4 procedures; the missing ones count as zero.
        counts = counts + [0] * (len(names) - len(counts))
    return dict(zip(names, counts, strict=False))


@dataclass
class ClientRPCStats:
    udp: int = 0
    tcp: int = 0
    tcp_connections: int = 0
    rpcs: int = 0
    retransmissions: int = 0
    auth_refreshes: int = 0
    v2: dict[str, int] = field(default_factory=dict)
    v3: dict[str, int] = field(default_factory=dict)
    v4: dict[str, int] = field(default_factory=dict)


def parse_client_rpc_stats(text: str) -> ClientRPCStats:
    stats = ClientRPCStats(
        v2=dict.fromkeys(V2_PROCEDURES, 0),
        v3=dict.fromkeys(V3_PROCEDURES, 0),
        v4=dict.fromkeys(CLIENT_V4_PROCEDURES, 0),
    )
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            raise CollectorError(f"invalid NFS line {line!r}")
        key = parts[0]
        values = parse_uints(key, parts[1:])
        if key == "net":
            _, stats.udp, stats.tcp, stats.tcp_connections = expect_len(key, values, 4)
        elif key == "rpc":
            stats.rpcs, stats.retransmissions, stats.auth_refreshes = expect_len(key, values, 3)
        elif key == "proc2":
            stats.v2 = procedure_counts(key, values, V2_PROCEDURES, 18)
        elif key == "proc3":
            stats.v3 = procedure_counts(key, values, V3_PROCEDURES, 22)
        elif key == "proc4":
            stats.v4 = procedure_counts(key, values, CLIENT_V4_PROCEDURES, 0, pad=True)
        # Lines newer kernels add are not metrics node_exporter knows; skip them.
    return stats


@collector("nfs")
class NfsCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.paths.proc("net", "rpc", "nfs"))
        except FileNotFoundError:
            return
        stats = parse_client_rpc_stats(text)

        packets = CounterMetricFamily(
            "node_nfs_packets_total",
            "Total NFSd network packets (sent+received) by protocol type.",
            labels=["protocol"],
        )
        packets.add_metric(["udp"], stats.udp)
        packets.add_metric(["tcp"], stats.tcp)
        yield packets
        yield CounterMetricFamily(
            "node_nfs_connections_total", "Total number of NFSd TCP connections.",
            value=stats.tcp_connections,
        )
        yield CounterMetricFamily(
            "node_nfs_rpcs_total", "Total number of RPCs performed.", value=stats.rpcs
        )
        yield CounterMetricFamily(
            "node_nfs_rpc_retransmissions_total", "Number of RPC transmissions performed.",
            value=stats.retransmissions,
        )
        yield CounterMetricFamily(
            "node_nfs_rpc_authentication_refreshes_total",
            "Number of RPC authentication refreshes performed.",
            value=stats.auth_refreshes,
        )
        requests = CounterMetricFamily(
            "node_nfs_requests_total", "Number of NFS procedures invoked.",
            labels=["proto", "method"],
        )
        for proto, counts in (("2", stats.v2), ("3", stats.v3), ("4", stats.v4)):
            for method, value in counts.items():
                requests.add_metric([proto, method], value)
        yield requests
