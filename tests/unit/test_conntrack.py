import pytest

from pyexporter.collectors.conntrack import ConntrackStat, parse_conntrack_stat
from pyexporter.toolkit.collector import CollectorError

HEADER = "entries searched found new invalid ignore delete delete_list insert insert_failed drop early_drop ...\n"


def test_parse_conntrack_stat_sums_cpus() -> None:
    row17 = " ".join(f"{i:08x}" for i in range(17))
    row16 = " ".join(f"{i:08x}" for i in range(16))
    assert parse_conntrack_stat(HEADER + row17 + "\n" + row16 + "\n") == ConntrackStat(
        found=4, invalid=8, ignore=10, insert=16, insert_failed=18, drop=20, early_drop=22, search_restart=16
    )
    assert parse_conntrack_stat("") == ConntrackStat()


@pytest.mark.parametrize("row", ["0 1 2", " ".join(["0"] * 18), " ".join(["zz"] * 17)])
def test_parse_conntrack_stat_malformed(row: str) -> None:
    with pytest.raises(CollectorError):
        parse_conntrack_stat(HEADER + row + "\n")
