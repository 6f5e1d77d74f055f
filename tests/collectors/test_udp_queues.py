import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples


def test_udp_queues_from_fixture() -> None:
    families = run_collector("udp_queues", fixture_paths("udp_queues"))
    assert samples(families) == {
        ("node_udp_queues", frozenset({("ip", "v4"), ("queue", "tx")})): 0x16,
        ("node_udp_queues", frozenset({("ip", "v4"), ("queue", "rx")})): 0x100,
        ("node_udp_queues", frozenset({("ip", "v6"), ("queue", "tx")})): 0,
        ("node_udp_queues", frozenset({("ip", "v6"), ("queue", "rx")})): 0x40,
    }
    assert families[0].type == "gauge"


def test_udp_queues_absent_is_empty(tmp_path) -> None:
    assert run_collector("udp_queues", Paths(procfs=str(tmp_path))) == []


def test_udp_queues_malformed_fails(tmp_path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "udp").write_text("header\n 0: garbage\n")
    with pytest.raises(CollectorError):
        run_collector("udp_queues", Paths(procfs=str(tmp_path)))
