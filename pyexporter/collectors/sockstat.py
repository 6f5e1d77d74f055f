"""sockstat: socket counts from /proc/net/sockstat and sockstat6, as node_exporter's sockstat
collector (collector/sockstat_linux.go: Update, update) over procfs's net_sockstat.go
(parseSockstat, parseSockstatKVs, parseSockstatProtocol).

Either file may be missing (IPv4 or IPv6 disabled): the other is still reported. An unparsable
one fails the collector, as node_exporter's Update does."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_int

# node_exporter converts the `mem` page counts with the running machine's page size.
PAGE_SIZE = resource.getpagesize()

# The per-protocol keys node_exporter exports, in its order; others are dropped.
_KEYS = ("inuse", "orphan", "tw", "alloc", "mem", "memory")


class SockstatProtocol(NamedTuple):
    protocol: str
    values: dict[str, int]


class Sockstat(NamedTuple):
    used: int | None
    protocols: list[SockstatProtocol]


def parse_sockstat(text: str) -> Sockstat:
    """Parse `PROTO: key value key value...` lines; `sockets: used N` is the IPv4 total."""
    used: int | None = None
    protocols: list[SockstatProtocol] = []
    for line in text.splitlines():
        if not line:
            continue
        fields = line.split(" ")
        if len(fields) < 3 or len(fields) % 2 == 0:
            raise CollectorError(f"malformed sockstat line: {line[:80]!r}")
        try:
            # procfs's util.ValueParser.Int: strconv.ParseInt(value, 0, 64).
            kvs = {fields[i]: parse_int(fields[i + 1], 0) for i in range(1, len(fields), 2)}
        except NumberError as err:
            raise CollectorError(f"invalid value in sockstat line: {line[:80]!r}: {err}") from None
        proto = fields[0].removesuffix(":")
        if proto == "sockets":
            used = kvs.get("used", 0)
        else:
            # `inuse` is always reported (0 when absent), the others only when present.
            values = {"inuse": kvs.get("inuse", 0)}
            values.update((k, kvs[k]) for k in _KEYS[1:] if k in kvs)
            protocols.append(SockstatProtocol(proto, values))
    return Sockstat(used, protocols)


@collector("sockstat")
class SockstatCollector(Collector[NoOptions]):
    def _read(self, name: str) -> Sockstat | None:
        try:
            return parse_sockstat(read_text(self.paths.proc("net", name)))
        except FileNotFoundError:
            # IPv4 or IPv6 disabled on this kernel.
            return None

    def collect(self) -> Iterator[Metric]:
        for stat, ipv6 in ((self._read("sockstat"), False), (self._read("sockstat6"), True)):
            if stat is None:
                continue
            if not ipv6 and stat.used is not None:
                yield GaugeMetricFamily(
                    "node_sockstat_sockets_used", "Number of IPv4 sockets in use.", value=stat.used
                )
            for proto in stat.protocols:
                values = dict(proto.values)
                if "mem" in values:
                    values["mem_bytes"] = values["mem"] * PAGE_SIZE
                for key, value in values.items():
                    yield GaugeMetricFamily(
                        f"node_sockstat_{proto.protocol}_{key}",
                        f"Number of {proto.protocol} sockets in state {key}.",
                        value=value,
                    )
