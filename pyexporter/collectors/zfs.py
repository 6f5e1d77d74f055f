"""zfs: ZFS kstats from /proc/spl/kstat/zfs, as node_exporter's zfs collector (collector/zfs_linux.go:
Update, parseProcfsFile, parsePoolProcfsFile, parsePoolObjsetFile, parsePoolStateFile; it uses no
procfs parser).

Variants followed: the named kstat files of linuxPathMap, each optional (any open error skips it, as
openProcFile returns errZFSNotAvailable); KSTAT_DATA_INT64 (3) rows as int64, KSTAT_DATA_UINT64 (4)
as uint64, other types ignored; rows before the `name type data` header ignored, and a file without
one fails; per pool `<pool>/io` (header row from `nread` with 12+ names, values below), every
`<pool>/objset-*` (uint64 rows; the `dataset_name` string kstat, spaces kept, labels the rest) and
`<pool>/state` (first line, lower-cased, against the seven pool states), each optional per pool.

Deliberately different: node_exporter fails the whole collector when a pool's io/objset/state file
vanishes between its glob and its open (a pool being exported); we skip that pool's file. A state
line is trimmed (Go compares it untrimmed). /proc/spl/kstat/zfs missing is ErrNoData, as in Go.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import FamilyIndex
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import NumberError, parse_int, parse_uint

# kstat data types node_exporter reads: KSTAT_DATA_INT64 and KSTAT_DATA_UINT64.
_INT_TYPES = ("3", "4")
_INT64 = "3"
_UINT64 = "4"

# Metric subsystem -> kstat file under spl/kstat/zfs.
SUBSYSTEMS = {
    "zfs_abd": "abdstats",
    "zfs_arc": "arcstats",
    "zfs_dbuf": "dbufstats",
    "zfs_dmu_tx": "dmu_tx",
    "zfs_dnode": "dnodestats",
    "zfs_fm": "fm",
    "zfs_vdev_cache": "vdev_cache_stats",
    "zfs_vdev_mirror": "vdev_mirror_stats",
    "zfs_xuio": "xuio_stats",
    "zfs_zfetch": "zfetchstats",
    "zfs_zil": "zil",
}
POOL_STATES = ("online", "degraded", "faulted", "offline", "removed", "unavail", "suspended")

# The dataset name is a string kstat that may contain spaces; keep it whole.
_DATASET_NAME = re.compile(r"^\s*dataset_name\s+\S+\s+(.*?)\s*$")


class KstatValue(NamedTuple):
    name: str
    value: int


def _kstat_number(text: str, key: str, signed: bool = False) -> int:
    """strconv.ParseInt or ParseUint(text, 10, 64), as zfs_linux.go picks by the kstat type; the
    error names the kstat."""
    try:
        return parse_int(text) if signed else parse_uint(text)
    except NumberError as err:
        kind = "signed" if signed else "unsigned"
        raise CollectorError(
            f'could not parse expected {kind} integer value for "kstat.zfs.misc.{key}": {err}') from None


def _named_rows(text: str, what: str) -> Iterable[list[str]]:
    """The rows after a kstat's `name type data` header, split into fields."""
    started = False
    for line in text.splitlines():
        parts = line.split()
        if not started:
            started = parts == ["name", "type", "data"]
            continue
        if len(parts) >= 3:
            yield parts
    if not started:
        raise CollectorError(f"no kstat header in {what}")


def parse_kstat(text: str, what: str) -> list[KstatValue]:
    """A named kstat file: the integer rows, in file order."""
    values: list[KstatValue] = []
    for parts in _named_rows(text, what):
        if parts[1] in _INT_TYPES:
            key = f"{what}.{parts[0]}"
            values.append(KstatValue(parts[0], _kstat_number(parts[2], key, parts[1] == _INT64)))
    return values


def parse_pool_io(text: str) -> list[KstatValue]:
    """A pool's io kstat: a header row of names (starting with nread) and one row of values."""
    names: list[str] | None = None
    values: list[KstatValue] = []
    for line in text.splitlines():
        parts = line.split()
        if names is None:
            if len(parts) >= 12 and parts[0] == "nread":
                names = parts
            continue
        if not parts:
            continue
        if len(parts) < len(names):
            raise CollectorError("zpool io kstat: fewer values than names")
        values.extend(
            KstatValue(name, _kstat_number(parts[i], f"io.{name}")) for i, name in enumerate(names)
        )
    return values


def parse_objset(text: str, what: str) -> tuple[str, list[KstatValue]]:
    """A dataset's objset kstat: (dataset name, its uint64 values)."""
    dataset = ""
    for line in text.splitlines():
        match = _DATASET_NAME.match(line)
        if match:
            dataset = match.group(1)
            break
    values = [
        KstatValue(parts[0], _kstat_number(parts[2], f"objset.{parts[0]}"))
        for parts in _named_rows(text, what)
        if parts[0] != "dataset_name" and parts[1] == _UINT64
    ]
    return dataset, values


def _metric_name(kstat: str) -> str:
    return kstat.replace("-", "_")


@collector("zfs")
class ZfsCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.proc("spl", "kstat", "zfs")
        if not os.path.isdir(base):
            raise NoDataError("ZFS / ZFS statistics are not available")
        families = FamilyIndex()

        for subsystem, filename in SUBSYSTEMS.items():
            try:
                text = read_text(os.path.join(base, filename))
            except (FileNotFoundError, PermissionError):
                # Each ZFS release adds or drops kstat files; a missing one is normal. openProcFile
                # takes any failure to open as "not available" and goes on.
                continue
            for kv in parse_kstat(text, filename):
                help_text = f"kstat.zfs.misc.{filename}.{kv.name}"
                name = f"node_{subsystem}_{_metric_name(kv.name)}"
                families.untyped(name, help_text).add_metric([], kv.value)

        pools = [p for p in list_dir(base) if os.path.isdir(os.path.join(base, p))]
        for pool in pools:
            try:
                text = read_text(os.path.join(base, pool, "io"))
            except FileNotFoundError:
                continue
            for kv in parse_pool_io(text):
                name = f"node_zfs_zpool_{_metric_name(kv.name)}"
                help_text = f"kstat.zfs.misc.io.{kv.name}"
                families.untyped(name, help_text, ["zpool"]).add_metric([pool], kv.value)

        for pool in pools:
            pool_dir = os.path.join(base, pool)
            for objset in (f for f in list_dir(pool_dir) if f.startswith("objset-")):
                try:
                    text = read_text(os.path.join(pool_dir, objset))
                except FileNotFoundError:
                    continue
                dataset, values = parse_objset(text, f"{pool}/{objset}")
                for kv in values:
                    name = f"node_zfs_zpool_dataset_{_metric_name(kv.name)}"
                    help_text = f"kstat.zfs.misc.objset.{kv.name}"
                    families.untyped(name, help_text, ["zpool", "dataset"]).add_metric([pool, dataset], kv.value)

        for pool in pools:
            try:
                text = read_text(os.path.join(base, pool, "state"))
            except FileNotFoundError:
                continue
            actual = text.split("\n", 1)[0].strip().lower()
            state = families.gauge("node_zfs_zpool_state", "kstat.zfs.misc.state", ["zpool", "state"])
            for name in POOL_STATES:
                state.add_metric([pool, name], 1.0 if actual == name else 0.0)

        return families.families()
