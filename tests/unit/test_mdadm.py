import pytest

from pyexporter.collectors.mdadm import parse_mdstat
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
