"""lnstat: per-CPU network cache statistics from /proc/net/stat/*, as node_exporter's lnstat collector
(collector/lnstat_linux.go: Update, over procfs's netstat.go: FS.NetStat)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import FamilyIndex
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import NumberError, parse_uint


class NetStatFile(NamedTuple):
    """One /proc/net/stat file: its name and, per column header, one value per CPU."""

    filename: str
    stats: dict[str, list[int]]


def parse_net_stat(filename: str, text: str) -> NetStatFile:
    """A header line of column names, then one line of hexadecimal values per CPU, as procfs's
    FS.NetStat: an empty file has no columns, a row may stop short of the header (its values
    fill the first columns), and a row longer than the header is refused (procfs would index
    past the header's end)."""
    lines = text.splitlines()
    headers = lines[0].split() if lines else []
    stats: dict[str, list[int]] = {header: [] for header in headers}
    for line in lines[1:]:
        values = line.split()
        if len(values) > len(headers):
            raise CollectorError(
                f"/proc/net/stat/{filename}: {len(values)} values for {len(headers)} columns"
            )
        for header, value in zip(headers, values, strict=False):
            try:
                stats[header].append(parse_uint(value, 16))
            except NumberError as err:
                raise CollectorError(f"/proc/net/stat/{filename}: {err}") from None
    return NetStatFile(filename, stats)


_HELP = "linux network cache stats"


@collector("lnstat", default=False)
class LnstatCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        stat_dir = self.paths.proc("net", "stat")
        families = FamilyIndex()
        for filename in list_dir(stat_dir):
            path = os.path.join(stat_dir, filename)
            if os.path.isdir(path):
                continue  # procfs opens it, reads nothing and reports no columns
            parsed = parse_net_stat(filename, read_text(path))
            for header, per_cpu in parsed.stats.items():
                if not per_cpu:
                    continue  # node_exporter sends no sample, so there is no family
                fam = families.counter(f"node_lnstat_{header}_total", _HELP, ["subsystem", "cpu"])
                for cpu, value in enumerate(per_cpu):
                    fam.add_metric([parsed.filename, str(cpu)], value)
        yield from families.families()
