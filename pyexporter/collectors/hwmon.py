"""hwmon: /sys/class/hwmon sensor chips (like lm-sensors), as node_exporter's hwmon collector
(collector/hwmon_linux.go: explodeSensorFilename, collectSensorData over the hwmonX directory
and its `device`, sysReadFile's one 128-byte read, hwmonName / hwmonHumanReadableChipName, and
updateHwmon's units per sensor type; chips sharing a device told apart as current upstream's
e2e output shows)."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import FamilyIndex
from pyexporter.toolkit.files import decode, read_attribute, read_text, resolve_sysfs_path
from pyexporter.toolkit.filters import DeviceFilter
from pyexporter.toolkit.numbers import NumberError, parse_float, parse_int

_INVALID_NAME_CHARS = re.compile(r"[^a-z0-9:_]")
_SENSOR_FILENAME = re.compile(r"^(?P<type>[^0-9]+)(?P<id>[0-9]*)?(_(?P<property>.+))?$")
_SENSOR_TYPES = frozenset({
    "vrm", "beep_enable", "update_interval", "in", "cpu", "fan", "pwm", "temp", "curr",
    "power", "energy", "humidity", "intrusion", "freq",
})
_LABELS = ["chip", "sensor"]

# One sensor's attributes: property name ("" for a bare file such as `vrm`) -> raw text.
SensorData = dict[str, dict[str, str]]


def clean_name(name: str) -> str:
    """A chip or element name reduced to [a-z0-9:_], as node_exporter cleans them."""
    return _INVALID_NAME_CHARS.sub("_", name.lower()).strip("_")


def _sensor_value(text: str) -> float | None:
    """A sensor value read with strconv.ParseFloat; None for what it refuses, which
    node_exporter skips."""
    try:
        return parse_float(text)
    except NumberError:
        return None


class SensorFile(NamedTuple):
    type: str
    num: int
    prop: str


def explode_sensor_filename(filename: str) -> SensorFile | None:
    """`temp1_crit_alarm` -> (temp, 1, crit_alarm); None when the name does not fit the scheme
    or its number is one strconv.Atoi refuses (past int64)."""
    match = _SENSOR_FILENAME.match(filename)
    if not match:
        return None
    ident = match.group("id") or ""
    try:
        num = parse_int(ident) if ident else 0
    except NumberError:
        return None
    return SensorFile(match.group("type"), num, match.group("property") or "")


def _read_sensor_value(path: str) -> str | None:
    try:
        return decode(read_attribute(path, size=128)).strip("\n")
    except OSError:
        return None


def collect_sensor_data(directory: str, data: SensorData) -> None:
    """Add every sensor attribute file found in DIRECTORY to DATA."""
    for filename in sorted(os.listdir(directory)):
        parts = explode_sensor_filename(filename)
        if parts is None or parts.type not in _SENSOR_TYPES:
            continue
        value = _read_sensor_value(os.path.join(directory, filename))
        if value is None:
            continue
        data.setdefault(f"{parts.type}{parts.num}", {})[parts.prop] = value


def _read_name_file(directory: str) -> str:
    try:
        return clean_name(read_text(os.path.join(directory, "name")))
    except OSError:
        return ""


def base_chip_name(directory: str) -> str:
    """The chip label before disambiguation: device path, else name file, else hwmonX."""
    try:
        device = resolve_sysfs_path(os.path.join(directory, "device"))
    except OSError:
        device = ""
    if device:
        dev_name = clean_name(os.path.basename(device))
        dev_type = clean_name(os.path.basename(os.path.dirname(device)))
        if dev_type and dev_name:
            return f"{dev_type}_{dev_name}"
        if dev_name:
            return dev_name
    name = _read_name_file(directory)
    if name:
        return name
    name = clean_name(os.path.basename(directory))
    if not name:
        raise CollectorError(f"could not derive a monitoring name for {directory}")
    return name


class Chip(NamedTuple):
    directory: str  # resolved hwmonX directory
    label: str
    chip_name: str  # cleaned `name` file content, "" when absent


def name_chips(directories: list[str]) -> list[Chip]:
    """Chip labels for resolved hwmonX DIRECTORIES; several hwmon nodes under one device get
    their name file (when that tells them apart) or their hwmonX basename appended."""
    bases = [base_chip_name(d) for d in directories]
    names = [_read_name_file(d) for d in directories]
    base_count = Counter(bases)
    names_per_base = Counter(zip(bases, names, strict=True))
    chips = []
    for directory, base, name in zip(directories, bases, names, strict=True):
        label = base
        if base_count[base] > 1:
            if name and names_per_base[(base, name)] == 1:
                label = f"{base}_{name}"
            else:
                label = f"{base}_{clean_name(os.path.basename(directory))}"
        chips.append(Chip(directory, label, name))
    return chips


def _emit_sensor(out: FamilyIndex, chip: str, sensor: str, props: dict[str, str]) -> None:
    stype = explode_sensor_filename(sensor)
    sensor_type = stype.type if stype else sensor

    def gauge(name: str, help_text: str, value: float, sensor_label: str = sensor) -> None:
        out.gauge(name, help_text, _LABELS).add_metric([chip, sensor_label], value)

    if "label" in props:
        out.gauge("node_hwmon_sensor_label", "Label for given chip and sensor",
                  ["chip", "sensor", "label"]).add_metric([chip, sensor, props["label"]], 1.0)

    if sensor_type == "beep_enable":
        gauge("node_hwmon_beep_enabled", "Hardware beep enabled", 1.0 if props.get("") == "1" else 0.0)
        return
    if sensor_type in ("vrm", "update_interval"):
        value = _sensor_value(props.get("", ""))
        if value is None:
            return
        if sensor_type == "vrm":
            gauge("node_hwmon_voltage_regulator_version", "Hardware voltage regulator", value)
        else:
            gauge("node_hwmon_update_interval_seconds", "Hardware monitor update interval", value * 0.001)
        return

    prefix = "node_hwmon_" + sensor_type
    for element, text in props.items():
        if element == "label":
            continue
        name = prefix
        if element == "input":
            if "" in props:
                name += "_input"
        elif element != "":
            name += "_" + clean_name(element)
        value = _sensor_value(text)
        if value is None:
            continue

        if element in ("fault", "alarm"):
            gauge(name, f"Hardware sensor {element} status ({sensor_type})", value)
        elif element == "beep":
            gauge(name + "_enabled", "Hardware monitor sensor has beeping enabled", value)
        elif sensor_type in ("in", "cpu"):
            gauge(name + "_volts", f"Hardware monitor for voltage ({element})", value * 0.001)
        elif sensor_type == "temp" and element != "type":
            gauge(name + "_celsius", f"Hardware monitor for temperature ({element or 'input'})", value * 0.001)
        elif sensor_type == "curr":
            gauge(name + "_amps", f"Hardware monitor for current ({element})", value * 0.001)
        elif sensor_type == "energy":
            out.counter(name + "_joule_total", f"Hardware monitor for joules used so far ({element})",
                        _LABELS).add_metric([chip, sensor], value / 1e6)
        elif sensor_type == "power" and element == "accuracy":
            gauge(name, "Hardware monitor power meter accuracy, as a ratio", value / 1e6)
        elif sensor_type == "power" and element in ("average_interval", "average_interval_min",
                                                    "average_interval_max"):
            gauge(name + "_seconds", f"Hardware monitor power usage update interval ({element})", value * 0.001)
        elif sensor_type == "power":
            gauge(name + "_watt", f"Hardware monitor for power usage in watts ({element})", value / 1e6)
        elif sensor_type == "humidity":
            gauge(name, "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the "
                  f"humidity as a percentage) ({element})", value / 1e6)
        elif sensor_type == "fan" and element in ("input", "min", "max", "target"):
            gauge(name + "_rpm", f"Hardware monitor for fan revolutions per minute ({element})", value)
        elif sensor_type == "freq" and element == "input":
            # GPU clocks are named by their label (sclk, mclk) rather than freqN.
            if "label" in props:
                gauge(name + "_freq_mhz", "Hardware monitor for GPU frequency in MHz", value / 1e6,
                      clean_name(props["label"]))
        else:
            gauge(name, f"Hardware monitor {sensor_type} element {element}", value)


@dataclass(frozen=True, slots=True)
class HwmonOptions:
    chip_include: re.Pattern[str] | None = flag(
        "chip-include",
        "Regexp of hwmon chip to include (mutually exclusive to device-exclude).",
        "")
    chip_exclude: re.Pattern[str] | None = flag(
        "chip-exclude",
        "Regexp of hwmon chip to exclude (mutually exclusive to device-include).",
        "")
    sensor_include: re.Pattern[str] | None = flag(
        "sensor-include",
        "Regexp of hwmon sensor to include (mutually exclusive to sensor-exclude).",
        "")
    sensor_exclude: re.Pattern[str] | None = flag(
        "sensor-exclude",
        "Regexp of hwmon sensor to exclude (mutually exclusive to sensor-include).",
        "")


@collector("hwmon", options=HwmonOptions)
class HwmonCollector(Collector[HwmonOptions]):
    def __init__(self, ctx: CollectorContext[HwmonOptions]) -> None:
        super().__init__(ctx)
        # Include and exclude may be given together: node_exporter applies both.
        self.chips = DeviceFilter(self.options.chip_exclude, self.options.chip_include)
        self.sensors = DeviceFilter(self.options.sensor_exclude, self.options.sensor_include)

    def _chip_directories(self) -> Iterator[str]:
        class_dir = self.paths.sys("class", "hwmon")
        for entry in sorted(os.listdir(class_dir)):
            try:
                resolved = resolve_sysfs_path(os.path.join(class_dir, entry))
            except OSError:
                continue
            if os.path.isdir(resolved):
                yield resolved

    def collect(self) -> Iterable[Metric]:
        try:
            directories = list(self._chip_directories())
        except (FileNotFoundError, NotADirectoryError):
            raise NoDataError("hwmon collector metrics are not available for this system") from None
        out = FamilyIndex()
        for chip in name_chips(directories):
            if self.chips.ignored(chip.label):
                continue
            data: SensorData = {}
            collect_sensor_data(chip.directory, data)
            device = os.path.join(chip.directory, "device")
            try:
                device_dir = resolve_sysfs_path(device)
            except OSError:
                device_dir = ""
            if device_dir and os.path.isdir(device_dir):
                collect_sensor_data(device_dir, data)
            if chip.chip_name:
                out.gauge("node_hwmon_chip_names", "Annotation metric for human-readable chip names",
                          ["chip", "chip_name"]).add_metric([chip.label, chip.chip_name], 1.0)
            for sensor, props in data.items():
                # Sensors are filtered as "<chip>;<sensor>" so one chip's sensor can be singled out.
                if self.sensors.ignored(f"{chip.label};{sensor}"):
                    continue
                _emit_sensor(out, chip.label, sensor, props)
        return out.families()
