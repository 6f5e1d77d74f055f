
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import collect_as_scrape, fixture_paths, run_collector, samples


def test_udp_queues_from_fixture() -> None:
    families = run_collector("udp_queues", fixture_paths("udp_queues"))
    assert samples(families) == {
        ("node_udp_queues", frozenset({("ip", "v4"), ("queue", "tx")})): 0x16,
        ("node_udp_queues", frozenset({("ip", "v4"), ("queue", "rx")})): 0x100,
        ("node_udp_queues", frozenset({("ip", "v6"), ("queue", "tx")})): 0,
        ("node_udp_queues", frozenset({("ip", "v6"), ("queue", "rx")})): 0x40,
    }
    assert families[0].type == "gauge"


def test_udp_queues_absent_is_no_data(tmp_path) -> None:
    """udpQueuesCollector.Update: both files os.ErrNotExist is ErrNoData."""
    families, failure = collect_as_scrape("udp_queues", Paths(procfs=str(tmp_path)))
    assert families == [] and isinstance(failure, NoDataError)


def test_udp_queues_keeps_ipv4_when_udp6_is_broken(tmp_path) -> None:
    """udpQueuesCollector.Update sends IPv4's samples before it reads udp6; an error there fails
    the collector with them kept."""
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    line = "   0: 00000000:0016 00000000:0000 07 00000002:00000003 00:00000000 00000000     0        0 2740 2 0 0\n"
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "udp").write_text(header + line)
    (tmp_path / "net" / "udp6").write_text(header + "   0: garbage\n")
    families, failure = collect_as_scrape("udp_queues", Paths(procfs=str(tmp_path)))
    assert samples(families) == {
        ("node_udp_queues", frozenset({("ip", "v4"), ("queue", "tx")})): 2,
        ("node_udp_queues", frozenset({("ip", "v4"), ("queue", "rx")})): 3,
    }
    assert isinstance(failure, CollectorError)


def test_udp_queues_malformed_fails(tmp_path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "udp").write_text("header\n 0: garbage\n")
    with pytest.raises(CollectorError):
        run_collector("udp_queues", Paths(procfs=str(tmp_path)))
