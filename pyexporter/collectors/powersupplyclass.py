"""powersupplyclass: /sys/class/power_supply batteries and adapters, as node_exporter's
powersupplyclass collector (collector/powersupplyclass_linux.go) over procfs's
sysfs/class_power_supply.go (PowerSupplyClass, parsePowerSupply: every attribute through
util.SysReadFile and ValueParser.PInt64, i.e. strconv.ParseInt(x, 0, 64)). Attributes
node_exporter does not export are not read, so their read errors cannot fail the collector."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import FamilyIndex, GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_attribute, resolve_sysfs_path
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_int

# Metric name -> sysfs attribute, by the scale node_exporter applies.
_PLAIN = {
    "authentic": "authentic", "calibrate": "calibrate", "capacity": "capacity",
    "capacity_alert_max": "capacity_alert_max", "capacity_alert_min": "capacity_alert_min",
    "cyclecount": "cycle_count", "online": "online", "present": "present",
    "time_to_empty_seconds": "time_to_empty_now", "time_to_full_seconds": "time_to_full_now",
}
_MICRO = {
    "current_boot": "current_boot", "current_max": "current_max", "current_ampere": "current_now",
    "energy_empty": "energy_empty", "energy_empty_design": "energy_empty_design",
    "energy_full": "energy_full", "energy_full_design": "energy_full_design",
    "energy_watthour": "energy_now", "voltage_boot": "voltage_boot", "voltage_max": "voltage_max",
    "voltage_max_design": "voltage_max_design", "voltage_min": "voltage_min",
    "voltage_min_design": "voltage_min_design", "voltage_volt": "voltage_now",
    "voltage_ocv": "voltage_ocv", "charge_control_limit": "charge_control_limit",
    "charge_control_limit_max": "charge_control_limit_max", "charge_counter": "charge_counter",
    "charge_empty": "charge_empty", "charge_empty_design": "charge_empty_design",
    "charge_full": "charge_full", "charge_full_design": "charge_full_design",
    "charge_ampere": "charge_now", "charge_term_current": "charge_term_current",
    "constant_charge_current": "constant_charge_current",
    "constant_charge_current_max": "constant_charge_current_max",
    "constant_charge_voltage": "constant_charge_voltage",
    "constant_charge_voltage_max": "constant_charge_voltage_max",
    "precharge_current": "precharge_current", "input_current_limit": "input_current_limit",
    "power_watt": "power_now",
}
_TENTHS = {
    "temp_celsius": "temp", "temp_alert_max_celsius": "temp_alert_max",
    "temp_alert_min_celsius": "temp_alert_min", "temp_ambient_celsius": "temp_ambient",
    "temp_ambient_max_celsius": "temp_ambient_max", "temp_ambient_min_celsius": "temp_ambient_min",
    "temp_max_celsius": "temp_max", "temp_min_celsius": "temp_min",
}
_INFO = (
    "capacity_level", "charge_type", "health", "manufacturer", "model_name", "serial_number",
    "status", "technology", "type", "usb_type", "scope",
)
# Numeric attributes the kernel documents; any of them that does not parse is an error upstream.
_NUMERIC = frozenset(_PLAIN.values()) | frozenset(_MICRO.values()) | frozenset(_TENTHS.values()) | {
    "charge_avg", "current_avg", "energy_avg", "power_avg", "time_to_empty_avg",
    "time_to_full_avg", "voltage_avg",
}
_TEXT = frozenset(_INFO)
_REFUSED = frozenset({errno.ENODEV, errno.EOPNOTSUPP, errno.EINVAL, errno.ENODATA})


@dataclass(slots=True)
class PowerSupply:
    name: str
    numbers: dict[str, int] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)


def parse_power_supply(name: str, attributes: dict[str, str]) -> PowerSupply:
    """A supply from its attribute files' contents, trimmed; a malformed number is a CollectorError."""
    supply = PowerSupply(name)
    for attr, value in attributes.items():
        if attr in _TEXT:
            supply.text[attr] = value
        elif attr in _NUMERIC:
            try:
                # procfs's util.ValueParser.PInt64: strconv.ParseInt(value, 0, 64).
                supply.numbers[attr] = parse_int(value, 0)
            except NumberError as err:
                raise CollectorError(f"power_supply {name}: {attr}: {err}") from None
    return supply


def read_power_supply(name: str, directory: str) -> PowerSupply:
    attributes = {}
    for entry in sorted(os.listdir(directory)):
        if entry not in _TEXT and entry not in _NUMERIC:
            continue
        path = os.path.join(directory, entry)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        try:
            # util.SysReadFile: one read of at most 128 bytes, trimmed.
            raw = read_attribute(path, size=128)
        except FileNotFoundError:
            continue
        except OSError as err:
            # Some drivers refuse attributes they list. parsePowerSupply skips ENODEV and
            # EOPNOTSUPP (issue #3108 and before); it still fails the whole collector on EINVAL
            # and ENODATA, which drivers answer just as well for a value they cannot give now,
            # so those are skipped here too.
            if err.errno in _REFUSED:
                continue
            raise
        attributes[entry] = go_trim_space(decode(raw))
    return parse_power_supply(name, attributes)


@dataclass(frozen=True, slots=True)
class PowersupplyclassOptions:
    ignored_supplies: re.Pattern[str] | None = flag(
        "ignored-supplies",
        "Regexp of power supplies to ignore for powersupplyclass collector.",
        "^$",
        full_name="collector.powersupply.ignored-supplies")


@collector("powersupplyclass", options=PowersupplyclassOptions)
class PowerSupplyClassCollector(Collector[PowersupplyclassOptions]):
    def collect(self) -> Iterable[Metric]:
        class_dir = self.paths.sys("class", "power_supply")
        try:
            entries = sorted(os.listdir(class_dir))
        except (FileNotFoundError, NotADirectoryError):
            raise NoDataError("power_supply class not found, skipping") from None
        ignored = self.options.ignored_supplies
        supplies = []
        for entry in entries:
            supply = read_power_supply(entry, resolve_sysfs_path(os.path.join(class_dir, entry)))
            if ignored is None or not ignored.search(entry):
                supplies.append(supply)

        families = FamilyIndex()
        info: list[Metric] = []
        for supply in supplies:
            for scale, table in ((1.0, _PLAIN), (1e6, _MICRO), (10.0, _TENTHS)):
                for metric, attr in table.items():
                    if attr in supply.numbers:
                        family = families.gauge(f"node_power_supply_{metric}",
                                                f"{metric} value of /sys/class/power_supply/<power_supply>.",
                                                ["power_supply"])
                        family.add_metric([supply.name], supply.numbers[attr] / scale)
            # Each supply has its own label set, so each info sample is its own family here;
            # the exposition merges them under one name.
            keys = ["power_supply"] + [k for k in _INFO if supply.text.get(k)]
            values = [supply.name] + [supply.text[k] for k in keys[1:]]
            family = GaugeMetricFamily("node_power_supply_info",
                                       "info of /sys/class/power_supply/<power_supply>.", labels=keys)
            family.add_metric(values, 1.0)
            info.append(family)
        return [*families.families(), *info]
