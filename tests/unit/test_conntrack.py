import pytest

from pyexporter.collectors.conntrack import ConntrackStat, parse_conntrack_stat
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError
from tests.helpers import run_collector

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


@pytest.mark.parametrize("value", ["0x1f", "+1f", "1_f", "٣", "1" * 17, "-1"])
def test_stat_columns_are_go_parse_uint_base_16(value: str) -> None:
    # util.ParseHexUint64s: strconv.ParseUint(x, 16, 64) refuses the prefix, the sign, `_`,
    # non-ASCII digits and what overflows uint64; Python's int(x, 16) takes the first four.
    row = " ".join([value] + ["0"] * 16)
    with pytest.raises(NumberError):
        parse_conntrack_stat(HEADER + row + "\n")


def test_stat_columns_take_both_cases_and_uint64_max() -> None:
    row = " ".join(["0", "0", "aB", "0", "f" * 16] + ["0"] * 12)
    assert parse_conntrack_stat(HEADER + row + "\n") == ConntrackStat(found=0xAB, invalid=2**64 - 1)


@pytest.mark.parametrize("count", ["+5\n", "5 5\n", "5_0\n", "٣\n", "-1\n"])
def test_table_sizes_are_read_uint_from_file(tmp_path, count: str) -> None:
    # node_exporter's readUintFromFile: strconv.ParseUint(TrimSpace(text), 10, 64).
    netfilter = tmp_path / "sys" / "net" / "netfilter"
    netfilter.mkdir(parents=True)
    (netfilter / "nf_conntrack_count").write_text(count)
    (netfilter / "nf_conntrack_max").write_text("10\n")
    with pytest.raises(NumberError):
        run_collector("conntrack", Paths(procfs=str(tmp_path)))


@pytest.mark.parametrize("layout", ["{row}\n\n", "{row}\n\n{row}\n", "{row}\n   \n"])
def test_blank_rows_are_refused_as_procfs(layout: str) -> None:
    # parseConntrackStatEntry of no fields: 0 entries, outside 16..17.
    row = " ".join(["0"] * 17)
    with pytest.raises(CollectorError):
        parse_conntrack_stat(HEADER + layout.format(row=row))


def test_first_line_is_skipped_whatever_it_holds() -> None:
    row = " ".join(["0", "0", "2"] + ["0"] * 14)
    assert parse_conntrack_stat("\n" + row + "\n").found == 2
