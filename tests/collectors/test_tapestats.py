
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import run_collector, sample, samples, write_tree

STATS = ("in_flight", "io_ns", "other_cnt", "read_byte_cnt", "read_cnt", "read_ns", "resid_cnt",
         "write_byte_cnt", "write_cnt", "write_ns")
DEV = "sys/devices/host0/scsi_tape/st0/"
TREE = {DEV + "stats/" + s: f"{i * 1000000000}\n" for i, s in enumerate(STATS)}
# The class entries as flattened symlinks: files holding the relative target.
TREE["sys/class/scsi_tape/st0"] = "../../devices/host0/scsi_tape/st0\n"
TREE["sys/class/scsi_tape/nst0"] = "../../devices/host0/scsi_tape/st0\n"


def test_tapestats(tmp_path) -> None:
    fams = run_collector("tapestats", write_tree(tmp_path, TREE))
    assert sample(fams, "node_tape_io_now", device="st0") == 0
    assert sample(fams, "node_tape_io_time_seconds_total", device="st0") == 1
    assert sample(fams, "node_tape_write_time_seconds_total", device="st0") == 9
    assert {labels for _, labels in samples(fams)} == {frozenset({("device", "st0")})}


def test_tapestats_ignored(tmp_path) -> None:
    assert run_collector("tapestats", write_tree(tmp_path, TREE), {"ignored-devices": "^st0$"}) == []


def test_tapestats_absent(tmp_path) -> None:
    assert run_collector("tapestats", Paths.under(str(tmp_path))) == []


def test_tapestats_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("tapestats", write_tree(tmp_path, {**TREE, DEV + "stats/io_ns": "x\n"}))


# procfs's parseSCSITapeStatistics: util.ValueParser.PUInt64 on the trimmed attribute,
# strconv.ParseUint(x, 0, 64).
@pytest.mark.parametrize(("text", "value"), [("0x10\n", 16), ("010", 8), ("1_000", 1000), ("\u2003 5 \n", 5)])
def test_tapestats_counters_as_go(tmp_path, text: str, value: int) -> None:
    fams = run_collector("tapestats", write_tree(tmp_path, {**TREE, DEV + "stats/read_cnt": text}))
    assert sample(fams, "node_tape_reads_completed_total", device="st0") == value


@pytest.mark.parametrize("text", ["-1\n", "+1\n", "08\n", "18446744073709551616\n", "١\n", "\x1c1\n"])
def test_tapestats_counters_go_refuses(tmp_path, text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseUint"):
        run_collector("tapestats", write_tree(tmp_path, {**TREE, DEV + "stats/read_cnt": text}))


def test_tapestats_only_ascii_st_numbers(tmp_path) -> None:
    tree = {**TREE, "sys/class/scsi_tape/st١": "../../devices/host0/scsi_tape/st0\n"}
    fams = run_collector("tapestats", write_tree(tmp_path, tree))
    assert {labels for _, labels in samples(fams)} == {frozenset({("device", "st0")})}
