import shutil

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, collect_as_scrape, fixture_paths, run_collector, samples


def test_conntrack_from_fixture() -> None:
    families = run_collector("conntrack", fixture_paths("conntrack"))
    assert samples(families) == {
        ("node_nf_conntrack_entries", frozenset()): 123,
        ("node_nf_conntrack_entries_limit", frozenset()): 65536,
        ("node_nf_conntrack_stat_found", frozenset()): 17,
        ("node_nf_conntrack_stat_invalid", frozenset()): 5,
        ("node_nf_conntrack_stat_ignore", frozenset()): 0x588A + 0x56A4,
        ("node_nf_conntrack_stat_insert", frozenset()): 5,
        ("node_nf_conntrack_stat_insert_failed", frozenset()): 1,
        ("node_nf_conntrack_stat_drop", frozenset()): 4,
        ("node_nf_conntrack_stat_early_drop", frozenset()): 6,
        ("node_nf_conntrack_stat_search_restart", frozenset()): 2,
    }
    assert {f.type for f in families} == {"gauge"}
    assert by_name(families)["node_nf_conntrack_entries_limit"].documentation == (
        "Maximum size of connection tracking table."
    )


def test_conntrack_absent_is_no_data(tmp_path) -> None:
    """conntrackCollector.handleErr: os.ErrNotExist is ErrNoData ("conntrack probably not loaded")."""
    families, failure = collect_as_scrape("conntrack", Paths(procfs=str(tmp_path)))
    assert families == [] and isinstance(failure, NoDataError)


def test_conntrack_malformed_fails(tmp_path) -> None:
    netfilter = tmp_path / "sys" / "net" / "netfilter"
    netfilter.mkdir(parents=True)
    (netfilter / "nf_conntrack_count").write_text("lots\n")
    (netfilter / "nf_conntrack_max").write_text("10\n")
    with pytest.raises(CollectorError):
        run_collector("conntrack", Paths(procfs=str(tmp_path)))


def test_conntrack_reports_what_it_read_before_a_missing_file(tmp_path) -> None:
    """conntrackCollector.Update sends entries, then the limit, then the statistics: a kernel
    without /proc/net/stat/nf_conntrack (CONFIG_NF_CONNTRACK_PROCFS off) still gets the table
    sizes, and a missing nf_conntrack_max leaves the count; either way the collector then
    reports ErrNoData (handleErr), as node_exporter does."""
    netfilter = tmp_path / "sys" / "net" / "netfilter"
    netfilter.mkdir(parents=True)
    (netfilter / "nf_conntrack_count").write_text("7\n")
    families, failure = collect_as_scrape("conntrack", Paths(procfs=str(tmp_path)))
    assert samples(families) == {("node_nf_conntrack_entries", frozenset()): 7}
    assert isinstance(failure, NoDataError)
    (netfilter / "nf_conntrack_max").write_text("10\n")
    families, failure = collect_as_scrape("conntrack", Paths(procfs=str(tmp_path)))
    assert samples(families) == {
        ("node_nf_conntrack_entries", frozenset()): 7,
        ("node_nf_conntrack_entries_limit", frozenset()): 10,
    }
    assert isinstance(failure, NoDataError)


def test_conntrack_malformed_stat_fails(tmp_path) -> None:
    """procfs parseConntrackStatEntry: a row of 15 columns is refused."""
    netfilter = tmp_path / "sys" / "net" / "netfilter"
    netfilter.mkdir(parents=True)
    (netfilter / "nf_conntrack_count").write_text("7\n")
    (netfilter / "nf_conntrack_max").write_text("10\n")
    (tmp_path / "net" / "stat").mkdir(parents=True)
    (tmp_path / "net" / "stat" / "nf_conntrack").write_text("entries\n" + " ".join(["0"] * 15) + "\n")
    with pytest.raises(CollectorError):
        run_collector("conntrack", Paths(procfs=str(tmp_path)))


def test_trailing_blank_stat_line_fails_after_the_table_sizes(tmp_path) -> None:
    """parseConntrackStatEntry refuses a row of no fields; Update has sent the two table sizes
    by then, and they stay."""
    shutil.copytree(fixture_paths("conntrack").proc(), tmp_path / "proc")
    with (tmp_path / "proc" / "net" / "stat" / "nf_conntrack").open("a") as file:
        file.write("\n")
    families, failure = collect_as_scrape("conntrack", Paths.under(str(tmp_path)))
    assert isinstance(failure, CollectorError)
    assert sorted(samples(families)) == [("node_nf_conntrack_entries", frozenset()),
                                         ("node_nf_conntrack_entries_limit", frozenset())]
