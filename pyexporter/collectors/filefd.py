"""filefd: allocated and maximum file handles from /proc/sys/fs/file-nr."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text


class FileNr(NamedTuple):
    allocated: float
    maximum: float


def parse_file_nr(text: str) -> FileNr:
    """`allocated<TAB>unused<TAB>maximum`; the middle value is always 0 since Linux 2.6."""
    parts = text.strip().split("\t")
    if len(parts) < 3:
        raise CollectorError(f"unexpected number of file stats in file-nr: {text[:80]!r}")
    try:
        return FileNr(float(parts[0]), float(parts[2]))
    except ValueError:
        raise CollectorError(f"invalid value in file-nr: {text[:80]!r}") from None


@collector("filefd")
class FileFDCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        stats = parse_file_nr(read_text(self.paths.proc("sys", "fs", "file-nr")))
        yield GaugeMetricFamily(
            "node_filefd_allocated", "File descriptor statistics: allocated.", value=stats.allocated
        )
        yield GaugeMetricFamily(
            "node_filefd_maximum", "File descriptor statistics: maximum.", value=stats.maximum
        )
