import pytest

from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, write_tree


def test_xfrm_from_fixture() -> None:
    families = run_collector("xfrm", fixture_paths("xfrm"))
    assert len(families) == 28
    assert {f.type for f in families} == {"counter"}
    assert sample(families, "node_xfrm_in_error_packets_total") == 1
    assert sample(families, "node_xfrm_out_pol_dead_packets_total") == 24
    assert sample(families, "node_xfrm_acquire_error_packets_total") == 28
    assert by_name(families)["node_xfrm_acquire_error_packets_total"].documentation == (
        "State hasn\u2019t been fully acquired before use"
    )


def test_xfrm_missing_counters_read_zero(tmp_path) -> None:
    families = run_collector("xfrm", write_tree(tmp_path, {"proc/net/xfrm_stat": "XfrmInError 5\n"}))
    assert sample(families, "node_xfrm_in_error_packets_total") == 5
    assert sample(families, "node_xfrm_out_error_packets_total") == 0


def test_xfrm_absent_fails(tmp_path) -> None:
    """xfrmCollector.Update returns NewXfrmStat's error: a missing xfrm_stat fails the collector."""
    with pytest.raises(FileNotFoundError):
        run_collector("xfrm", write_tree(tmp_path, {"proc/stat": ""}))


def test_xfrm_empty_file_reads_zero(tmp_path) -> None:
    """procfs NewXfrmStat: no lines leave its zero-valued struct, and Update sends every counter."""
    families = run_collector("xfrm", write_tree(tmp_path, {"proc/net/xfrm_stat": ""}))
    assert len(families) == 28
    assert sample(families, "node_xfrm_acquire_error_packets_total") == 0


@pytest.mark.parametrize("text", ["XfrmInError one\n", "XfrmInError 1 2\n"])
def test_xfrm_malformed(tmp_path, text: str) -> None:
    with pytest.raises(CollectorError):
        run_collector("xfrm", write_tree(tmp_path, {"proc/net/xfrm_stat": text}))
