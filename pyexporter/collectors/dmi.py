"""dmi: /sys/class/dmi/id as one info metric, as node_exporter's dmi collector (collector/dmi.go
over procfs sysfs/class_dmi.go DMIClass: regular files only, each through util.SysReadFile, the
root-only ones skipped).

The values do not change until the next boot, so they are read when the collector is built (as
node_exporter reads them) and again only when the kernel's boot id has changed (a process
checkpointed and restored on another machine; see toolkit/static.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_attribute, to_valid_utf8
from pyexporter.toolkit.numbers import go_trim_space
from pyexporter.toolkit.static import BootCache

# DMI file -> label, for the files node_exporter reports (chassis_type, modalias and uevent are not).
_LABELS = {
    "bios_date": "bios_date",
    "bios_release": "bios_release",
    "bios_vendor": "bios_vendor",
    "bios_version": "bios_version",
    "board_asset_tag": "board_asset_tag",
    "board_name": "board_name",
    "board_serial": "board_serial",
    "board_vendor": "board_vendor",
    "board_version": "board_version",
    "chassis_asset_tag": "chassis_asset_tag",
    "chassis_serial": "chassis_serial",
    "chassis_vendor": "chassis_vendor",
    "chassis_version": "chassis_version",
    "product_family": "product_family",
    "product_name": "product_name",
    "product_serial": "product_serial",
    "product_sku": "product_sku",
    "product_uuid": "product_uuid",
    "product_version": "product_version",
    "sys_vendor": "system_vendor",
}

HELP = (
    "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, "
    "board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, "
    "chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, "
    "product_sku, product_uuid, product_version, system_vendor if provided by DMI."
)


def dmi_labels(values: dict[str, bytes]) -> dict[str, str]:
    """Label name -> value for the DMI files read (file name -> raw content)."""
    return {
        _LABELS[name]: to_valid_utf8(go_trim_space(decode(raw)))
        for name, raw in values.items()
        if name in _LABELS
    }


def read_dmi(directory: str) -> dict[str, bytes]:
    """The regular files of the DMI directory; unreadable ones (serials are root-only) are left out."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    values: dict[str, bytes] = {}
    for entry in entries:
        if entry.name not in _LABELS or not entry.is_file(follow_symlinks=False):
            continue
        try:
            # util.SysReadFile: one read of at most 128 bytes.
            values[entry.name] = read_attribute(entry.path, size=128)
        except PermissionError:
            continue
    return values


@collector("dmi")
class DmiCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self._directory = self.paths.sys("class", "dmi", "id")
        # An OSError is kept and reported by every scrape rather than stopping the exporter.
        self._family = BootCache(self.paths.proc("sys", "kernel", "random", "boot_id"), self._read)

    def _read(self) -> GaugeMetricFamily | None:
        labels = dmi_labels(read_dmi(self._directory))
        if not labels:
            return None
        names = sorted(labels)
        family = GaugeMetricFamily("node_dmi_info", HELP, labels=names)
        family.add_metric([labels[name] for name in names], 1.0)
        return family

    def collect(self) -> Iterable[Metric]:
        family = self._family.get()
        if family is None:
            raise NoDataError("Platform does not support Desktop Management Interface (DMI) information")
        yield family
