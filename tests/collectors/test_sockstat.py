import pytest

from pyexporter.collectors.sockstat import PAGE_SIZE
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, samples


def test_sockstat_from_fixture() -> None:
    families = run_collector("sockstat", fixture_paths("sockstat"))
    assert samples(families) == {
        ("node_sockstat_sockets_used", frozenset()): 229,
        ("node_sockstat_TCP_inuse", frozenset()): 4,
        ("node_sockstat_TCP_orphan", frozenset()): 0,
        ("node_sockstat_TCP_tw", frozenset()): 4,
        ("node_sockstat_TCP_alloc", frozenset()): 17,
        ("node_sockstat_TCP_mem", frozenset()): 3,
        ("node_sockstat_TCP_mem_bytes", frozenset()): 3 * PAGE_SIZE,
        ("node_sockstat_UDP_inuse", frozenset()): 1,
        ("node_sockstat_UDP_mem", frozenset()): 2,
        ("node_sockstat_UDP_mem_bytes", frozenset()): 2 * PAGE_SIZE,
        ("node_sockstat_FRAG_inuse", frozenset()): 0,
        ("node_sockstat_FRAG_memory", frozenset()): 0,
        ("node_sockstat_TCP6_inuse", frozenset()): 17,
        ("node_sockstat_UDP6_inuse", frozenset()): 9,
    }
    fam = by_name(families)["node_sockstat_TCP_tw"]
    assert fam.type == "gauge" and fam.documentation == "Number of TCP sockets in state tw."


def test_sockstat_absent_is_empty(tmp_path) -> None:
    assert run_collector("sockstat", Paths(procfs=str(tmp_path))) == []


def test_sockstat_malformed_fails(tmp_path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "sockstat").write_text("TCP: inuse four\n")
    with pytest.raises(CollectorError):
        run_collector("sockstat", Paths(procfs=str(tmp_path)))


def test_sockstat_either_file_alone(tmp_path) -> None:
    """sockStatCollector.Update: a missing sockstat or sockstat6 (IPv4 or IPv6 disabled) is
    skipped and the other one is still reported; sockets_used only comes from IPv4's file."""
    net = tmp_path / "net"
    net.mkdir()
    (net / "sockstat6").write_text(
        "TCP6: inuse 3\nUDP6: inuse 1\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n"
    )
    got = samples(run_collector("sockstat", Paths(procfs=str(tmp_path))))
    assert got[("node_sockstat_TCP6_inuse", frozenset())] == 3
    assert got[("node_sockstat_FRAG6_memory", frozenset())] == 0
    assert ("node_sockstat_sockets_used", frozenset()) not in got
    (net / "sockstat6").unlink()
    (net / "sockstat").write_text("sockets: used 7\nTCP: inuse 1 orphan 0 tw 0 alloc 2 mem 0\n")
    got = samples(run_collector("sockstat", Paths(procfs=str(tmp_path))))
    assert got[("node_sockstat_sockets_used", frozenset())] == 7
    assert got[("node_sockstat_TCP_mem_bytes", frozenset())] == 0


def test_sockstat6_malformed_fails_all(tmp_path) -> None:
    """sockStatCollector.Update: an unparsable sockstat6 fails the collector, IPv4 included."""
    net = tmp_path / "net"
    net.mkdir()
    (net / "sockstat").write_text("sockets: used 7\n")
    (net / "sockstat6").write_text("TCP6: inuse\n")
    with pytest.raises(CollectorError):
        run_collector("sockstat", Paths(procfs=str(tmp_path)))


def test_parse_sockstat_values_as_procfs_reads_them() -> None:
    """The values of all lines, parsed as one batch, are strconv.ParseInt(value, 0, 64)'s: base
    prefixes and leading-zero octal included; a repeated key keeps its last value."""
    from pyexporter.collectors.sockstat import SockstatProtocol, parse_sockstat

    got = parse_sockstat("sockets: used 010\nTCP: inuse 0x1f orphan 0 tw 3 tw 4 mem 5\nFRAG: memory 7\n")
    assert got.used == 8
    assert got.protocols == [SockstatProtocol("TCP", {"inuse": 31, "orphan": 0, "tw": 4, "mem": 5}),
                             SockstatProtocol("FRAG", {"inuse": 0, "memory": 7})]


@pytest.mark.parametrize(("text", "message"), [
    ("TCP: inuse x\nUDP: inuse\n", "invalid value in sockstat line: 'TCP: inuse x'"),
    ("TCP: inuse\nUDP: inuse x\n", "malformed sockstat line: 'TCP: inuse'"),
    ("TCP: inuse 1\nUDP: inuse 99999999999999999999\n", "invalid value in sockstat line: 'UDP: inuse 9"),
])
def test_parse_sockstat_names_the_first_bad_line(text: str, message: str) -> None:
    """procfs parses line by line: the first line at fault is the one its error names."""
    from pyexporter.collectors.sockstat import parse_sockstat

    with pytest.raises(CollectorError) as caught:
        parse_sockstat(text)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("name", ["sockstat", "sockstat6"])
def test_trailing_blank_line_fails_as_procfs(tmp_path, name: str) -> None:
    """parseSockstat refuses the empty line (one field); Update fails on either file."""
    net = tmp_path / "net"
    net.mkdir()
    (net / "sockstat").write_text("sockets: used 7\nTCP: inuse 1 orphan 0 tw 0 alloc 2 mem 0\n")
    (net / "sockstat6").write_text("TCP6: inuse 3\n")
    with (net / name).open("a") as file:
        file.write("\n")
    with pytest.raises(CollectorError, match="malformed sockstat line: ''"):
        run_collector("sockstat", Paths(procfs=str(tmp_path)))
