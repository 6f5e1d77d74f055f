"""filefd: allocated and maximum file handles from /proc/sys/fs/file-nr, as node_exporter's
filefd collector (collector/filefd_linux.go)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.numbers import go_trim_space, parse_float, read_value_text


class FileNr(NamedTuple):
    allocated: float
    maximum: float


def parse_file_nr(text: str) -> FileNr:
    """`allocated<TAB>unused<TAB>maximum`; the middle value is always 0 since Linux 2.6.
    node_exporter trims the file (bytes.TrimSpace), splits it at tabs and reads the values with
    strconv.ParseFloat."""
    parts = go_trim_space(text).split("\t")
    if len(parts) < 3:
        raise CollectorError(f"unexpected number of file stats in file-nr: {text[:80]!r}")
    return FileNr(parse_float(parts[0]), parse_float(parts[2]))


@collector("filefd")
class FileFDCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        stats = parse_file_nr(read_value_text(self.paths.proc("sys", "fs", "file-nr")))
        yield GaugeMetricFamily(
            "node_filefd_allocated", "File descriptor statistics: allocated.", value=stats.allocated
        )
        yield GaugeMetricFamily(
            "node_filefd_maximum", "File descriptor statistics: maximum.", value=stats.maximum
        )
