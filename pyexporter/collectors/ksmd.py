"""ksmd: /sys/kernel/mm/ksm, as node_exporter's ksmd collector (collector/ksmd_linux.go; off by
default: Update reads each file with readUintFromFile and returns the first error).

Every file but general_profit (Linux 6.1+) is required, so a kernel without KSM (no
/sys/kernel/mm/ksm) fails the collector, as it fails node_exporter's (1.5 and later: the first
open error is returned). general_profit is read signed: see parse_ksmd_value.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_int, parse_uint


class KsmdFile(NamedTuple):
    file: str
    metric: str
    help: str
    counter: bool = False
    divisor: int = 1
    # general_profit only exists since Linux 6.1; older kernels simply lack it.
    optional: bool = False


KSMD_FILES: tuple[KsmdFile, ...] = (
    KsmdFile("full_scans", "full_scans", "How many times all mergeable areas have been scanned.", counter=True),
    KsmdFile(
        "general_profit",
        "general_profit_bytes",
        "How effective is KSM. ksm_saved_pages * sizeof(page) - (all_rmap_items) * sizeof(rmap_item)",
        optional=True,
    ),
    KsmdFile("merge_across_nodes", "merge_across_nodes", "Specifies if pages from different NUMA nodes can be merged."),
    KsmdFile("pages_shared", "pages_shared", "How many shared pages are being used."),
    KsmdFile("pages_sharing", "pages_sharing", "How many more sites are sharing them i.e. how much saved."),
    KsmdFile("pages_to_scan", "pages_to_scan", "How many pages to scan before ksmd goes to sleep."),
    KsmdFile("pages_unshared", "pages_unshared", "How many pages unique but repeatedly checked for merging."),
    KsmdFile("pages_volatile", "pages_volatile", "How many pages changing too fast to be placed in a tree."),
    KsmdFile("run", "run", "The status of ksmd. stopped = 0, running = 1"),
    KsmdFile("sleep_millisecs", "sleep_seconds", "How many seconds ksmd should sleep before next scan.", divisor=1000),
)


def parse_ksmd_value(text: str, name: str) -> int:
    """One ksm attribute as node_exporter's readUintFromFile reads it: the whole text, trimmed,
    as strconv.ParseUint(text, 10, 64). general_profit is the exception: the kernel prints it
    signed and it is negative whenever KSM costs more than it saves, which node_exporter's
    ParseUint refuses (failing the whole collector); it is read as ParseInt(text, 10, 64)."""
    value = go_trim_space(text)
    try:
        return parse_int(value) if name == "general_profit" else parse_uint(value)
    except NumberError as err:
        raise CollectorError(f"unexpected content in ksm/{name}: {err}") from None


@collector("ksmd", default=False)
class KsmdCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.names = {f.file: f"node_ksmd_{f.metric}" for f in KSMD_FILES}

    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("kernel", "mm", "ksm")
        if not os.path.isdir(base):
            raise CollectorError("couldn't get ksm statistics: no kernel/mm/ksm in sysfs (kernel without CONFIG_KSM)")
        return self._read(base)

    def _read(self, base: str) -> Iterator[Metric]:
        # File by file, each family given as read: node_exporter sends each metric as it reads its
        # file, so a bad file leaves the ones before it served.
        for spec in KSMD_FILES:
            path = os.path.join(base, spec.file)
            try:
                text = read_text(path)
            except FileNotFoundError:
                if spec.optional:
                    continue
                raise
            value = parse_ksmd_value(text, spec.file) / spec.divisor
            family_type = CounterMetricFamily if spec.counter else GaugeMetricFamily
            yield family_type(self.names[spec.file], spec.help, value=value)
