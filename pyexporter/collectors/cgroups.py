"""cgroups: the controller summary in /proc/cgroups, as node_exporter's cgroups collector
(collector/cgroups_linux.go; procfs cgroup.go parseCgroupSummaryString, which reads the numbers
with strconv.Atoi)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import parse_int


class CgroupSummary(NamedTuple):
    subsys_name: str
    hierarchy: int
    cgroups: int
    enabled: int


def parse_cgroups(text: str) -> list[CgroupSummary]:
    """Lines `subsys_name hierarchy num_cgroups enabled` (fields past the fourth ignored); the
    `#` header is skipped. Any other line of fewer than four fields, a blank one included, is
    refused, as procfs's parseCgroupSummaryString refuses it."""
    summaries: list[CgroupSummary] = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 4:
            raise CollectorError(f"unexpected /proc/cgroups line: {line[:80]!r}")
        summaries.append(CgroupSummary(fields[0], parse_int(fields[1]), parse_int(fields[2]), parse_int(fields[3])))
    return summaries


_HELP = "Current cgroup number of the subsystem."


@collector("cgroups", default=False)
class CgroupsCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        # CgroupSummarys: a missing /proc/cgroups (a kernel without cgroup v1 support) is an
        # error that fails the collector, as upstream.
        text = read_text(self.paths.proc("cgroups"))
        cgroups = GaugeMetricFamily("node_cgroups_cgroups", _HELP, labels=["subsys_name"])
        # node_exporter gives `enabled` the same HELP text as `cgroups`; kept for compatibility.
        enabled = GaugeMetricFamily("node_cgroups_enabled", _HELP, labels=["subsys_name"])
        for summary in parse_cgroups(text):
            cgroups.add_metric([summary.subsys_name], summary.cgroups)
            enabled.add_metric([summary.subsys_name], summary.enabled)
        # node_exporter prints no HELP/TYPE for a family without samples.
        if cgroups.samples:
            yield cgroups
            yield enabled
