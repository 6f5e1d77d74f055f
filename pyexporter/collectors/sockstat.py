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
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, parse_ints, read_value_text

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


def _check_lines(rows: list[list[str]]) -> None:
    """CollectorError for the first line procfs's parseSockstat refuses, line by line: a field
    count that is no `PROTO:` and key-value pairs, or a value strconv.ParseInt(value, 0, 64)
    refuses."""
    for fields in rows:
        line = " ".join(fields)
        if len(fields) < 3 or len(fields) % 2 == 0:
            raise CollectorError(f"malformed sockstat line: {line[:80]!r}")
        try:
            parse_ints(fields[2::2], 0)
        except NumberError as err:
            raise CollectorError(f"invalid value in sockstat line: {line[:80]!r}: {err}") from None


def parse_sockstat(text: str) -> Sockstat:
    """Parse `PROTO: key value key value...` lines; `sockets: used N` is the IPv4 total. Fields
    are split at each single space (strings.Split(line, " ")): a tab separates nothing, and a
    blank line or a doubled space makes a line procfs's parseSockstat refuses."""
    rows = [line.split(" ") for line in text.splitlines()]
    # The values of all lines are parsed as one batch (util.ValueParser.Int:
    # strconv.ParseInt(value, 0, 64)); when anything is amiss, _check_lines names the first line
    # at fault, as procfs's line-by-line parse does.
    numbers: list[int] | None = None
    if all(len(fields) >= 3 and len(fields) % 2 for fields in rows):
        try:
            numbers = parse_ints([value for fields in rows for value in fields[2::2]], 0)
        except NumberError:
            pass
    if numbers is None:
        _check_lines(rows)
        raise AssertionError("_check_lines accepts only what the batch accepts")
    used: int | None = None
    protocols: list[SockstatProtocol] = []
    start = 0
    for fields in rows:
        end = start + len(fields) // 2
        # As many keys as values by construction; strict's check is a cost to no purpose here.
        kvs = dict(zip(fields[1::2], numbers[start:end], strict=False))
        start = end
        proto = fields[0].removesuffix(":")
        if proto == "sockets":
            used = kvs.get("used", 0)
        else:
            # `inuse` is always reported (0 when absent), the others only when present.
            values = {"inuse": kvs.get("inuse", 0)}
            for key in _KEYS[1:]:
                if key in kvs:
                    values[key] = kvs[key]
            protocols.append(SockstatProtocol(proto, values))
    return Sockstat(used, protocols)


@collector("sockstat")
class SockstatCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        # A protocol's family names and HELP, for its keys and then mem_bytes: they depend on the
        # protocol and its keys alone, which recur every scrape.
        self._families: RecurringMemo[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = RecurringMemo(
            _families)

    def _read(self, name: str) -> Sockstat | None:
        try:
            # The kernel prints each file in one piece (proc_create_net_single).
            return parse_sockstat(read_value_text(self.paths.proc("net", name)))
        except FileNotFoundError:
            # IPv4 or IPv6 disabled on this kernel.
            return None

    def collect(self) -> Iterator[Metric]:
        self._families.rotate()
        for stat, ipv6 in ((self._read("sockstat"), False), (self._read("sockstat6"), True)):
            if stat is None:
                continue
            if not ipv6 and stat.used is not None:
                yield GaugeMetricFamily(
                    "node_sockstat_sockets_used", "Number of IPv4 sockets in use.", value=stat.used
                )
            for protocol, values in stat.protocols:
                numbers = list(values.values())
                if "mem" in values:
                    numbers.append(values["mem"] * PAGE_SIZE)
                for (name, help_text), value in zip(self._families((protocol, tuple(values))), numbers, strict=True):
                    yield GaugeMetricFamily(name, help_text, value=value)


def _families(key: tuple[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    protocol, keys = key
    if "mem" in keys:
        keys += ("mem_bytes",)
    return [(f"node_sockstat_{protocol}_{key}", f"Number of {protocol} sockets in state {key}.") for key in keys]
