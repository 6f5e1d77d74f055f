import pytest

from pyexporter.collectors.netstat import parse_netstat, parse_snmp6
from pyexporter.toolkit.collector import CollectorError


def test_parse_netstat_pairs() -> None:
    text = "Tcp: ActiveOpens InErrs\nTcp: 3 4\nUdp: NoPorts\nUdp: 9\n"
    assert parse_netstat(text) == {"Tcp": (("ActiveOpens", "InErrs"), ["3", "4"]), "Udp": (("NoPorts",), ["9"])}
    assert parse_netstat("") == {}


@pytest.mark.parametrize(
    "text",
    ["Tcp: A B\n", "Tcp: A B\nTcp: 1\n", "Tcp: A\nUdp: 1\n", "garbage\ngarbage\n"],
)
def test_parse_netstat_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_netstat(text)


def test_parse_snmp6() -> None:
    text = "Ip6InReceives \t7\nUdpLite6InErrors 0\nnosix 1\nshort\n\n"
    assert parse_snmp6(text) == {"Ip6": (("InReceives",), ["7"]), "UdpLite6": (("InErrors",), ["0"])}
    assert parse_snmp6("") == {}


def test_parse_snmp6_groups_a_protocol_s_lines_wherever_they_are() -> None:
    text = "Ip6InReceives 7\nUdp6InErrors 1 extra\nIp6OutRequests 8\nIp6InReceives 9\n"
    assert parse_snmp6(text) == {
        "Ip6": (("InReceives", "OutRequests", "InReceives"), ["7", "8", "9"]), "Udp6": (("InErrors",), ["1"])}
