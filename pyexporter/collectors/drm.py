"""drm: amdgpu cards under /sys/class/drm, as node_exporter's drm collector (collector/drm_linux.go:
Update, updateAMDCards) over procfs's sysfs/class_drm_amdgpu.go (ClassDRMCardAMDGPUStats,
parseClassDRMAMDGPUCard) and sysfs/class_drm.go (readDRMCardField).

The cards are the entries named `card` and one digit (the glob `class/drm/card[0-9]`, so
card10 and the connectors such as card0-DP-1 are not read), in name order; no /sys/class/drm
(or one that cannot be listed: filepath.Glob ignores I/O errors) is no cards, and success. Each
card's device/uevent must be readable: a read that fails with ENODATA skips the card, any other
error fails the collector. A card whose uevent does not contain `DRIVER=amdgpu` is still
reported, as upstream reports it: every number 0, every text empty, and `vendor="amd"` (vendor
is a constant in node_exporter).

For an amdgpu card, each device/<attribute> that can be read is used, one that cannot is 0 or
empty. Numbers are strconv.ParseUint(x, 0, 64) (base prefixes and underscores accepted); a
readable value that is not one makes procfs dereference a nil pointer and node_exporter crash,
and here fails this collector only (the deliberate difference).
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.numbers import NumberError, parse_uint, sys_read_file

# filepath.Glob's `card[0-9]`: the whole name, one ASCII digit.
_CARD = re.compile(r"card[0-9]", re.ASCII)
# regexp.MatchString("DRIVER=amdgpu", uevent): found anywhere in the (trimmed) uevent.
_AMDGPU = "DRIVER=amdgpu"

# (attribute under device/, stats field), numbers, in procfs's order.
_NUMBERS = (
    ("gpu_busy_percent", "gpu_busy_percent"),
    ("mem_info_gtt_total", "memory_gtt_size"),
    ("mem_info_gtt_used", "memory_gtt_used"),
    ("mem_info_vis_vram_total", "memory_visible_vram_size"),
    ("mem_info_vis_vram_used", "memory_visible_vram_used"),
    ("mem_info_vram_total", "memory_vram_size"),
    ("mem_info_vram_used", "memory_vram_used"),
)
_TEXTS = (
    ("mem_info_vram_vendor", "memory_vram_vendor"),
    ("power_dpm_force_performance_level", "power_dpm_force_performance_level"),
    ("unique_id", "unique_id"),
)

# (metric suffix, HELP, stats field), in node_exporter's order of sending.
_GAUGES = (
    ("gpu_busy_percent", "How busy the GPU is as a percentage.", "gpu_busy_percent"),
    ("memory_gtt_size_bytes", "The size of the graphics translation table (GTT) block in bytes.",
     "memory_gtt_size"),
    ("memory_gtt_used_bytes", "The used amount of the graphics translation table (GTT) block in bytes.",
     "memory_gtt_used"),
    ("memory_vram_size_bytes", "The size of VRAM in bytes.", "memory_vram_size"),
    ("memory_vram_used_bytes", "The used amount of VRAM in bytes.", "memory_vram_used"),
    ("memory_vis_vram_size_bytes", "The size of visible VRAM in bytes.", "memory_visible_vram_size"),
    ("memory_vis_vram_used_bytes", "The used amount of visible VRAM in bytes.", "memory_visible_vram_used"),
)
_INFO_LABELS = ["card", "memory_vendor", "power_performance_level", "unique_id", "vendor"]
_VENDOR = "amd"


@dataclass(slots=True)
class AMDGPUStats:
    name: str
    gpu_busy_percent: int = 0
    memory_gtt_size: int = 0
    memory_gtt_used: int = 0
    memory_visible_vram_size: int = 0
    memory_visible_vram_used: int = 0
    memory_vram_size: int = 0
    memory_vram_used: int = 0
    memory_vram_vendor: str = ""
    power_dpm_force_performance_level: str = ""
    unique_id: str = ""


def is_amdgpu(uevent: str) -> bool:
    return _AMDGPU in uevent


def parse_card(name: str, uevent: str, attributes: dict[str, str]) -> AMDGPUStats:
    """parseClassDRMAMDGPUCard, from the card's uevent and the device attributes that could be
    read (trimmed): a card of another driver has only its name; a number that ParseUint refuses
    is a CollectorError."""
    stats = AMDGPUStats(name)
    if not is_amdgpu(uevent):
        return stats
    for attr, field in _NUMBERS:
        if attr in attributes:
            try:
                setattr(stats, field, parse_uint(attributes[attr], 0))
            except NumberError as err:
                raise CollectorError(f"drm {name}: {attr}: {err}") from None
    for attr, field in _TEXTS:
        if attr in attributes:
            setattr(stats, field, attributes[attr])
    return stats


def _read_optional(path: str) -> str | None:
    """readDRMCardField with its error dropped, as parseClassDRMAMDGPUCard drops it."""
    try:
        return sys_read_file(path)
    except OSError:
        return None


def read_cards(class_dir: str) -> list[AMDGPUStats]:
    """ClassDRMCardAMDGPUStats under CLASS_DIR (/sys/class/drm)."""
    try:
        names = sorted(os.listdir(class_dir))
    except OSError:
        names = []  # filepath.Glob ignores I/O errors: no matches
    cards: list[AMDGPUStats] = []
    for name in names:
        if not _CARD.fullmatch(name):
            continue
        device = os.path.join(class_dir, name, "device")
        uevent_path = os.path.join(device, "uevent")
        try:
            uevent = sys_read_file(uevent_path)
        except OSError as err:
            if err.errno == errno.ENODATA:
                continue
            raise CollectorError(f"failed to read file {uevent_path!r}: {err}") from None
        attributes: dict[str, str] = {}
        if is_amdgpu(uevent):
            for attr, _ in (*_NUMBERS, *_TEXTS):
                value = _read_optional(os.path.join(device, attr))
                if value is not None:
                    attributes[attr] = value
        cards.append(parse_card(name, uevent, attributes))
    return cards


@collector("drm", default=False)
class DRMCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        cards = read_cards(self.paths.sys("class", "drm"))
        if not cards:
            return
        info = GaugeMetricFamily("node_drm_card_info", "Card information", labels=_INFO_LABELS)
        gauges = [
            (GaugeMetricFamily(f"node_drm_{suffix}", help_text, labels=["card"]), field)
            for suffix, help_text, field in _GAUGES
        ]
        for card in cards:
            info.add_metric(
                [card.name, card.memory_vram_vendor, card.power_dpm_force_performance_level, card.unique_id,
                 _VENDOR],
                1,
            )
            for family, field in gauges:
                family.add_metric([card.name], float(getattr(card, field)))
        yield info
        for family, _ in gauges:
            yield family
