"""watchdog: /sys/class/watchdog/<device>/*, as node_exporter's watchdog collector (collector/watchdog.go:
Update) over procfs's sysfs/class_watchdog.go (WatchdogClass, parseWatchdog).

Every attribute is optional: a missing one has no sample (numbers) or an empty info label
(texts); an empty device directory still has its info sample. Any other read error fails, but
a permission error is node_exporter's ErrNoData (nothing at all). Numbers are
strconv.ParseInt(x, 0, 64); one that is not fails the collector.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, list_dir, read_attribute
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_int

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


def parse_watchdog(name: str, files: dict[str, str]) -> Watchdog:
    """One device from its attribute files' contents, trimmed (absent files simply not given);
    a malformed number is a CollectorError."""
    wd = Watchdog(name)
    for attr, _ in _NUMERIC:
        if attr in files:
            try:
                # procfs's util.ValueParser.PInt64: strconv.ParseInt(value, 0, 64).
                wd.numbers[attr] = parse_int(files[attr], 0)
            except NumberError as err:
                raise CollectorError(f"watchdog {name}: {attr}: {err}") from None
    for attr in _TEXT:
        if attr in files:
            wd.texts[attr] = files[attr]
    return wd


@collector("watchdog")
class WatchdogCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        class_dir = self.paths.sys("class", "watchdog")
        if not os.path.isdir(class_dir):
            # WatchdogClass's os.ErrNotExist: node_exporter's ErrNoData.
            raise NoDataError("watchdog class not found")
        devices: list[Watchdog] = []
        try:
            for name in list_dir(class_dir):
                devices.append(parse_watchdog(name, self._read_attributes(os.path.join(class_dir, name))))
        except PermissionError as err:
            raise NoDataError(f"watchdog statistics are not readable: {err}") from None

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
        """Each attribute whole, trimmed as util.SysReadFile trims it."""
        files: dict[str, str] = {}
        for attr in (*(a for a, _ in _NUMERIC), *_TEXT):
            try:
                files[attr] = go_trim_space(decode(read_attribute(os.path.join(device_dir, attr))))
            except FileNotFoundError:  # os.IsNotExist: ENOENT only
                continue
            except PermissionError:
                raise  # Update's ErrNoData
            except OSError as err:
                raise CollectorError(f"failed to read file {os.path.join(device_dir, attr)!r}: {err}") from None
        return files
