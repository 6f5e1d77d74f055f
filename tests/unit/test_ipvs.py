import pytest

from pyexporter.collectors.ipvs import parse_backend_labels, parse_ip_vs, parse_ipvs_stats
from pyexporter.flags import FlagValueError
from pyexporter.toolkit.collector import CollectorError

IP_VS = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  C0A80016:0CEA wlc
  -> C0A85216:0CEA      Tunnel  100    248        2
UDP  [2620:0000:0000:0000:0000:0000:0000:0001]:0035 rr
  -> [2620:0000:0000:0000:0000:0000:0000:0002]:0035 Masq 1 2 3
FWM  10001000 wlc
  -> C0A8321A:0CEA      Tunnel  20     64         1
"""


def test_parse_ip_vs() -> None:
    tcp, udp, fwm = parse_ip_vs(IP_VS)
    assert (tcp.local_address, tcp.local_port, tcp.remote_address, tcp.weight) == (
        "192.168.0.22", 3306, "192.168.82.22", 100)
    assert (udp.local_address, udp.remote_address, udp.inact_conn) == ("2620::1", "2620::2", 3)
    assert (fwm.proto, fwm.local_mark, fwm.local_address, fwm.local_port) == ("FWM", "10001000", "", 0)


def test_parse_ip_vs_garbage() -> None:
    with pytest.raises(CollectorError):
        parse_ip_vs("TCP  nonsense wlc\n")
    assert parse_ip_vs("") == []


def test_parse_stats() -> None:
    text = "h\nh\n 16AA370 E33656E5 0 51D8C8883AB3 0\n"
    assert parse_ipvs_stats(text).connections == 0x16AA370
    for bad in ("", "a\nb\n1 2\n", "a\nb\nx y z w v\n"):
        with pytest.raises(CollectorError):
            parse_ipvs_stats(bad)


def test_backend_labels() -> None:
    assert parse_backend_labels("proto,local_address") == ["local_address", "proto"]
    with pytest.raises(FlagValueError):
        parse_backend_labels("bogus")


@pytest.mark.parametrize("field", [
    # strconv.ParseUint(x, 16, 64) refuses what Python's int(x, 16) takes.
    "0x16AA370", "+16AA370", "16_AA370", "\uff11", "1" + "0" * 16,
])
def test_stats_fields_go_refuses(field: str) -> None:
    with pytest.raises(CollectorError):
        parse_ipvs_stats(f"h\nh\n {field} 0 0 0 0\n")


def test_stats_fields_as_go_reads_them() -> None:
    stats = parse_ipvs_stats("h\nh\n ffffffffffffffff 0a 0B 0 0\n")
    assert (stats.connections, stats.incoming_packets, stats.outgoing_packets) == (2**64 - 1, 10, 11)


@pytest.mark.parametrize("line", [
    # procfs: ParseUint(port, 16, 16), ParseUint(weight/active/inactive, 10, 64).
    "  -> C0A85216:10000 Tunnel 100 248 2",
    "  -> C0A85216:+CEA Tunnel 100 248 2",
    "  -> C0A85216:0CEA Tunnel -1 248 2",
    "  -> C0A85216:0CEA Tunnel +100 248 2",
    "  -> C0A85216:0CEA Tunnel 100 2_48 2",
    "  -> C0A85216:0CEA Tunnel 100 248 18446744073709551616",
])
def test_backend_numbers_go_refuses(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_ip_vs(f"TCP  C0A80016:0CEA wlc\n{line}\n")


def test_backend_numbers_as_go_reads_them() -> None:
    (backend,) = parse_ip_vs("TCP  C0A80016:ffff wlc\n  -> C0A85216:0CEA Tunnel 18446744073709551615 0 1\n")
    assert (backend.local_port, backend.weight) == (65535, 2**64 - 1)


def test_ip_port_as_procfs() -> None:
    """procfs parseIPPort: 13 characters (hex IPv4) or 46 (bracketed IPv6), then a hex port."""
    from pyexporter.collectors.ipvs import parse_ip_port

    assert parse_ip_port("C0A80016:0CEA") == ("192.168.0.22", 3306)
    assert parse_ip_port("[2620:0000:0000:0000:0000:0000:0000:0001]:0050") == ("2620::1", 80)
    assert parse_ip_port("[0000:0000:0000:0000:0000:ffff:c0a8:0016]:0050") == ("192.168.0.22", 80)
    for text in ("C0A816:0CEA", "C0A8001600:0CEA", "C0A8001G:0CEA", "C0A80016:0CEG", "[::1]:0050"):
        with pytest.raises(CollectorError):
            parse_ip_port(text)


@pytest.mark.parametrize("text", ["a\nb\n", "a\nb\n1 2 3 4\nx\n", "a\nb\n1 2 3 4 5 6\nx\n"])
def test_stats_shape_as_procfs(text: str) -> None:
    """procfs parseIPVSStats: at least four lines, exactly five fields on the third."""
    with pytest.raises(CollectorError):
        parse_ipvs_stats(text)
