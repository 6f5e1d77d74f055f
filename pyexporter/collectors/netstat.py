"""netstat: protocol counters from /proc/net/netstat, snmp and snmp6, as node_exporter's netstat
collector (collector/netstat_linux.go: untyped families node_netstat_<Proto>_<Field>, filtered by
`fields`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import UnknownMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, parse_floats

DEFAULT_FIELDS = (
    "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|"
    "TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|"
    "Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|"
    "Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"
)

Stats = dict[str, dict[str, str]]


def parse_netstat(text: str, source: str = "/proc/net/netstat") -> Stats:
    """Parse /proc/net/netstat or /proc/net/snmp: pairs of `Proto: names...` / `Proto: values...`."""
    stats: Stats = {}
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) % 2:
        raise CollectorError(f"{source}: header line without a value line")
    for names_line, values_line in zip(lines[::2], lines[1::2], strict=True):
        names, values = names_line.split(), values_line.split()
        if not names or not names[0].endswith(":") or names[0] != values[0]:
            raise CollectorError(f"{source}: malformed line pair {names_line[:40]!r}")
        if len(names) != len(values):
            raise CollectorError(f"{source}: field count mismatch for {names[0][:-1]}")
        stats[names[0][:-1]] = dict(zip(names[1:], values[1:], strict=True))
    return stats


def parse_snmp6(text: str) -> Stats:
    """Parse /proc/net/snmp6: `Ip6InReceives  7` lines; the protocol ends at its first `6`."""
    stats: Stats = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        six = fields[0].find("6")
        if six == -1:
            continue
        stats.setdefault(fields[0][: six + 1], {})[fields[0][six + 1 :]] = fields[1]
    return stats


@dataclass(frozen=True, slots=True)
class NetstatOptions:
    fields: re.Pattern[str] | None = flag("fields", "Regexp of fields to return for netstat collector.", DEFAULT_FIELDS)


@collector("netstat", options=NetstatOptions)
class NetstatCollector(Collector[NetstatOptions]):
    def __init__(self, ctx: CollectorContext[NetstatOptions]) -> None:
        super().__init__(ctx)
        self.fields = self.options.fields
        # The families a protocol's fields make, by position: they depend on the field names
        # alone (and the fields flag, fixed for the collector's life), which recur every scrape.
        self._chosen: RecurringMemo[tuple[str, tuple[str, ...]], list[tuple[int, str, str]]] = RecurringMemo(
            self._choose)

    def collect(self) -> Iterator[Metric]:
        stats = parse_netstat(read_text(self.paths.proc("net", "netstat")), "/proc/net/netstat")
        stats.update(parse_netstat(read_text(self.paths.proc("net", "snmp")), "/proc/net/snmp"))
        try:
            # Absent when IPv6 is disabled.
            stats.update(parse_snmp6(read_text(self.paths.proc("net", "snmp6"))))
        except FileNotFoundError:
            pass
        self._chosen.rotate()
        for protocol, values in stats.items():
            # Every value is parsed, the filtered-out ones too, as node_exporter does.
            try:
                numbers = parse_floats(list(values.values()))
            except NumberError as err:
                raise CollectorError(f"invalid value for {protocol} in netstats: {err}") from None
            for index, name, help_text in self._chosen((protocol, tuple(values))):
                yield UnknownMetricFamily(name, help_text, value=numbers[index])

    def _choose(self, key: tuple[str, tuple[str, ...]]) -> list[tuple[int, str, str]]:
        protocol, names = key
        chosen = []
        for index, name in enumerate(names):
            field = f"{protocol}_{name}"
            if self.fields is None or self.fields.search(field):
                chosen.append((index, f"node_netstat_{field}", f"Statistic {protocol}{name}."))
        return chosen
