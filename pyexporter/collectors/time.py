"""time: the system clock, its time zone, and the clocksources in sysfs, as node_exporter's."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, numbered_entries, read_attribute


class ClockSource(NamedTuple):
    available: tuple[str, ...]
    current: str


def parse_clocksource(available: str, current: str) -> ClockSource:
    return ClockSource(tuple(available.split()), current.strip())


def zone_now(now: float) -> tuple[str, int]:
    """The local time zone's abbreviation and UTC offset in seconds at NOW."""
    local = time.localtime(now)
    return local.tm_zone or "", int(local.tm_gmtoff or 0)


@collector("time")
class TimeCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.directory = self.paths.sys("devices", "system", "clocksource")

    def read_clocksources(self) -> list[ClockSource]:
        sources = []
        # node_exporter's filepath.Glob of clocksource[0-9]*.
        # Joined by hand: the names come from the listing (no `/` in them), and os.path.join cost
        # more than a read.
        for name in numbered_entries(self.directory, "clocksource"):
            path = f"{self.directory}/{name}"
            sources.append(
                parse_clocksource(
                    # sysfs attributes, each handed out whole by one read.
                    decode(read_attribute(f"{path}/available_clocksource")),
                    decode(read_attribute(f"{path}/current_clocksource")),
                )
            )
        return sources

    def collect(self) -> Iterable[Metric]:
        now = time.time()
        zone, offset = zone_now(now)
        yield GaugeMetricFamily("node_time_seconds", "System time in seconds since epoch (1970).", value=now)
        tz = GaugeMetricFamily(
            "node_time_zone_offset_seconds", "System time zone offset in seconds.", labels=["time_zone"]
        )
        tz.add_metric([zone], float(offset))
        yield tz

        available = GaugeMetricFamily(
            "node_time_clocksource_available_info",
            "Available clocksources read from '/sys/devices/system/clocksource'.",
            labels=["device", "clocksource"],
        )
        current = GaugeMetricFamily(
            "node_time_clocksource_current_info",
            "Current clocksource read from '/sys/devices/system/clocksource'.",
            labels=["device", "clocksource"],
        )
        # node_exporter labels each clocksource by its position in the sorted list, not its name.
        for index, source in enumerate(self.read_clocksources()):
            for name in source.available:
                available.add_metric([str(index), name], 1.0)
            current.add_metric([str(index), source.current], 1.0)
        if available.samples:
            yield available
        if current.samples:
            yield current
