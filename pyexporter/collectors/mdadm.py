"""mdadm: software RAID state from /proc/mdstat and /sys/block/md*/md, as node_exporter's
mdadm collector."""

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
from pyexporter.toolkit.files import list_dir, read_optional, read_text

_STATUS_LINE = re.compile(r"(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]")
_SYNC_BLOCKS = re.compile(r"\((\d+)/\d+\)")


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
    try:
        size = int(fields[0])
    except ValueError:
        raise CollectorError(f"unexpected mdstat status line {status_line!r}") from None
    # raid0 and linear arrays have no [n/m] summary: every listed member counts.
    if "raid0" in device_line or "linear" in device_line:
        members = device_line.count("[")
        return members, members, size
    if "inactive" in device_line:
        return 0, 0, size
    match = _STATUS_LINE.search(status_line)
    if not match:
        raise CollectorError(f"unexpected mdstat status line {status_line!r}")
    return int(match.group(3)), int(match.group(2)), size


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
                synced = int(match.group(1))

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


def _parse_count(text: str | None, what: str) -> int:
    if text is None or text == "":
        return 0
    try:
        return int(text)
    except ValueError:
        raise CollectorError(f"unexpected md {what} value {text!r}") from None


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
            raid_disks = read_optional(os.path.join(md_dir, "raid_disks"))
            if raid_disks is None:
                raise CollectorError(f"cannot read raid_disks of {device}")
            raids.append(
                MDRaid(
                    device=device,
                    raid_disks=_parse_count(raid_disks, "raid_disks"),
                    # Absent for raid0/linear, which cannot degrade.
                    degraded=_parse_count(read_optional(os.path.join(md_dir, "degraded")), "degraded"),
                )
            )
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
