"""nfs: NFS client statistics from /proc/net/rpc/nfs, as node_exporter's nfs collector
(collector/nfs_linux.go, over procfs's nfs/parse_nfs.go: ParseClientRPCStats, and nfs/parse.go:
parseNetwork, parseClientRPC, parseV2Stats, parseV3Stats, parseClientV4Stats).

Lines that are missing leave their counters at zero, as procfs's zero-valued structs do. A line
procfs does not know fails its parse ("unknown NFS metric line"); here it is skipped, so a newer
kernel's extra line does not hide every NFS metric."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.nfs import V2_PROCEDURES, V3_PROCEDURES, expect_len, line_values, procedure_counts

# NFSv4 client procedures in the kernel's order, as procfs names them.
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
        values = line_values(key, parts[1:])
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
            raise NoDataError("Not collecting NFS metrics") from None
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
