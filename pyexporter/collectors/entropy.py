"""entropy: the kernel entropy pool from /proc/sys/kernel/random, as node_exporter's entropy
collector (collector/entropy_linux.go, over procfs's kernel_random.go, `FS.KernelRandom`, which
reads each file with util.ReadUintFromFile).

KernelRandom reads five files: entropy_avail, poolsize, urandom_min_reseed_secs,
write_wakeup_threshold and read_wakeup_threshold. A missing one is skipped (os.IsNotExist); any
other failure, a garbage value in a file the collector does not report included, fails it. The
collector then requires entropy_avail and poolsize.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import open_directory
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_uint, read_value_text

# KernelRandom's files, each optional there.
KERNEL_RANDOM_FILES = (
    "entropy_avail", "poolsize", "urandom_min_reseed_secs", "write_wakeup_threshold", "read_wakeup_threshold",
)


@collector("entropy")
class EntropyCollector(Collector[NoOptions]):
    def _kernel_random(self) -> dict[str, int]:
        """procfs FS.KernelRandom: {file: value} for the files present."""
        # The files are read relative to their directory, opened once: one path walk instead of
        # one per file.
        try:
            directory_fd = open_directory(self.paths.proc("sys", "kernel", "random"))
        except FileNotFoundError:
            return {}
        values: dict[str, int] = {}
        try:
            for name in KERNEL_RANDOM_FILES:
                try:
                    # util.ReadUintFromFile: the trimmed text as a base-10 uint64.
                    values[name] = parse_uint(go_trim_space(read_value_text(name, directory_fd)))
                except FileNotFoundError:
                    continue
                except NumberError as err:
                    raise CollectorError(f"failed to get kernel random stats: {name}: {err}") from None
        finally:
            os.close(directory_fd)
        return values

    def collect(self) -> Iterable[Metric]:
        stats = self._kernel_random()
        # node_exporter sends entropy_avail before it checks poolsize, and that sample stays.
        if "entropy_avail" not in stats:
            raise CollectorError("couldn't get entropy_avail")
        yield GaugeMetricFamily("node_entropy_available_bits", "Bits of available entropy.",
                                value=stats["entropy_avail"])
        if "poolsize" not in stats:
            raise CollectorError("couldn't get entropy poolsize")
        yield GaugeMetricFamily("node_entropy_pool_size_bits", "Bits of entropy pool.", value=stats["poolsize"])
