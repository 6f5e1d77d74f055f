"""conntrack: netfilter connection tracking table size and statistics, as node_exporter's
conntrack collector (/proc/sys/net/netfilter/nf_conntrack_{count,max} and
/proc/net/stat/nf_conntrack). Without the nf_conntrack module there is nothing to report.

Follows collector/conntrack_linux.go (Update, getConntrackStatistics) and procfs
net_conntrackstat.go (parseConntrackStat, parseConntrackStatEntry)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import parse_uints, read_uint_file


class ConntrackStat(NamedTuple):
    found: int = 0
    invalid: int = 0
    ignore: int = 0
    insert: int = 0
    insert_failed: int = 0
    drop: int = 0
    early_drop: int = 0
    search_restart: int = 0


def parse_conntrack_stat(text: str) -> ConntrackStat:
    """Sum the per-CPU rows (hex, after one header line). Rows have 16 columns, or 17 with
    search_restart (Linux >= 2.6.35); procfs's parseConntrackStatEntry refuses any other width,
    a blank row's none included. procfs reads the columns with util.ParseHexUint64s, that
    is strconv.ParseUint(x, 16, 64): no 0x prefix, sign or `_`."""
    totals = [0] * len(ConntrackStat._fields)
    for line in text.splitlines()[1:]:
        fields = line.split()
        if not 16 <= len(fields) <= 17:
            raise CollectorError(f"invalid nf_conntrack stat row: {len(fields)} fields")
        v = parse_uints(fields, base=16)
        # entries searched found new invalid ignore delete delete_list insert insert_failed
        # drop early_drop icmp_error expect_new expect_create expect_delete [search_restart]
        row = (v[2], v[4], v[5], v[8], v[9], v[10], v[11], v[16] if len(v) == 17 else 0)
        totals = [t + r for t, r in zip(totals, row, strict=True)]
    return ConntrackStat(*totals)


_STATS = (
    ("found", "Number of searched entries which were successful."),
    ("invalid", "Number of packets seen which can not be tracked."),
    ("ignore", "Number of packets seen which are already connected to a conntrack entry."),
    ("insert", "Number of entries inserted into the list."),
    ("insert_failed", "Number of entries for which list insertion was attempted but failed."),
    ("drop", "Number of packets dropped due to conntrack failure."),
    ("early_drop",
     "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached."),
    ("search_restart", "Number of conntrack table lookups which had to be restarted due to hashtable resizes."),
)


@collector("conntrack")
class ConntrackCollector(Collector[NoOptions]):
    def collect(self) -> Iterator[Metric]:
        # conntrackCollector.Update sends each value as soon as it has read it: entries, then the
        # limit, then the statistics. A missing file is ErrNoData (handleErr: "conntrack probably
        # not loaded"): what was read before it is still reported.
        try:
            count = read_uint_file(self.paths.proc("sys", "net", "netfilter", "nf_conntrack_count"))
        except FileNotFoundError:
            raise NoDataError("conntrack probably not loaded") from None
        yield GaugeMetricFamily(
            "node_nf_conntrack_entries",
            "Number of currently allocated flow entries for connection tracking.",
            value=count,
        )
        try:
            limit = read_uint_file(self.paths.proc("sys", "net", "netfilter", "nf_conntrack_max"))
        except FileNotFoundError:
            raise NoDataError("conntrack probably not loaded") from None
        yield GaugeMetricFamily(
            "node_nf_conntrack_entries_limit", "Maximum size of connection tracking table.", value=limit
        )
        try:
            text = read_text(self.paths.proc("net", "stat", "nf_conntrack"))
        except FileNotFoundError:
            # A kernel built without CONFIG_NF_CONNTRACK_PROCFS: the two table sizes stay reported.
            raise NoDataError("conntrack statistics not found") from None
        stats = parse_conntrack_stat(text)
        for field, help_text in _STATS:
            yield GaugeMetricFamily(f"node_nf_conntrack_stat_{field}", help_text, value=getattr(stats, field))
