"""watchdog: /sys/class/watchdog/<device>/*, as node_exporter's watchdog collector."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_first_line

# Numeric attributes: (file, metric suffix), in node_exporter's order.
_NUMERIC = (
    ("bootstatus", "bootstatus"),
    ("fw_version", "fw_version"),
    ("nowayout", "nowayout"),
    ("timeleft", "timeleft_seconds"),
    ("timeout", "timeout_seconds"),
    ("pretimeout", "pretimeout_seconds"),
    ("access_cs0", "access_cs0"),
)
# Text attributes, each an info label.
_TEXT = ("options", "identity", "state", "status", "pretimeout_governor")
_INFO_LABELS = ["name", "options", "identity", "state", "status", "pretimeout_governor"]


@dataclass(slots=True)
class Watchdog:
    name: str
    numbers: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def parse_go_int(text: str) -> int:
    """An integer as Go's ParseInt with base 0 reads it: decimal, 0x hex, 0o or leading-0 octal, 0b."""
    value = text.strip()
    sign = 1
    if value[:1] in ("+", "-"):
        sign = -1 if value[0] == "-" else 1
        value = value[1:]
    try:
        lowered = value.lower()
        if lowered.startswith(("0x", "0o", "0b")):
            number = int(value, 0)
        elif len(value) > 1 and value.startswith("0"):
            number = int(value, 8)
        else:
            if not value.isdigit():
                raise ValueError(value)
            number = int(value)
    except ValueError:
        raise CollectorError(f"invalid integer {text[:40]!r}") from None
    return sign * number


def parse_watchdog(name: str, files: dict[str, str]) -> Watchdog:
    """One device from its attribute files' contents (absent files simply not given)."""
    wd = Watchdog(name)
    for attr, _ in _NUMERIC:
        if attr in files:
            wd.numbers[attr] = parse_go_int(files[attr])
    for attr in _TEXT:
        if attr in files:
            wd.texts[attr] = files[attr].strip()
    return wd


@collector("watchdog")
class WatchdogCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        class_dir = self.paths.sys("class", "watchdog")
        devices: list[Watchdog] = []
        try:
            for name in list_dir(class_dir):
                devices.append(parse_watchdog(name, self._read_attributes(os.path.join(class_dir, name))))
        except PermissionError:
            # node_exporter treats an unreadable class as no data.
            return

        numeric = {
            attr: GaugeMetricFamily(
                f"node_watchdog_{suffix}", f"Value of /sys/class/watchdog/<watchdog>/{attr}", labels=["name"]
            )
            for attr, suffix in _NUMERIC
        }
        info = GaugeMetricFamily(
            "node_watchdog_info", "Info of /sys/class/watchdog/<watchdog>", labels=_INFO_LABELS
        )
        for wd in devices:
            for attr, value in wd.numbers.items():
                numeric[attr].add_metric([wd.name], value)
            info.add_metric([wd.name, *(wd.texts.get(attr, "") for attr in _INFO_LABELS[1:])], 1.0)
        for family in numeric.values():
            if family.samples:
                yield family
        if info.samples:
            yield info

    @staticmethod
    def _read_attributes(device_dir: str) -> dict[str, str]:
        files: dict[str, str] = {}
        for attr in (*(a for a, _ in _NUMERIC), *_TEXT):
            try:
                files[attr] = read_first_line(os.path.join(device_dir, attr))
            except (FileNotFoundError, NotADirectoryError):
                continue
        return files
