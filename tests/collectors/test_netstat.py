import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, samples


def test_netstat_default_fields() -> None:
    families = run_collector("netstat", fixture_paths("netstat"))
    assert samples(families) == {
        ("node_netstat_TcpExt_SyncookiesSent", frozenset()): 1,
        ("node_netstat_TcpExt_SyncookiesRecv", frozenset()): 2,
        ("node_netstat_TcpExt_ListenOverflows", frozenset()): 3,
        ("node_netstat_TcpExt_TCPTimeouts", frozenset()): 4,
        ("node_netstat_IpExt_InOctets", frozenset()): 6286396970,
        ("node_netstat_IpExt_OutOctets", frozenset()): 2786264347,
        ("node_netstat_Ip_Forwarding", frozenset()): 1,
        ("node_netstat_Tcp_ActiveOpens", frozenset()): 3556,
        ("node_netstat_Tcp_InErrs", frozenset()): 5,
        ("node_netstat_Tcp_CurrEstab", frozenset()): 2,
        ("node_netstat_Udp_InDatagrams", frozenset()): 88542,
        ("node_netstat_Udp_NoPorts", frozenset()): 120,
        ("node_netstat_Udp_InErrors", frozenset()): 0,
        ("node_netstat_Udp_OutDatagrams", frozenset()): 53028,
        ("node_netstat_Ip6_InOctets", frozenset()): 460,
        ("node_netstat_Icmp6_InMsgs", frozenset()): 3,
        ("node_netstat_Udp6_InErrors", frozenset()): 0,
        ("node_netstat_UdpLite6_InErrors", frozenset()): 0,
    }
    fam = by_name(families)["node_netstat_Tcp_ActiveOpens"]
    assert fam.type == "unknown" and fam.documentation == "Statistic TcpActiveOpens."


def test_netstat_fields_flag() -> None:
    families = run_collector("netstat", fixture_paths("netstat"), {"fields": "^Tcp_"})
    assert {f.name for f in families} == {
        "node_netstat_Tcp_RtoAlgorithm", "node_netstat_Tcp_ActiveOpens", "node_netstat_Tcp_InErrs",
        "node_netstat_Tcp_CurrEstab",
    }


def test_netstat_snmp6_optional(tmp_path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "netstat").write_text("TcpExt: ListenDrops\nTcpExt: 4\n")
    (tmp_path / "net" / "snmp").write_text("Ip: Forwarding\nIp: 2\n")
    families = run_collector("netstat", Paths(procfs=str(tmp_path)))
    assert {f.name for f in families} == {"node_netstat_TcpExt_ListenDrops", "node_netstat_Ip_Forwarding"}


def test_netstat_missing_and_malformed(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("netstat", Paths(procfs=str(tmp_path)))
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "netstat").write_text("TcpExt: A B\nTcpExt: 1\n")
    (tmp_path / "net" / "snmp").write_text("")
    with pytest.raises(CollectorError):
        run_collector("netstat", Paths(procfs=str(tmp_path)))


def _netstat_tree(tmp_path, value: str) -> Paths:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "netstat").write_text(f"TcpExt: ListenDrops Filtered\nTcpExt: {value} {value}\n")
    (tmp_path / "net" / "snmp").write_text("")
    return Paths(procfs=str(tmp_path))


@pytest.mark.parametrize(("text", "value"), [("0x1p4", 16.0), ("1_0", 10.0), ("-1", -1.0)])
def test_values_as_go_parse_float_reads_them(tmp_path, text: str, value: float) -> None:
    families = run_collector("netstat", _netstat_tree(tmp_path, text), {"fields": "ListenDrops"})
    assert samples(families) == {("node_netstat_TcpExt_ListenDrops", frozenset()): value}


@pytest.mark.parametrize("text", ["\u0661", "+nan", "1e400", "0x10"])
def test_values_go_refuses_fail_even_filtered_out(tmp_path, text: str) -> None:
    # node_exporter parses every value before the fields filter picks.
    with pytest.raises(CollectorError):
        run_collector("netstat", _netstat_tree(tmp_path, text), {"fields": "^$"})


def test_a_recurring_name_reports_its_last_value_and_a_later_protocol_replaces(tmp_path) -> None:
    # node_exporter reads each file into a map of maps: a name's last value wins, and a protocol
    # of a later file (or line pair) replaces the earlier one whole.
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "netstat").write_text(
        "TcpExt: ListenDrops ListenOverflows ListenDrops\nTcpExt: 1 2 3\nIp6: InOctets\nIp6: 5\n")
    (tmp_path / "net" / "snmp").write_text("Tcp: InErrs\nTcp: x\nTcp: InErrs\nTcp: 4\n")
    (tmp_path / "net" / "snmp6").write_text("Ip6OutOctets 6\nIcmp6InMsgs 7\nIp6OutOctets 8\n")
    assert samples(run_collector("netstat", Paths(procfs=str(tmp_path)))) == {
        ("node_netstat_TcpExt_ListenDrops", frozenset()): 3,
        ("node_netstat_TcpExt_ListenOverflows", frozenset()): 2,
        ("node_netstat_Tcp_InErrs", frozenset()): 4,
        ("node_netstat_Ip6_OutOctets", frozenset()): 8,
        ("node_netstat_Icmp6_InMsgs", frozenset()): 7,
    }


def test_only_the_value_a_recurring_name_keeps_is_parsed(tmp_path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "netstat").write_text("TcpExt: ListenDrops ListenDrops\nTcpExt: x 3\n")
    (tmp_path / "net" / "snmp").write_text("")
    assert samples(run_collector("netstat", Paths(procfs=str(tmp_path)))) == {
        ("node_netstat_TcpExt_ListenDrops", frozenset()): 3}
