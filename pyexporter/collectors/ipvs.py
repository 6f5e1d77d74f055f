"""ipvs: /proc/net/ip_vs_stats and /proc/net/ip_vs, as node_exporter's ipvs collector
(collector/ipvs_linux.go, over procfs's ipvs.go: parseIPVSStats, parseIPVSBackendStatus,
parseIPPort).

SCTP services are read as services of their own; procfs knows only TCP, UDP and FWM headers and
would count an SCTP service's backends under the service listed before it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import FlagValueError, flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_uint

FULL_BACKEND_LABELS = (
    "local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark",
)


class IPVSStats(NamedTuple):
    connections: int
    incoming_packets: int
    outgoing_packets: int
    incoming_bytes: int
    outgoing_bytes: int


class Backend(NamedTuple):
    local_address: str
    local_port: int
    local_mark: str
    proto: str
    remote_address: str
    remote_port: int
    weight: int
    active_conn: int
    inact_conn: int


def parse_ipvs_stats(text: str) -> IPVSStats:
    """procfs parseIPVSStats: the third of at least four lines holds exactly five hex totals."""
    lines = text.split("\n", 3)
    if len(lines) != 4:
        raise CollectorError("ip_vs_stats corrupt: too short")
    fields = lines[2].split()
    if len(fields) != 5:
        raise CollectorError("ip_vs_stats corrupt: unexpected number of fields")
    try:
        values = [parse_uint(f, 16) for f in fields]
    except NumberError as err:
        raise CollectorError(f"ip_vs_stats corrupt: {err}") from None
    return IPVSStats(*values)


_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


def parse_ip_port(text: str) -> tuple[str, int]:
    """procfs parseIPPort: `C0A80016:0050` (13 characters: hex.DecodeString of the address) or
    `[2620:0000:...:0001]:0050` (46: net.ParseIP of the bracketed address), then a 4-digit hex
    port; addresses as Go's net.IP.String writes them (IPv4-mapped IPv6 in dotted form)."""
    try:
        if len(text) == 13:
            if not _HEX8.fullmatch(text[:8]):
                raise ValueError(text)
            address = str(ipaddress.IPv4Address(bytes.fromhex(text[:8])))
        elif len(text) == 46:
            ip6 = ipaddress.IPv6Address(text[1:40])
            address = str(ip6.ipv4_mapped) if ip6.ipv4_mapped else str(ip6)
        else:
            raise ValueError(text)
        return address, parse_uint(text[-4:], 16, 16)
    except (ValueError, NumberError):
        raise CollectorError(f"ip_vs: invalid address {text[:60]!r}") from None


def parse_ip_vs(text: str) -> list[Backend]:
    backends: list[Backend] = []
    local_address, local_port, local_mark, proto = "", 0, "", ""
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0] in ("IP", "Prot", "RemoteAddress:Port"):
            continue
        if fields[0] in ("TCP", "UDP", "SCTP"):
            if len(fields) < 2:
                continue
            proto = fields[0]
            local_mark = ""
            local_address, local_port = parse_ip_port(fields[1])
        elif fields[0] == "FWM":
            if len(fields) < 2:
                continue
            proto, local_mark, local_address, local_port = "FWM", fields[1], "", 0
        elif fields[0] == "->":
            if len(fields) < 6 or fields[1] == "RemoteAddress:Port":
                continue
            remote_address, remote_port = parse_ip_port(fields[1])
            try:
                weight, active, inactive = parse_uint(fields[3]), parse_uint(fields[4]), parse_uint(fields[5])
            except NumberError as err:
                raise CollectorError(f"ip_vs: invalid backend line {line[:80]!r}: {err}") from None
            backends.append(Backend(
                local_address, local_port, local_mark, proto, remote_address, remote_port,
                weight, active, inactive,
            ))
    return backends


def parse_backend_labels(text: str) -> list[str]:
    """The requested labels in node_exporter's canonical order; unknown names are an error."""
    wanted = {label for label in text.split(",") if label}
    unknown = wanted - set(FULL_BACKEND_LABELS)
    if unknown:
        raise FlagValueError(f"unknown IPVS backend labels: {', '.join(sorted(unknown))!r}")
    return [label for label in FULL_BACKEND_LABELS if label in wanted]


@dataclass(frozen=True, slots=True)
class IpvsOptions:
    backend_labels: str = flag(
        "backend-labels",
        "Comma separated list for IPVS backend stats labels.",
        ",".join(FULL_BACKEND_LABELS))


@collector("ipvs", options=IpvsOptions)
class IPVSCollector(Collector[IpvsOptions]):
    def __init__(self, ctx: CollectorContext[IpvsOptions]) -> None:
        super().__init__(ctx)
        self.backend_labels = parse_backend_labels(self.options.backend_labels)

    def _label_value(self, backend: Backend, label: str) -> str:
        if label == "local_port":
            return str(backend.local_port)
        if label == "remote_port":
            return str(backend.remote_port)
        return str(getattr(backend, label))

    def collect(self) -> Iterable[Metric]:
        try:
            stats_text = read_text(self.paths.proc("net", "ip_vs_stats"))
        except FileNotFoundError:
            # No IPVS in this kernel: node_exporter's ErrNoData.
            raise NoDataError("ipvs collector metrics are not available for this system") from None
        stats = parse_ipvs_stats(stats_text)
        p = "node_ipvs_"
        yield CounterMetricFamily(p + "connections_total", "The total number of connections made.",
                                  value=stats.connections)
        yield CounterMetricFamily(p + "incoming_packets_total", "The total number of incoming packets.",
                                  value=stats.incoming_packets)
        yield CounterMetricFamily(p + "outgoing_packets_total", "The total number of outgoing packets.",
                                  value=stats.outgoing_packets)
        yield CounterMetricFamily(p + "incoming_bytes_total", "The total amount of incoming data.",
                                  value=stats.incoming_bytes)
        yield CounterMetricFamily(p + "outgoing_bytes_total", "The total amount of outgoing data.",
                                  value=stats.outgoing_bytes)
        # Read after the totals are given, as node_exporter sends them before reading the
        # backends: a backend table it cannot read leaves them served.
        backends = parse_ip_vs(read_text(self.paths.proc("net", "ip_vs")))

        # Backends that collapse onto the same label values (a reduced label set) are summed.
        sums: dict[tuple[str, ...], list[int]] = {}
        for backend in backends:
            key = tuple(self._label_value(backend, label) for label in self.backend_labels)
            total = sums.setdefault(key, [0, 0, 0])
            total[0] += backend.active_conn
            total[1] += backend.inact_conn
            total[2] += backend.weight
        labels = self.backend_labels
        active = GaugeMetricFamily(p + "backend_connections_active",
                                   "The current active connections by local and remote address.",
                                   labels=labels)
        inactive = GaugeMetricFamily(p + "backend_connections_inactive",
                                     "The current inactive connections by local and remote address.",
                                     labels=labels)
        weight = GaugeMetricFamily(p + "backend_weight",
                                   "The current backend weight by local and remote address.",
                                   labels=labels)
        for key, (act, inact, w) in sums.items():
            active.add_metric(list(key), act)
            inactive.add_metric(list(key), inact)
            weight.add_metric(list(key), w)
        yield from (active, inactive, weight)
