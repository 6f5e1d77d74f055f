"""mdadm: software RAID state from /proc/mdstat and /sys/block/md*/md, as node_exporter's
mdadm collector (collector/mdadm_linux.go: Update; over procfs's mdstat.go: parseMDStat,
evalStatusLine, evalRecoveryLine; and sysfs's mdraid.go: Mdraids).

/proc/mdstat: absent means no md module, and node_exporter then reports nothing at all (it
returns ErrNoData before it looks at sysfs). A device line starts in column 0; raid0/linear
arrays count their `[n]` members, inactive ones have no disks; the status line gives blocks and
`[total/active]`; a bitmap line is skipped; a recovery/reshape/check/resync line gives the synced
blocks and must carry `= x%`, `finish=ymin` and `speed=zK` as evalRecoveryLine requires, unless
it says PENDING or DELAYED (0 synced). A reshaping array reports 0 for every node_md_state.

/sys/block/md*/md (Mdraids): level, array_state, metadata_version and uuid are required, so is
each dev-*/state; raid_disks except for containers (levels container, imsm, ddf), which have no
disks and so no node_md_raid_disks sample; chunk_size for raid0/4/5/6/10; degraded, sync_action
and sync_completed (`none` or `a / b`) for raid1/4/5/6/10; node_md_degraded is 0 for the other
levels. raid_disks reads `N (M)` while a reshape changes the disk count (md.c raid_disks_show:
the new count, then the old one in brackets): node_exporter <= 1.10 refuses that (issue #3528);
this reports N, the count the array is being reshaped to. sync_completed reads `delayed` while
a resync waits its turn: sysfs's Sscanf refuses that and fails the collector; this treats it as
`none`. node_exporter emits the mdstat families before it reads sysfs, so a sysfs error leaves
them in its output with the collector failed; here the collector fails with nothing (a scrape
keeps no part of a failed collector's output).
"""

from __future__ import annotations

import fnmatch
import os
import re
import string
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, list_dir, read_attribute, read_text
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_float, parse_int, parse_uint, sys_read_file

# ASCII: Go's \d (RE2) is [0-9]; Python's would take any Unicode digit.
# Searched from the start of a run of digits only (as zoneinfo's _NODE_ZONE, for the same reason).
_STATUS_LINE = re.compile(r"(?<!\d)(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]", re.ASCII)
_SYNC_BLOCKS = re.compile(r"\((\d+)/\d+\)", re.ASCII)


def _greedy_between(line: str, start: str, end_at: int) -> str | None:
    """RE2's `START(.+)END` search of LINE, END's last place in LINE being END_AT (-1: none): the
    text after the first START up to that last END, if it holds a character. (RE2 matches
    leftmost, then greedily; the regex itself, in Python's backtracking engine, takes time
    quadratic in a line of many STARTs.)"""
    at = line.find(start)
    if at < 0 or end_at < at + len(start) + 1:
        return None
    return line[at + len(start):end_at]


def _last_capital(line: str) -> int:
    return max(line.rfind(letter) for letter in string.ascii_uppercase)


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
    raid_disks: int | None  # None for a container, which has no disks
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


def _recovery_line(line: str) -> int:
    """procfs's evalRecoveryLine: the synced blocks of `(synced/total)`; the percentage, the
    finish time and the speed must be there and be numbers as well."""
    match = _SYNC_BLOCKS.search(line)
    if not match:
        raise CollectorError(f"unexpected mdstat sync line {line!r}")
    try:
        synced = parse_int(match.group(1))
        # evalRecoveryLine's other three matches: `= (.+)%`, `finish=(.+)min`, `speed=(.+)[A-Z]`.
        percent = _greedy_between(line, "= ", line.rfind("%"))
        finish = _greedy_between(line, "finish=", line.rfind("min"))
        speed = _greedy_between(line, "speed=", _last_capital(line))
        if percent is None or finish is None or speed is None:
            raise CollectorError(f"unexpected mdstat sync line {line!r}")
        parse_float(go_trim_space(percent))
        parse_float(finish)
        parse_float(speed)
    except NumberError as err:
        raise CollectorError(f"unexpected mdstat sync line {line!r}: {err}") from None
    return synced


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
                synced = _recovery_line(sync_line)

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


_CONTAINER_LEVELS = frozenset({"container", "imsm", "ddf"})
_CHUNKED_LEVELS = frozenset({"raid0", "raid4", "raid5", "raid6", "raid10"})
_REDUNDANT_LEVELS = frozenset({"raid1", "raid4", "raid5", "raid6", "raid10"})
_SYNC_COMPLETED = re.compile(r"\s*[+-]?\d+\s*/\s*[+-]?\d+", re.ASCII)


def parse_raid_disks(text: str) -> int:
    """md/raid_disks: `4`, or `5 (4)` while a reshape changes the disk count (the new count
    first). The first word as sysfs's ReadUintFromFile reads a number."""
    words = go_trim_space(text).split(None, 1)
    if len(words) == 2 and not re.fullmatch(r"\(\d+\)", words[1], re.ASCII):
        raise CollectorError(f"unexpected md raid_disks value {text[:40]!r}")
    return parse_uint(words[0] if words else "")


def parse_sync_completed(text: str) -> None:
    """md/sync_completed: `none`, `delayed` or `done / total` (checked as sysfs's
    fmt.Sscanf(val, "%d / %d") would; its value is not exported)."""
    if text in ("none", "delayed"):
        return
    if not _SYNC_COMPLETED.match(text):
        raise CollectorError(f"unexpected md sync_completed value {text[:40]!r}")


def read_mdraid(md_dir: str, device: str) -> MDRaid:
    """sysfs's Mdraids for one /sys/block/<device>/md."""
    try:
        level = sys_read_file(os.path.join(md_dir, "level"))
        for name in ("array_state", "metadata_version"):
            sys_read_file(os.path.join(md_dir, name))
        raid_disks = None
        if level not in _CONTAINER_LEVELS:
            raid_disks = parse_raid_disks(decode(read_attribute(os.path.join(md_dir, "raid_disks"))))
        sys_read_file(os.path.join(md_dir, "uuid"))
        for entry in fnmatch.filter(list_dir(md_dir), "dev-*"):
            sys_read_file(os.path.join(md_dir, entry, "state"))
        if level in _CHUNKED_LEVELS:
            parse_uint(sys_read_file(os.path.join(md_dir, "chunk_size")))
        degraded = 0
        if level in _REDUNDANT_LEVELS:
            degraded = parse_uint(sys_read_file(os.path.join(md_dir, "degraded")))
            sys_read_file(os.path.join(md_dir, "sync_action"))
            parse_sync_completed(sys_read_file(os.path.join(md_dir, "sync_completed")))
    except NumberError as err:
        raise CollectorError(f"error parsing mdraids: {device}: {err}") from None
    except OSError as err:
        raise CollectorError(f"error parsing mdraids: {device}: {err}") from None
    return MDRaid(device=device, raid_disks=raid_disks, degraded=degraded)


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
        return [
            read_mdraid(os.path.join(block, device, "md"), device)
            for device in fnmatch.filter(list_dir(block), "md*")
            if os.path.lexists(os.path.join(block, device, "md"))
        ]

    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.paths.proc("mdstat"))
        except FileNotFoundError:
            # No md module: node_exporter's ErrNoData, before it reads sysfs.
            raise NoDataError("Not collecting mdstat, file does not exist") from None
        arrays = parse_mdstat(text)
        raids = self._md_raids()
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
        yield from (f for f in (required, disks, state, blocks, synced) if f.samples)
        if raids:
            raid_disks = GaugeMetricFamily(
                "node_md_raid_disks", "Number of raid disks on device.", labels=["device"]
            )
            degraded = GaugeMetricFamily(
                "node_md_degraded", "Number of degraded disks on device.", labels=["device"]
            )
            for raid in raids:
                if raid.raid_disks is not None:
                    raid_disks.add_metric([raid.device], raid.raid_disks)
                degraded.add_metric([raid.device], raid.degraded)
            yield from (f for f in (raid_disks, degraded) if f.samples)
