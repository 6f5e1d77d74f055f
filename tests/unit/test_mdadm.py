import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyexporter.collectors.mdadm import _greedy_between, _last_capital, parse_mdstat, parse_raid_disks
from pyexporter.toolkit.collector import CollectorError

MDSTAT = """Personalities : [raid1]
md3 : active raid6 sda1[8] sdh1[7] sdd1[10](S) sdc1[1](F)
      5853468288 blocks super 1.2 level 6, 64k chunk, algorithm 2 [4/3] [UU_U]
      bitmap: 0/30 pages [0KB], 65536KB chunk
      [=>...................]  check =  5.7% (114176/1993728) finish=0.2min speed=114176K/sec

md9 : active raid1 sdc2[2] sdd2[3]
      523968 blocks super 1.2 [2/2] [UU]
      resync=DELAYED

md120 : active linear sda1[1] sdb1[0]
        2095104 blocks super 1.2 0k rounding

unused devices: <none>
"""


def test_parse_mdstat() -> None:
    md3, md9, md120 = parse_mdstat(MDSTAT)
    assert md3.name == "md3" and md3.state == "checking"
    assert (md3.disks_active, md3.disks_total, md3.disks_failed, md3.disks_spare) == (3, 4, 1, 1)
    assert (md3.blocks_total, md3.blocks_synced) == (5853468288, 114176)
    assert md9.state == "resyncing" and md9.blocks_synced == 0
    assert (md120.disks_active, md120.disks_total, md120.state) == (2, 2, "active")
    assert md120.blocks_synced == 2095104


def test_empty_mdstat_has_no_arrays() -> None:
    assert parse_mdstat("") == []
    assert parse_mdstat("Personalities : \nunused devices: <none>\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "md0 : active\n",  # too few fields
        "md0 : active raid1 sda[0]\n",  # truncated: no status line
        "md0 : active raid1 sda[0]\n      garbage\n\n\n",
        "md0 : active raid1 sda[0]\n      12 blocks [2/2] [UU]\n      recovery = ??\n\n",
    ],
)
def test_malformed_mdstat(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_mdstat(text)


@pytest.mark.parametrize(
    "text",
    [
        # procfs's mdstat.go: strconv.ParseInt(x, 10, 64), and RE2's \d is ASCII only.
        "md0 : active raid1 sda[0]\n      1_2 blocks [2/2] [UU]\n\n\n",
        "md0 : active raid1 sda[0]\n      9223372036854775808 blocks [2/2] [UU]\n\n\n",
        "md0 : active raid1 sda[0]\n      12 blocks [\u0662/2] [UU]\n\n\n",
        "md0 : active raid1 sda[0]\n      12 blocks [2/99999999999999999999] [UU]\n\n\n",
        "md0 : active raid1 sda[0]\n      12 blocks [2/2] [UU]\n      resync = 1% (\u0661/12)\n\n",
    ],
)
def test_numbers_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_mdstat(text)


def test_signed_size_as_go_reads_it() -> None:
    (md0,) = parse_mdstat("md0 : active raid1 sda[0]\n      -12 blocks [2/2] [UU]\n\n\n")
    assert md0.blocks_total == -12
    (md0,) = parse_mdstat("md0 : active raid1 sda[0]\n      +12 blocks [2/2] [UU]\n\n\n")
    assert md0.blocks_total == 12


# One array per variant that procfs's TestFS_MDStat covers (parseMDStat, evalStatusLine,
# evalRecoveryLine), written here for each case.
VARIANTS = {
    # raid0 with one member: no [n/m] summary, members counted by `[`.
    "md00 : active raid0 xvdb[0]\n      4186624 blocks super 1.2 256k chunks\n\n":
        ("active", 1, 1, 0, 0, 4186624, 4186624),
    # inactive with spares only.
    "md219 : inactive sdc[2](S) sdz[1](S) sda[0](S)\n      7932 blocks super external:imsm\n\n":
        ("inactive", 0, 0, 0, 3, 7932, 7932),
    # recovering, a failed and a spare member, a missing one in [U_].
    "md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]\n      195310144 blocks [2/1] [U_]\n"
    "      [=>...................]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec\n\n":
        ("recovering", 1, 2, 1, 1, 195310144, 16775552),
    # resync after a bitmap line.
    "md8 : active raid1 sdb1[1] sda1[0]\n      195310144 blocks [2/2] [UU]\n"
    "      bitmap: 2/8 pages [8KB], 65536KB chunk\n"
    "      [=>...................]  resync =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec\n\n":
        ("resyncing", 2, 2, 0, 0, 195310144, 16775552),
    # resync=PENDING and resync=DELAYED: nothing synced yet.
    "md9 : active raid1 sdc2[2] sdd2[3]\n      523968 blocks super 1.2 [2/2] [UU]\n      resync=PENDING\n\n":
        ("resyncing", 2, 2, 0, 0, 523968, 0),
    "md11 : active (auto-read-only) raid1 sdb2[0] sdc2[1]\n      4190208 blocks super 1.2 [2/2] [UU]\n"
    "        resync=DELAYED\n\n":
        ("resyncing", 2, 2, 0, 0, 4190208, 0),
    # check.
    "md201 : active raid1 sda3[0] sdb3[1]\n      1993728 blocks super 1.2 [2/2] [UU]\n"
    "      [=>...................]  check =  5.7% (114176/1993728) finish=0.2min speed=114176K/sec\n\n":
        ("checking", 2, 2, 0, 0, 1993728, 114176),
    # reshape (procfs #679): its own state, which no node_md_state label has.
    "md42 : active raid5 sda1[0] sdd1[3](S) sde1[1]\n"
    "      1953381440 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/2] [UU_]\n"
    "      [=========>...........]  reshape = 56.1% (1096879076/1953381440) finish=1868.1min speed=7640K/sec\n\n":
        ("reshaping", 2, 3, 0, 1, 1953381440, 1096879076),
    # linear.
    "md120 : active linear sda1[1] sdb1[0]\n      2095104 blocks super 1.2 0k rounding\n\n":
        ("active", 2, 2, 0, 0, 2095104, 2095104),
}


@pytest.mark.parametrize("text", list(VARIANTS))
def test_mdstat_variants(text: str) -> None:
    """procfs parseMDStat: TestFS_MDStat's cases, one array each."""
    (md,) = parse_mdstat(text + "\n")
    got = (md.state, md.disks_active, md.disks_total, md.disks_failed, md.disks_spare,
           md.blocks_total, md.blocks_synced)
    assert got == VARIANTS[text]


@pytest.mark.parametrize("text", [
    # procfs TestInvalidMdstat: an unknown state and a blank status line.
    "Personalities : [invalid]\nmd3 : invalid\n      314159265 blocks 64k chunks\n\nunused devices: <none>\n",
    "\nmd12 : active raid0 sdc2[0] sdd2[1]\n\n      3886394368 blocks super 1.2 512k chunks\n",
    # evalRecoveryLine: the percentage, finish and speed must be there and be numbers.
    "md1 : active raid1 a[0]\n      12 blocks [2/2] [UU]\n      resync = 1.0% (1/12) speed=5K/sec\n\n",
    "md1 : active raid1 a[0]\n      12 blocks [2/2] [UU]\n      resync = x% (1/12) finish=1min speed=5K/sec\n\n",
    "md1 : active raid1 a[0]\n      12 blocks [2/2] [UU]\n      resync = 1% (1/12) finish=1min speed=fastK/sec\n\n",
    "md1 : active raid1 a[0]\n      12 blocks [2/2] [UU]\n      resync (1/12) finish=1min speed=5K/sec\n\n",
])
def test_invalid_mdstat_of_procfs(text: str) -> None:
    """procfs TestInvalidMdstat and evalRecoveryLine's errors."""
    with pytest.raises(CollectorError):
        parse_mdstat(text)


@pytest.mark.parametrize(("text", "want"), [("4\n", 4), (" 4 \n", 4), ("11 (10)\n", 11), ("3 (4)\n", 3)])
def test_parse_raid_disks(text: str, want: int) -> None:
    """sysfs Mdraids' raid_disks: a count, or `new (old)` during a reshape."""
    assert parse_raid_disks(text) == want


@given(st.text(alphabet="=%min fishpedAZ.0123 ", max_size=40))
def test_recovery_fields_found_as_re2_finds_them(line: str) -> None:
    """_greedy_between gives what RE2's leftmost-then-greedy search of the three patterns gives
    (Python's re finds the same on lines short enough for its backtracking)."""
    for pattern, start, end_at in (
        (r"= (.+)%", "= ", line.rfind("%")),
        (r"finish=(.+)min", "finish=", line.rfind("min")),
        (r"speed=(.+)[A-Z]", "speed=", _last_capital(line)),
    ):
        found = re.search(pattern, line)
        assert _greedy_between(line, start, end_at) == (found.group(1) if found else None), pattern


def test_long_hostile_lines_cost_linear_time() -> None:
    """A line of 100 000 characters that the regexes would have backtracked over, quadratically."""
    lines = "md0 : active raid1 sdb1[1] sda1[0]\n      " + "1" * 100_000 + "\n" + "= " * 50_000 + "\n"
    with pytest.raises(CollectorError):
        parse_mdstat(lines)
