"""netstat: protocol counters from /proc/net/netstat, snmp and snmp6, as node_exporter's netstat
collector (collector/netstat_linux.go: untyped families node_netstat_<Proto>_<Field>, filtered by
`fields`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import UnknownMetricFamily
from pyexporter.toolkit.files import read_text, scan_lines
from pyexporter.toolkit.memo import RecurringMemo
from pyexporter.toolkit.numbers import NumberError, parse_chosen_floats

DEFAULT_FIELDS = (
    "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|"
    "TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|"
    "Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|"
    "Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"
)

# A protocol's counters as the file lists them: the field names (a name may recur) and the value
# texts, by position.
Table = tuple[tuple[str, ...], list[str]]
Stats = dict[str, Table]
# The protocols of /proc/net/snmp6's names: each protocol, its field names and their positions.
Snmp6Protocols = list[tuple[str, tuple[str, ...], list[int]]]


def netstat_header(line: str) -> tuple[str, tuple[str, ...]]:
    """A names line's first field (`Tcp:`) and the names after it, split at single blanks."""
    names = line.split(" ")
    return names[0], tuple(names[1:])


def parse_netstat(text: str, source: str = "/proc/net/netstat",
                  header: Callable[[str], tuple[str, tuple[str, ...]]] = netstat_header) -> Stats:
    """Parse /proc/net/netstat or /proc/net/snmp as node_exporter's parseNetStats reads them: lines
    in pairs, `Proto: names...` then `Proto: values...`, each split at single blanks; a names line
    without a values line, a pair whose first fields differ or whose counts differ fails the file.
    The protocol is the first field less its last character. HEADER is netstat_header or a memo
    of it."""
    stats: Stats = {}
    lines = scan_lines(text)
    if len(lines) % 2:
        raise CollectorError(f"{source}: missing value line for {lines[-1].split(' ', 1)[0][:40]!r}")
    for names_line, values_line in zip(lines[::2], lines[1::2], strict=True):
        first, names = header(names_line)
        values = values_line.split(" ")
        if first != values[0]:
            raise CollectorError(f"{source}: header to value mismatch: {first[:40]!r} vs {values[0][:40]!r}")
        if not first:
            # node_exporter would slice an empty first field and panic.
            raise CollectorError(f"{source}: empty line")
        if len(names) + 1 != len(values):
            raise CollectorError(f"{source}: field count mismatch for {first[:-1][:40]}")
        stats[first[:-1]] = (names, values[1:])
    return stats


def snmp6_protocols(names: tuple[str, ...]) -> Snmp6Protocols:
    """The protocols of /proc/net/snmp6's NAMES (`Ip6InReceives`): each ends at the name's first
    `6`; names without one are skipped."""
    protocols: dict[str, tuple[list[str], list[int]]] = {}
    for index, name in enumerate(names):
        six = name.find("6")
        if six != -1:
            fields, positions = protocols.setdefault(name[: six + 1], ([], []))
            fields.append(name[six + 1 :])
            positions.append(index)
    return [(protocol, tuple(fields), positions) for protocol, (fields, positions) in protocols.items()]


def parse_snmp6(text: str, protocols: Callable[[tuple[str, ...]], Snmp6Protocols] = snmp6_protocols) -> Stats:
    """Parse /proc/net/snmp6: `Ip6InReceives  7` lines, lines of fewer fields skipped. PROTOCOLS
    is snmp6_protocols or a memo of it."""
    names: list[str] = []
    texts: list[str] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            names.append(fields[0])
            texts.append(fields[1])
    return {protocol: (fields, [texts[i] for i in positions])
            for protocol, fields, positions in protocols(tuple(names))}


class _Plan(NamedTuple):
    """What a protocol's table reports. `kept`: the positions of the values a map of the names
    keeps (a recurring name's last value, at its first place), None when no name recurs;
    `positions` among those values, and family name and HELP (`families`), of each family the
    fields flag selects."""
    kept: list[int] | None
    positions: list[int]
    families: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class NetstatOptions:
    fields: re.Pattern[str] | None = flag("fields", "Regexp of fields to return for netstat collector.", DEFAULT_FIELDS)


@collector("netstat", options=NetstatOptions)
class NetstatCollector(Collector[NetstatOptions]):
    def __init__(self, ctx: CollectorContext[NetstatOptions]) -> None:
        super().__init__(ctx)
        self.fields = self.options.fields
        # A protocol's plan depends on its names alone (and the fields flag, fixed for the
        # collector's life), a names line's split and snmp6's protocols on their text alone: all
        # recur every scrape.
        self._plans: RecurringMemo[tuple[str, tuple[str, ...]], _Plan] = RecurringMemo(self._plan)
        self._headers: RecurringMemo[str, tuple[str, tuple[str, ...]]] = RecurringMemo(netstat_header)
        self._snmp6_protocols: RecurringMemo[tuple[str, ...], Snmp6Protocols] = RecurringMemo(snmp6_protocols)

    def collect(self) -> Iterator[Metric]:
        self._plans.rotate()
        self._headers.rotate()
        self._snmp6_protocols.rotate()
        stats = parse_netstat(read_text(self.paths.proc("net", "netstat")), "/proc/net/netstat", self._headers)
        stats.update(parse_netstat(read_text(self.paths.proc("net", "snmp")), "/proc/net/snmp", self._headers))
        try:
            # Absent when IPv6 is disabled.
            stats.update(parse_snmp6(read_text(self.paths.proc("net", "snmp6")), self._snmp6_protocols))
        except FileNotFoundError:
            pass
        for protocol, (names, texts) in stats.items():
            plan = self._plans((protocol, names))
            if plan.kept is not None:
                texts = [texts[i] for i in plan.kept]
            # Every value is parsed, the filtered-out ones too, as node_exporter does.
            try:
                numbers = parse_chosen_floats(texts, plan.positions)
            except NumberError as err:
                raise CollectorError(f"invalid value for {protocol} in netstats: {err}") from None
            for value, (name, help_text) in zip(numbers, plan.families, strict=True):
                yield UnknownMetricFamily(name, help_text, value=value)

    def _plan(self, key: tuple[str, tuple[str, ...]]) -> _Plan:
        protocol, names = key
        last = {name: index for index, name in enumerate(names)}
        kept = None if len(last) == len(names) else list(last.values())
        positions: list[int] = []
        families: list[tuple[str, str]] = []
        for position, name in enumerate(last):
            field = f"{protocol}_{name}"
            if self.fields is None or self.fields.search(field):
                positions.append(position)
                families.append((f"node_netstat_{field}", f"Statistic {protocol}{name}."))
        return _Plan(kept, positions, families)
