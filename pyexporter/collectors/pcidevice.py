"""pcidevice: /sys/bus/pci/devices, as node_exporter's pcidevice collector (collector/pcidevice_linux.go,
off by default: Update, loadPCIIds and the getPCI*Name lookups) over procfs's sysfs/pci_device.go
(PciDevices, parsePciDeviceLocation, parsePciDevice: required id files, optional link, SR-IOV and
power files, each through util.SysReadFile)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_text, resolve_sysfs_dir
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_float, parse_int, parse_uint

# node_exporter looks for pci.ids here on the exporter's own host, not below --path.rootfs.
PCI_IDS_PATHS = ("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids")

POWER_STATES = ("D0", "D1", "D2", "D3hot", "D3cold", "unknown", "error")

LOCATION_LABELS = ["segment", "bus", "device", "function"]
INFO_LABELS = [
    *LOCATION_LABELS,
    "parent_segment", "parent_bus", "parent_device", "parent_function",
    "class_id", "vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id", "revision",
]
NAME_LABELS = ["vendor_name", "device_name", "subsystem_vendor_name", "subsystem_device_name", "class_name"]

_REQUIRED_FILES = ("class", "vendor", "device", "subsystem_vendor", "subsystem_device", "revision", "numa_node")
# parsePciDevice's SR-IOV files, in its order; offset, stride and vf_device are parsed (and fail
# the collector when malformed) but not exported.
_SRIOV_FILES = ("sriov_drivers_autoprobe", "sriov_numvfs", "sriov_offset", "sriov_stride", "sriov_totalvfs",
                "sriov_vf_device", "sriov_vf_total_msix")


@dataclass(frozen=True, slots=True)
class PciLocation:
    segment: int
    bus: int
    device: int
    function: int

    def labels(self) -> list[str]:
        return [f"{self.segment:04x}", f"{self.bus:02x}", f"{self.device:02x}", f"{self.function:x}"]


@dataclass(slots=True)
class PciDevice:
    location: PciLocation
    parent: PciLocation | None
    ids: dict[str, int] = field(default_factory=dict)  # the _REQUIRED_FILES values
    max_link_speed: float | None = None  # GT/s
    max_link_width: float | None = None
    current_link_speed: float | None = None
    current_link_width: float | None = None
    sriov: dict[str, int] = field(default_factory=dict)
    d3cold_allowed: bool | None = None
    power_state: str | None = None


def _hex_field(text: str, what: str) -> int:
    try:
        return parse_int(text, 16, 32)
    except NumberError as err:
        raise CollectorError(f"invalid PCI {what} in {text!r}: {err}") from None


def parse_location(text: str) -> PciLocation:
    """`SSSS:BB:DD.F`, each part strconv.ParseInt(part, 16, 32)."""
    parts = text.split(":")
    if len(parts) != 3:
        raise CollectorError(f"invalid PCI location {text!r}")
    dev_fn = parts[2].split(".")
    if len(dev_fn) != 2:
        raise CollectorError(f"invalid PCI location {text!r}")
    return PciLocation(
        _hex_field(parts[0], "segment"), _hex_field(parts[1], "bus"),
        _hex_field(dev_fn[0], "device"), _hex_field(dev_fn[1], "function"),
    )


def parse_id(text: str) -> int:
    """A sysfs id attribute such as `0x8086` or `-1`, trimmed, through strconv.ParseInt(text, 0, 32)."""
    value = go_trim_space(text)
    try:
        return parse_int(value, 0, 32)
    except NumberError as err:
        raise CollectorError(f"invalid PCI attribute value {value[:40]!r}: {err}") from None


def parse_link_speed(text: str) -> float | None:
    """`8.0 GT/s PCIe` in GT/s, the number through strconv.ParseFloat; None for an empty or
    `Unknown` speed."""
    text = go_trim_space(text)
    if text == "" or text.startswith("Unknown"):
        return None
    value, sep, unit = text.partition(" ")
    if not sep or unit != "GT/s PCIe":
        raise CollectorError(f"unknown PCI link speed {text!r}")
    try:
        return parse_float(value)
    except NumberError as err:
        raise CollectorError(f"invalid PCI link speed {text!r}: {err}") from None


def parse_link_width(text: str) -> float | None:
    """A lane count through strconv.ParseInt(text, 10, 64); None for an empty or `Unknown` width."""
    text = go_trim_space(text)
    if text == "" or text.startswith("Unknown"):
        return None
    try:
        return float(parse_int(text))
    except NumberError as err:
        raise CollectorError(f"invalid PCI link width {text!r}: {err}") from None


# How pci_device.go parses each optional integer attribute: (signed, bits).
_OPTIONAL_INTS = {
    "sriov_drivers_autoprobe": (True, 32),
    "sriov_numvfs": (False, 32),
    "sriov_offset": (False, 32),
    "sriov_stride": (False, 32),
    "sriov_totalvfs": (False, 32),
    "sriov_vf_device": (False, 32),
    "sriov_vf_total_msix": (True, 64),
    "d3cold_allowed": (True, 32),
}


def parse_optional_int(attr: str, text: str) -> int:
    """An SR-IOV or power attribute, trimmed, as pci_device.go parses that attribute."""
    signed, bits = _OPTIONAL_INTS[attr]
    try:
        return parse_int(text, bits=bits) if signed else parse_uint(text, bits=bits)
    except NumberError as err:
        raise CollectorError(f"invalid PCI {attr} {text[:40]!r}: {err}") from None


@dataclass(slots=True)
class PciIds:
    """The parts of a pci.ids database node_exporter's name labels use."""

    vendors: dict[str, str] = field(default_factory=dict)
    devices: dict[tuple[str, str], str] = field(default_factory=dict)
    subsystems: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)  # keyed by 2, 4 or 6 hex digits


def parse_pci_ids(lines: Iterable[str]) -> PciIds:
    """pci.ids: vendors with tab-indented devices and double-tab subsystems, then `C` classes
    with tab-indented subclasses and double-tab programming interfaces; names follow two spaces."""
    ids = PciIds()
    vendor = device = base_class = subclass = ""
    in_classes = False
    for raw in lines:
        line = raw.rstrip("\n")
        if line == "" or line.startswith("#"):
            continue
        if line.startswith("C "):
            key, sep, name = line.partition("  ")
            if sep:
                base_class = key[1:].strip()
                ids.classes[base_class] = name.strip()
                in_classes = True
            continue
        depth = 2 if line.startswith("\t\t") else 1 if line.startswith("\t") else 0
        key, sep, name = line.lstrip("\t").partition("  ")
        if not sep:
            continue
        key, name = key.strip(), name.strip()
        if in_classes and depth == 1:
            if base_class:
                subclass = base_class + key
                ids.classes[subclass] = name
        elif in_classes and depth == 2:
            if subclass:
                ids.classes[subclass + key] = name
        elif depth == 0:
            vendor, device, in_classes = key, "", False
            ids.vendors[vendor] = name
        elif depth == 1:
            if vendor:
                device = key
                ids.devices[(vendor, device)] = name
        elif depth == 2 and vendor and device:
            sub = key.split()
            if len(sub) == 2:
                ids.subsystems[(vendor, device, sub[0], sub[1])] = name
    return ids


def _bare(hex_id: str) -> str:
    return hex_id.removeprefix("0x").lower()


def resolve_names(ids: PciIds, vendor: str, device: str, sub_vendor: str, sub_device: str,
                  class_id: str) -> list[str]:
    """vendor, device, subsystem vendor, subsystem device and class names for `0x...` ids; an id
    without a name stands for itself (without its 0x), as node_exporter does."""
    v, d, sv, sd, c = (_bare(x) for x in (vendor, device, sub_vendor, sub_device, class_id))
    class_name = next(
        (ids.classes[c[:n]] for n in (6, 4, 2) if len(c) >= n and c[:n] in ids.classes),
        f"Unknown class ({c})",
    )
    return [
        ids.vendors.get(v, v),
        ids.devices.get((v, d), d),
        ids.vendors.get(sv, sv),
        ids.subsystems.get((v, d, sv, sd), sd),
        class_name,
    ]


def _read_optional_attr(path: str) -> str | None:
    """The attribute trimmed as util.SysReadFile trims it; None when absent."""
    try:
        return go_trim_space(read_text(path))
    except FileNotFoundError:
        return None


def read_pci_device(devices_dir: str, name: str) -> PciDevice:
    """One /sys/bus/pci/devices entry: a link into /sys/devices, whose last two components name
    the device and its parent bridge (a `pciSSSS:BB` root has no parent device)."""
    path = resolve_sysfs_dir(os.path.join(devices_dir, name))
    location = parse_location(os.path.basename(path))
    parent_name = os.path.basename(os.path.dirname(path))
    parent = None if parent_name.startswith("pci") else parse_location(parent_name)
    dev = PciDevice(location, parent)
    for attr in _REQUIRED_FILES:
        dev.ids[attr] = parse_id(read_text(os.path.join(path, attr)))
    for attr in ("max_link_speed", "current_link_speed"):
        text = _read_optional_attr(os.path.join(path, attr))
        if text is not None:
            setattr(dev, attr, parse_link_speed(text))
    for attr in ("max_link_width", "current_link_width"):
        text = _read_optional_attr(os.path.join(path, attr))
        if text is not None:
            setattr(dev, attr, parse_link_width(text))
    for attr in _SRIOV_FILES:
        text = _read_optional_attr(os.path.join(path, attr))
        if text:
            dev.sriov[attr] = parse_optional_int(attr, text)
    text = _read_optional_attr(os.path.join(path, "d3cold_allowed"))
    if text:
        dev.d3cold_allowed = parse_optional_int("d3cold_allowed", text) != 0
    text = _read_optional_attr(os.path.join(path, "power_state"))
    if text:
        dev.power_state = text
    return dev


@dataclass(frozen=True, slots=True)
class PcideviceOptions:
    idsfile: str = flag("idsfile", "Path to pci.ids file to use for PCI device identification.", "")
    names: bool = flag("names", "Enable PCI device name resolution (requires pci.ids file).", False)


@collector("pcidevice", default=False, options=PcideviceOptions)
class PcideviceCollector(Collector[PcideviceOptions]):
    def __init__(self, ctx: CollectorContext[PcideviceOptions]) -> None:
        super().__init__(ctx)
        self.names: PciIds | None = self._load_ids() if self.options.names else None

    def _load_ids(self) -> PciIds:
        # As node_exporter: a missing database leaves every id unnamed, it does not fail.
        candidates = (self.options.idsfile,) if self.options.idsfile else PCI_IDS_PATHS
        for path in candidates:
            try:
                return parse_pci_ids(read_text(path).splitlines())
            except OSError as err:
                self.log.debug("Cannot open PCI IDs file", extra={"kv": {"path": path, "err": str(err)}})
        return PciIds()

    def collect(self) -> Iterator[Metric]:
        devices_dir = self.paths.sys("bus", "pci", "devices")
        if not os.path.isdir(devices_dir):
            raise NoDataError("PCI device not found, skipping")
        devices = [read_pci_device(devices_dir, name) for name in list_dir(devices_dir)]

        def gauge(name: str, help_text: str, extra: list[str] | None = None) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"node_pcidevice_{name}", help_text,
                                     labels=LOCATION_LABELS + (extra or []))

        info = GaugeMetricFamily(
            "node_pcidevice_info",
            "Non-numeric data from /sys/bus/pci/devices/<location>, value is always 1.",
            labels=INFO_LABELS + (NAME_LABELS if self.names is not None else []),
        )
        max_ts = gauge("max_link_transfers_per_second", "Value of maximum link's transfers per second (T/s)")
        max_width = gauge("max_link_width", "Value of maximum link's width (number of lanes)")
        cur_ts = gauge("current_link_transfers_per_second", "Value of current link's transfers per second (T/s)")
        cur_width = gauge("current_link_width", "Value of current link's width (number of lanes)")
        d3cold = gauge("d3cold_allowed", "Whether the PCIe device supports D3cold power state (0/1).")
        autoprobe = gauge("sriov_drivers_autoprobe",
                          "Whether SR-IOV drivers autoprobe is enabled for the device (0/1).")
        numvfs = gauge("sriov_numvfs", "Number of Virtual Functions (VFs) currently enabled for SR-IOV.")
        totalvfs = gauge("sriov_totalvfs", "Total number of Virtual Functions (VFs) supported by the device.")
        msix = gauge("sriov_vf_total_msix", "Total number of MSI-X vectors for Virtual Functions.")
        power = gauge("power_state",
                      "PCIe device power state, one of: D0, D1, D2, D3hot, D3cold, unknown or error.",
                      ["state"])
        numa = gauge("numa_node", "NUMA node number for the PCI device. -1 indicates unknown or not available.")

        for dev in devices:
            loc = dev.location.labels()
            parent = dev.parent.labels() if dev.parent is not None else ["*"] * 4
            ids = dev.ids
            hex_ids = [
                f"0x{ids['class'] & 0xFFFFFFFF:06x}", f"0x{ids['vendor'] & 0xFFFFFFFF:04x}",
                f"0x{ids['device'] & 0xFFFFFFFF:04x}", f"0x{ids['subsystem_vendor'] & 0xFFFFFFFF:04x}",
                f"0x{ids['subsystem_device'] & 0xFFFFFFFF:04x}",
            ]
            values = loc + parent + hex_ids + [f"0x{ids['revision'] & 0xFFFFFFFF:02x}"]
            if self.names is not None:
                values += resolve_names(self.names, hex_ids[1], hex_ids[2], hex_ids[3], hex_ids[4], hex_ids[0])
            info.add_metric(values, 1.0)

            max_ts.add_metric(loc, dev.max_link_speed * 1e9 if dev.max_link_speed is not None else -1.0)
            max_width.add_metric(loc, dev.max_link_width if dev.max_link_width is not None else -1.0)
            cur_ts.add_metric(loc, dev.current_link_speed * 1e9 if dev.current_link_speed is not None else -1.0)
            cur_width.add_metric(loc, dev.current_link_width if dev.current_link_width is not None else -1.0)
            d3cold.add_metric(loc, 1.0 if dev.d3cold_allowed else 0.0)
            autoprobe.add_metric(loc, 1.0 if dev.sriov.get("sriov_drivers_autoprobe", 0) else 0.0)
            numvfs.add_metric(loc, float(dev.sriov.get("sriov_numvfs", 0)))
            totalvfs.add_metric(loc, float(dev.sriov.get("sriov_totalvfs", 0)))
            # strconv.ParseInt(x, 10, 64) stored as a uint64: a negative count wraps.
            msix.add_metric(loc, float(dev.sriov.get("sriov_vf_total_msix", 0) % 2**64))
            if dev.power_state is not None:
                for state in POWER_STATES:
                    power.add_metric([*loc, state], 1.0 if state == dev.power_state else 0.0)
            if ids["numa_node"] != -1:
                numa.add_metric(loc, float(ids["numa_node"]))

        # node_exporter prints no HELP/TYPE for a family without samples.
        for family in (info, max_ts, max_width, cur_ts, cur_width, d3cold, autoprobe, numvfs, totalvfs,
                       msix, power, numa):
            if family.samples:
                yield family
