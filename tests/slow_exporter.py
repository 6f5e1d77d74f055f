"""pyexporter with one extra collector, `test_slow`, for tests that need a scrape held in flight.

    python -m tests.slow_exporter --collector.test_slow --collector.test_slow.gate=PATH [flags]

Each scrape of `test_slow` touches PATH.entered, then waits until PATH exists (at most 60 s), so a
test knows when a scrape is in flight and decides when it ends. Everything else is pyexporter as
users run it: the real command line, server and signal handling.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from pyexporter.cli import main
from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector


@dataclass(frozen=True, slots=True)
class SlowOptions:
    gate: str = flag("gate", "Wait until this file exists.")


@collector("test_slow", default=False, options=SlowOptions)
class SlowCollector(Collector[SlowOptions]):
    def collect(self) -> Iterable[Metric]:
        gate = self.options.gate
        with open(gate + ".entered", "a"):
            pass
        deadline = time.monotonic() + 60
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.01)
        yield GaugeMetricFamily("slow_metric", "Held until the test opens the gate.", value=42)


if __name__ == "__main__":
    sys.exit(main())
