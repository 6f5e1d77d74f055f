"""xfs: per-filesystem XFS statistics from /sys/fs/xfs/<device>/stats/stats, as node_exporter's
xfs collector (collector/xfs_linux.go) over procfs's xfs/xfs.go (FS.SysStats: the glob
`fs/xfs/*/stats/stats`, the device named by the `*`) and xfs/parse.go (ParseStats).

ParseStats skips lines with fewer than two fields, parses every other line's values (uint64 for
`xpc`, uint32 for the rest, unknown labels included) and checks the number of values of every
label it knows, reported by node_exporter or not: `vnodes` 7 or 8 (older kernels lack `free`),
`qm` 8 or 9, and a fixed count for the others (_LINES and _CHECKED_ONLY below). Any failure fails
the whole collector. `rw` holds write calls, then read calls (the kernel's order, as procfs's tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import NumberError, parse_uint

# (stats line, expected value counts, field names) for the lines node_exporter reports.
_LINES: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "extent_alloc": ((4,), ("extents_allocated", "blocks_allocated", "extents_freed", "blocks_freed")),
    "abt": ((4,), ("lookups", "compares", "records_inserted", "records_deleted")),
    "blk_map": (
        (7,),
        ("reads", "writes", "unmaps", "extent_list_insertions", "extent_list_deletions",
         "extent_list_lookups", "extent_list_compares"),
    ),
    "bmbt": ((4,), ("lookups", "compares", "records_inserted", "records_deleted")),
    "dir": ((4,), ("lookup", "create", "remove", "getdents")),
    "ig": (
        (7,),
        ("attempts", "found", "recycled", "missed", "duplicates", "reclaims", "attribute_changes"),
    ),
    # The kernel prints write calls before read calls.
    "rw": ((2,), ("write", "read")),
    # Older kernels lack the trailing "free" count.
    "vnodes": ((7, 8), ("active", "allocate", "get", "hold", "release", "reclaim", "remove", "free")),
}

# Lines ParseStats knows and checks, though node_exporter reports none of their values.
_CHECKED_ONLY: dict[str, tuple[int, ...]] = {
    "trans": (3,), "log": (5,), "push_ail": (10,), "xstrat": (2,), "attr": (4,), "icluster": (3,),
    "buf": (9,), "xpc": (3,), "qm": (8, 9), "debug": (1,),
    "abtb2": (15,), "abtc2": (15,), "bmbt2": (15,), "ibt2": (15,),
}

XFSStats = dict[str, dict[str, int]]

# (metric name suffix, HELP, stats line, field)
_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("extent_allocation_extents_allocated_total", "Number of extents allocated for a filesystem.",
     "extent_alloc", "extents_allocated"),
    ("extent_allocation_blocks_allocated_total", "Number of blocks allocated for a filesystem.",
     "extent_alloc", "blocks_allocated"),
    ("extent_allocation_extents_freed_total", "Number of extents freed for a filesystem.",
     "extent_alloc", "extents_freed"),
    ("extent_allocation_blocks_freed_total", "Number of blocks freed for a filesystem.",
     "extent_alloc", "blocks_freed"),
    ("allocation_btree_lookups_total", "Number of allocation B-tree lookups for a filesystem.",
     "abt", "lookups"),
    ("allocation_btree_compares_total", "Number of allocation B-tree compares for a filesystem.",
     "abt", "compares"),
    ("allocation_btree_records_inserted_total",
     "Number of allocation B-tree records inserted for a filesystem.", "abt", "records_inserted"),
    ("allocation_btree_records_deleted_total",
     "Number of allocation B-tree records deleted for a filesystem.", "abt", "records_deleted"),
    ("block_mapping_reads_total", "Number of block map for read operations for a filesystem.",
     "blk_map", "reads"),
    ("block_mapping_writes_total", "Number of block map for write operations for a filesystem.",
     "blk_map", "writes"),
    ("block_mapping_unmaps_total", "Number of block unmaps (deletes) for a filesystem.",
     "blk_map", "unmaps"),
    ("block_mapping_extent_list_insertions_total",
     "Number of extent list insertions for a filesystem.", "blk_map", "extent_list_insertions"),
    ("block_mapping_extent_list_deletions_total",
     "Number of extent list deletions for a filesystem.", "blk_map", "extent_list_deletions"),
    ("block_mapping_extent_list_lookups_total",
     "Number of extent list lookups for a filesystem.", "blk_map", "extent_list_lookups"),
    ("block_mapping_extent_list_compares_total",
     "Number of extent list compares for a filesystem.", "blk_map", "extent_list_compares"),
    ("block_map_btree_lookups_total", "Number of block map B-tree lookups for a filesystem.",
     "bmbt", "lookups"),
    ("block_map_btree_compares_total", "Number of block map B-tree compares for a filesystem.",
     "bmbt", "compares"),
    ("block_map_btree_records_inserted_total",
     "Number of block map B-tree records inserted for a filesystem.", "bmbt", "records_inserted"),
    ("block_map_btree_records_deleted_total",
     "Number of block map B-tree records deleted for a filesystem.", "bmbt", "records_deleted"),
    ("directory_operation_lookup_total",
     "Number of file name directory lookups which miss the operating systems directory name "
     "lookup cache.", "dir", "lookup"),
    ("directory_operation_create_total",
     "Number of times a new directory entry was created for a filesystem.", "dir", "create"),
    ("directory_operation_remove_total",
     "Number of times an existing directory entry was created for a filesystem.", "dir", "remove"),
    ("directory_operation_getdents_total",
     "Number of times the directory getdents operation was performed for a filesystem.",
     "dir", "getdents"),
    ("inode_operation_attempts_total",
     "Number of times the OS looked for an XFS inode in the inode cache.", "ig", "attempts"),
    ("inode_operation_found_total",
     "Number of times the OS looked for and found an XFS inode in the inode cache.", "ig", "found"),
    ("inode_operation_recycled_total",
     "Number of times the OS found an XFS inode in the cache, but could not use it as it was "
     "being recycled.", "ig", "recycled"),
    ("inode_operation_missed_total",
     "Number of times the OS looked for an XFS inode in the cache, but did not find it.",
     "ig", "missed"),
    ("inode_operation_duplicates_total",
     "Number of times the OS tried to add a missing XFS inode to the inode cache, but found it "
     "had already been added by another process.", "ig", "duplicates"),
    ("inode_operation_reclaims_total",
     "Number of times the OS reclaimed an XFS inode from the inode cache to free memory for "
     "another purpose.", "ig", "reclaims"),
    ("inode_operation_attribute_changes_total",
     "Number of times the OS explicitly changed the attributes of an XFS inode.",
     "ig", "attribute_changes"),
    ("read_calls_total", "Number of read(2) system calls made to files in a filesystem.",
     "rw", "read"),
    ("write_calls_total", "Number of write(2) system calls made to files in a filesystem.",
     "rw", "write"),
    ("vnode_active_total", "Number of vnodes not on free lists for a filesystem.",
     "vnodes", "active"),
    ("vnode_allocate_total", "Number of times vn_alloc called for a filesystem.",
     "vnodes", "allocate"),
    ("vnode_get_total", "Number of times vn_get called for a filesystem.", "vnodes", "get"),
    ("vnode_hold_total", "Number of times vn_hold called for a filesystem.", "vnodes", "hold"),
    ("vnode_release_total", "Number of times vn_rele called for a filesystem.",
     "vnodes", "release"),
    ("vnode_reclaim_total", "Number of times vn_reclaim called for a filesystem.",
     "vnodes", "reclaim"),
    ("vnode_remove_total", "Number of times vn_remove called for a filesystem.",
     "vnodes", "remove"),
)


def parse_xfs_stats(text: str) -> XFSStats:
    """The lines of an XFS stats file node_exporter reports, as {line: {field: value}};
    lines absent from the file read as zeros.

    As procfs, every line's values are checked, reported or not: the `xpc` line's with
    strconv.ParseUint(x, 10, 64), every other line's with ParseUint(x, 10, 32).
    """
    stats: XFSStats = {key: dict.fromkeys(names, 0) for key, (_, names) in _LINES.items()}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        key = fields[0]
        bits = 64 if key == "xpc" else 32
        try:
            values = [parse_uint(v, bits=bits) for v in fields[1:]]
        except NumberError as err:
            raise CollectorError(f"XFS stats line {key!r}: {err}") from None
        if key in _CHECKED_ONLY:
            if len(values) not in _CHECKED_ONLY[key]:
                raise CollectorError(f"XFS stats line {key!r}: incorrect number of values: {len(values)}")
            continue
        if key not in _LINES:
            continue
        counts, names = _LINES[key]
        if len(values) not in counts:
            raise CollectorError(f"XFS stats line {key!r}: unexpected number of values")
        stats[key].update(zip(names, values, strict=False))
    return stats


@collector("xfs")
class XfsCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("fs", "xfs")
        per_device: list[tuple[str, XFSStats]] = []
        for name in list_dir(base):
            # /sys/fs/xfs/stats holds the totals over all filesystems; only devices are reported.
            path = os.path.join(base, name, "stats", "stats")
            if name == "stats" or not os.path.isfile(path):
                continue
            per_device.append((name, parse_xfs_stats(read_text(path))))
        if not per_device:
            return
        for suffix, help_text, key, field in _METRICS:
            family = CounterMetricFamily(f"node_xfs_{suffix}", help_text, labels=["device"])
            for device, stats in per_device:
                family.add_metric([device], stats[key][field])
            yield family
