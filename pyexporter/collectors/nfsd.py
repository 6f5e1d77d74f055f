"""nfsd: NFS server statistics from /proc/net/rpc/nfsd, as node_exporter's nfsd collector
(collector/nfsd_linux.go, over procfs's nfs/parse_nfsd.go: ParseServerRPCStats, and nfs/parse.go:
parseReplyCache, parseFileHandles, parseInputOutput, parseThreads, parseReadAheadCache,
parseNetwork, parseServerRPC, parseV2Stats, parseV3Stats, parseServerV4Stats, parseV4Ops).

Lines that are missing (`ra` is gone from newer kernels) leave their counters at zero, as
procfs's zero-valued structs do. A line procfs does not know fails its parse; here it is
skipped, so a newer kernel's extra line does not hide every NFSd metric."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.nfs import V2_PROCEDURES, V3_PROCEDURES, expect_len, line_values, procedure_counts

# proc4ops operations in the kernel's order (from operation 0).
V4_OPS = (
    "Op0Unused", "Op1Unused", "Op2Future", "Access", "Close", "Commit", "Create", "DelegPurge",
    "DelegReturn", "GetAttr", "GetFH", "Link", "Lock", "Lockt", "Locku", "Lookup", "LookupRoot",
    "Nverify", "Open", "OpenAttr", "OpenConfirm", "OpenDgrd", "PutFH", "PutPubFH", "PutRootFH",
    "Read", "ReadDir", "ReadLink", "Remove", "Rename", "Renew", "RestoreFH", "SaveFH", "SecInfo",
    "SetAttr", "SetClientID", "SetClientIDConfirm", "Verify", "Write", "RelLockOwner",
)
# What node_exporter exports of each version, in its order.
_EXPORTED_V2 = V2_PROCEDURES[1:]
_EXPORTED_V3 = V3_PROCEDURES[1:]
_EXPORTED_V4 = (
    "Access", "Close", "Commit", "Create", "DelegPurge", "DelegReturn", "GetAttr", "GetFH", "Link",
    "Lock", "Lockt", "Locku", "Lookup", "LookupRoot", "Nverify", "Open", "OpenAttr", "OpenConfirm",
    "OpenDgrd", "PutFH", "Read", "ReadDir", "ReadLink", "Remove", "Rename", "Renew", "RestoreFH",
    "SaveFH", "SecInfo", "SetAttr", "SetClientID", "SetClientIDConfirm", "Verify", "Write",
    "RelLockOwner",
)


@dataclass
class ServerRPCStats:
    rc_hits: int = 0
    rc_misses: int = 0
    rc_nocache: int = 0
    fh_stale: int = 0
    io_read: int = 0
    io_write: int = 0
    threads: int = 0
    ra_cache_size: int = 0
    ra_not_found: int = 0
    udp: int = 0
    tcp: int = 0
    tcp_connections: int = 0
    rpcs: int = 0
    bad_fmt: int = 0
    bad_auth: int = 0
    bad_client: int = 0
    wdeleg_getattr: int = 0
    v2: dict[str, int] = field(default_factory=lambda: dict.fromkeys(V2_PROCEDURES, 0))
    v3: dict[str, int] = field(default_factory=lambda: dict.fromkeys(V3_PROCEDURES, 0))
    v4ops: dict[str, int] = field(default_factory=lambda: dict.fromkeys(V4_OPS, 0))


def parse_server_rpc_stats(text: str) -> ServerRPCStats:
    stats = ServerRPCStats()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            raise CollectorError(f"invalid NFSd line {line!r}")
        key = parts[0]
        # The thread line's trailing histogram is obsolete (and fractional); only two fields count.
        values = line_values(key, parts[1:3] if key == "th" else parts[1:])
        if key == "rc":
            stats.rc_hits, stats.rc_misses, stats.rc_nocache = expect_len(key, values, 3)
        elif key == "fh":
            stats.fh_stale = expect_len(key, values, 5)[0]
        elif key == "io":
            stats.io_read, stats.io_write = expect_len(key, values, 2)
        elif key == "th":
            stats.threads = expect_len(key, values, 2)[0]
        elif key == "ra":
            ra = expect_len(key, values, 12)
            stats.ra_cache_size, stats.ra_not_found = ra[0], ra[11]
        elif key == "net":
            _, stats.udp, stats.tcp, stats.tcp_connections = expect_len(key, values, 4)
        elif key == "rpc":
            rpc = expect_len(key, values, 5)
            stats.rpcs, _, stats.bad_fmt, stats.bad_auth, stats.bad_client = rpc
        elif key == "proc2":
            stats.v2 = procedure_counts(key, values, V2_PROCEDURES, 18)
        elif key == "proc3":
            stats.v3 = procedure_counts(key, values, V3_PROCEDURES, 22)
        elif key == "proc4":
            # Only validated: node_exporter exports no NFSv4 NULL/COMPOUND counts.
            expect_len(key, values, 3)
            procedure_counts(key, values, ("Null", "Compound"), 2)
        elif key == "proc4ops":
            # Kernels before 2.6 have 39 operations (no RelLockOwner); newer ones have more.
            stats.v4ops = procedure_counts(key, values, V4_OPS, 39, pad=True)
        elif key == "wdeleg_getattr":
            stats.wdeleg_getattr = values[0]
        # Lines newer kernels add are not metrics node_exporter knows; skip them.
    return stats


@collector("nfsd")
class NfsdCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.paths.proc("net", "rpc", "nfsd"))
        except FileNotFoundError:
            raise NoDataError("Not collecting NFSd metrics") from None
        s = parse_server_rpc_stats(text)

        def counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
            return CounterMetricFamily(f"node_nfsd_{name}", help_text, value=value)

        def gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"node_nfsd_{name}", help_text, value=value)

        yield counter(
            "reply_cache_hits_total",
            "Total number of NFSd Reply Cache hits (client lost server response).", s.rc_hits,
        )
        yield counter(
            "reply_cache_misses_total",
            "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
            s.rc_misses,
        )
        yield counter(
            "reply_cache_nocache_total",
            "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).",
            s.rc_nocache,
        )
        yield counter(
            "file_handles_stale_total", "Total number of NFSd stale file handles", s.fh_stale
        )
        yield counter("disk_bytes_read_total", "Total NFSd bytes read.", s.io_read)
        yield counter("disk_bytes_written_total", "Total NFSd bytes written.", s.io_write)
        yield gauge(
            "server_threads", "Total number of NFSd kernel threads that are running.", s.threads
        )
        yield gauge(
            "read_ahead_cache_size_blocks", "How large the read ahead cache is in blocks.",
            s.ra_cache_size,
        )
        yield counter(
            "read_ahead_cache_not_found_total", "Total number of NFSd read ahead cache not found.",
            s.ra_not_found,
        )
        packets = CounterMetricFamily(
            "node_nfsd_packets_total",
            "Total NFSd network packets (sent+received) by protocol type.",
            labels=["proto"],
        )
        packets.add_metric(["udp"], s.udp)
        packets.add_metric(["tcp"], s.tcp)
        yield packets
        yield counter("connections_total", "Total number of NFSd TCP connections.", s.tcp_connections)
        errors = CounterMetricFamily(
            "node_nfsd_rpc_errors_total", "Total number of NFSd RPC errors by error type.",
            labels=["error"],
        )
        errors.add_metric(["fmt"], s.bad_fmt)
        errors.add_metric(["auth"], s.bad_auth)
        errors.add_metric(["cInt"], s.bad_client)
        yield errors
        yield counter("server_rpcs_total", "Total number of NFSd RPCs.", s.rpcs)

        requests = CounterMetricFamily(
            "node_nfsd_requests_total", "Total number NFSd Requests by method and protocol.",
            labels=["proto", "method"],
        )
        for method in _EXPORTED_V2:
            requests.add_metric(["2", method], s.v2[method])
        for method in _EXPORTED_V3:
            requests.add_metric(["3", method], s.v3[method])
        for method in _EXPORTED_V4:
            requests.add_metric(["4", method], s.v4ops[method])
        requests.add_metric(["4", "WdelegGetattr"], s.wdeleg_getattr)
        yield requests
