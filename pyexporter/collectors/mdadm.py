"""mdadm: software RAID state from /proc/mdstat and /sys/block/md*/md, as node_exporter's
mdadm collector (collector/mdadm_linux.go, over procfs's mdstat.go and sysfs's mdraid.go)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import NumberError, parse_int, read_uint_file

# ASCII: Go's \d (RE2) is [0-9]; Python's would take any Unicode digit.
_STATUS_LINE = re.compile(r"(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]", re.ASCII)
_SYNC_BLOCKS = re.compile(r"\((\d+)/\d+\)", re.ASCII)


class MDStat(NamedTuple):
    name: str
    state: str  # active, inactive, recovering, resyncing, checking, reshaping
    disks_active: int
    disks_total: int
    disks_failed: int
    disks_spare: int
    blocks_total: int
    blocks_synced: int


class MDRaid(NamedTuple):
    device: str
    raid_disks: int
    degraded: int


def _status_line(device_line: str, status_line: str) -> tuple[int, int, int]:
    """(active disks, total disks, size in blocks) from an array's first two lines."""
    fields = status_line.split()
    if not fields:
        raise CollectorError(f"unexpected mdstat status line {status_line!r}")
    # procfs's mdstat.go reads every number here with strconv.ParseInt(x, 10, 64).
    try:
        size = parse_int(fields[0])
    except NumberError as err:
        raise CollectorError(f"unexpected mdstat status line {status_line!r}: {err}") from None
    # raid0 and linear arrays have no [n/m] summary: every listed member counts.
    if "raid0" in device_line or "linear" in device_line:
        members = device_line.count("[")
        return members, members, size
    if "inactive" in device_line:
        return 0, 0, size
    match = _STATUS_LINE.search(status_line)
    if not match:
        raise CollectorError(f"unexpected mdstat status line {status_line!r}")
    try:
        return parse_int(match.group(3)), parse_int(match.group(2)), size
    except NumberError as err:
        raise CollectorError(f"unexpected mdstat status line {status_line!r}: {err}") from None


def parse_mdstat(text: str) -> list[MDStat]:
    lines = text.split("\n")
    arrays: list[MDStat] = []
    for i, line in enumerate(lines):
        if (
            not line.strip()
            or line[0] in " \t"
            or line.startswith("Personalities")
            or line.startswith("unused")
        ):
            continue
        fields = line.split()
        if len(fields) < 3:
            raise CollectorError(f"not enough fields in mdstat device line {line!r}")
        name, state = fields[0], fields[2]
        if len(lines) <= i + 3:
            raise CollectorError(f"too few lines in mdstat for md device {name}")
        active, total, size = _status_line(line, lines[i + 1])

        sync_idx = i + 3 if "bitmap" in lines[i + 2] else i + 2
        sync_line = lines[sync_idx]
        synced = size
        recovering = "recovery" in sync_line
        reshaping = "reshape" in sync_line
        resyncing = "resync" in sync_line
        checking = "check" in sync_line
        if recovering or reshaping or resyncing or checking:
            if recovering:
                state = "recovering"
            elif reshaping:
                state = "reshaping"
            elif checking:
                state = "checking"
            else:
                state = "resyncing"
            # resync=PENDING / resync=DELAYED: queued, nothing synced yet.
            if "PENDING" in sync_line or "DELAYED" in sync_line:
                synced = 0
            else:
                match = _SYNC_BLOCKS.search(sync_line)
                if not match:
                    raise CollectorError(f"unexpected mdstat sync line {sync_line!r}")
                try:
                    synced = parse_int(match.group(1))
                except NumberError as err:
                    raise CollectorError(f"unexpected mdstat sync line {sync_line!r}: {err}") from None

        arrays.append(
            MDStat(
                name=name,
                state=state,
                disks_active=active,
                disks_total=total,
                disks_failed=line.count("(F)"),
                disks_spare=line.count("(S)"),
                blocks_total=size,
                blocks_synced=synced,
            )
        )
    return arrays


def _read_count(md_dir: str, name: str, device: str) -> int:
    """An md attribute as sysfs's ReadUintFromFile reads it."""
    try:
        return read_uint_file(os.path.join(md_dir, name))
    except NumberError as err:
        raise CollectorError(f"unexpected md {name} value of {device}: {err}") from None


_STATE_LABELS = (
    ("active", "active"),
    ("inactive", "inactive"),
    ("recovering", "recovering"),
    ("resyncing", "resync"),
    ("checking", "check"),
)


@collector("mdadm")
class MdadmCollector(Collector[NoOptions]):
    def _md_raids(self) -> list[MDRaid]:
        block = self.paths.sys("block")
        raids: list[MDRaid] = []
        for device in list_dir(block):
            md_dir = os.path.join(block, device, "md")
            if not device.startswith("md") or not os.path.isdir(md_dir):
                continue
            try:
                raid_disks = _read_count(md_dir, "raid_disks", device)
            except OSError as err:
                raise CollectorError(f"cannot read raid_disks of {device}: {err}") from None
            try:
                degraded = _read_count(md_dir, "degraded", device)
            except OSError:
                degraded = 0  # absent for raid0/linear, which cannot degrade
            raids.append(MDRaid(device=device, raid_disks=raid_disks, degraded=degraded))
        return raids

    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.paths.proc("mdstat"))
        except FileNotFoundError:
            text = None
        raids = self._md_raids()
        if text is not None:
            arrays = parse_mdstat(text)
            required = GaugeMetricFamily(
                "node_md_disks_required", "Total number of disks of device.", labels=["device"]
            )
            disks = GaugeMetricFamily(
                "node_md_disks", "Number of active/failed/spare disks of device.",
                labels=["device", "state"],
            )
            state = GaugeMetricFamily(
                "node_md_state", "Indicates the state of md-device.", labels=["device", "state"]
            )
            blocks = GaugeMetricFamily(
                "node_md_blocks", "Total number of blocks on device.", labels=["device"]
            )
            synced = GaugeMetricFamily(
                "node_md_blocks_synced", "Number of blocks synced on device.", labels=["device"]
            )
            for md in arrays:
                required.add_metric([md.name], md.disks_total)
                disks.add_metric([md.name, "active"], md.disks_active)
                disks.add_metric([md.name, "failed"], md.disks_failed)
                disks.add_metric([md.name, "spare"], md.disks_spare)
                for key, label in _STATE_LABELS:
                    state.add_metric([md.name, label], 1.0 if md.state == key else 0.0)
                blocks.add_metric([md.name], md.blocks_total)
                synced.add_metric([md.name], md.blocks_synced)
            yield from (required, disks, state, blocks, synced)
        if raids:
            raid_disks = GaugeMetricFamily(
                "node_md_raid_disks", "Number of raid disks on device.", labels=["device"]
            )
            degraded = GaugeMetricFamily(
                "node_md_degraded", "Number of degraded disks on device.", labels=["device"]
            )
            for raid in raids:
                raid_disks.add_metric([raid.device], raid.raid_disks)
                degraded.add_metric([raid.device], raid.degraded)
            yield from (raid_disks, degraded)
