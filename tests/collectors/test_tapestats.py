
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import run_collector, sample, samples, write_tree

STATS = ("in_flight", "io_ns", "other_cnt", "read_byte_cnt", "read_cnt", "read_ns", "resid_cnt",
         "write_byte_cnt", "write_cnt", "write_ns")
DEV = "sys/devices/host0/scsi_tape/st0/"
TREE = {DEV + "stats/" + s: f"{i * 1000000000}\n" for i, s in enumerate(STATS)}
# The class entries as flattened symlinks: files holding the relative target.
TREE["sys/class/scsi_tape/st0"] = "../../devices/host0/scsi_tape/st0\n"
TREE["sys/class/scsi_tape/nst0"] = "../../devices/host0/scsi_tape/st0\n"


def test_tapestats(tmp_path: Path) -> None:
    fams = run_collector("tapestats", write_tree(tmp_path, TREE))
    assert sample(fams, "node_tape_io_now", device="st0") == 0
    assert sample(fams, "node_tape_io_time_seconds_total", device="st0") == 1
    assert sample(fams, "node_tape_write_time_seconds_total", device="st0") == 9
    assert {labels for _, labels in samples(fams)} == {frozenset({("device", "st0")})}


def test_tapestats_ignored(tmp_path: Path) -> None:
    assert run_collector("tapestats", write_tree(tmp_path, TREE), {"ignored-devices": "^st0$"}) == []


def test_tapestats_absent(tmp_path: Path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("tapestats", Paths.under(str(tmp_path)))


def test_tapestats_malformed(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        run_collector("tapestats", write_tree(tmp_path, {**TREE, DEV + "stats/io_ns": "x\n"}))


# procfs's parseSCSITapeStatistics: util.ValueParser.PUInt64 on the trimmed attribute,
# strconv.ParseUint(x, 0, 64).
@pytest.mark.parametrize(("text", "value"), [("0x10\n", 16), ("010", 8), ("1_000", 1000), ("\u2003 5 \n", 5)])
def test_tapestats_counters_as_go(tmp_path: Path, text: str, value: int) -> None:
    fams = run_collector("tapestats", write_tree(tmp_path, {**TREE, DEV + "stats/read_cnt": text}))
    assert sample(fams, "node_tape_reads_completed_total", device="st0") == value


@pytest.mark.parametrize("text", ["-1\n", "+1\n", "08\n", "18446744073709551616\n", "١\n", "\x1c1\n"])
def test_tapestats_counters_go_refuses(tmp_path: Path, text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseUint"):
        run_collector("tapestats", write_tree(tmp_path, {**TREE, DEV + "stats/read_cnt": text}))


def test_tapestats_only_ascii_st_numbers(tmp_path: Path) -> None:
    tree = {**TREE, "sys/class/scsi_tape/st١": "../../devices/host0/scsi_tape/st0\n"}
    fams = run_collector("tapestats", write_tree(tmp_path, tree))
    assert {labels for _, labels in samples(fams)} == {frozenset({("device", "st0")})}


def test_tapestats_missing_counter_is_zero(tmp_path: Path) -> None:
    """parseSCSITapeStatistics fills plain uint64 fields from what stats/ lists: a counter
    without its file is 0, still emitted."""
    tree = {k: v for k, v in TREE.items() if not k.endswith("/read_ns")}
    fams = run_collector("tapestats", write_tree(tmp_path, tree))
    assert sample(fams, "node_tape_read_time_seconds_total", device="st0") == 0


def test_tapestats_unreadable_entry_fails(tmp_path: Path) -> None:
    """parseSCSITapeStatistics reads every entry of stats/: one it cannot read (a directory)
    fails the class."""
    with pytest.raises(CollectorError):
        run_collector("tapestats", write_tree(tmp_path, {**TREE, DEV + "stats/sub/x": "1\n"}))


def test_tapestats_without_stats_is_no_data(tmp_path: Path) -> None:
    """Update: os.ErrNotExist from SCSITapeClass (no stats/) is ErrNoData."""
    tree = {k: v for k, v in TREE.items() if "/stats/" not in k}
    tree[DEV + "device/vendor"] = "X\n"
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("tapestats", write_tree(tmp_path, tree))


def test_tapestats_ignored_device_not_read(tmp_path: Path) -> None:
    """--collector.tapestats.ignored-devices: node_exporter parses every tape, then skips the
    ignored ones (so a broken ignored tape fails it); an ignored tape is never read here."""
    tree = {**TREE, "sys/class/scsi_tape/st1": "../../devices/host0/scsi_tape/st1\n",
            "sys/devices/host0/scsi_tape/st1/stats/in_flight": "garbage\n"}
    fams = run_collector("tapestats", write_tree(tmp_path, tree), {"ignored-devices": "^st1$"})
    assert {dict(labels)["device"] for _, labels in samples(fams)} == {"st0"}
