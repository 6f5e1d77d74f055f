import pytest

from pyexporter.collectors.netstat import parse_netstat, parse_snmp6
from pyexporter.toolkit.collector import CollectorError


def test_parse_netstat_pairs() -> None:
    text = "Tcp: ActiveOpens InErrs\nTcp: 3 4\nUdp: NoPorts\nUdp: 9\n"
    assert parse_netstat(text) == {"Tcp": (("ActiveOpens", "InErrs"), ["3", "4"]), "Udp": (("NoPorts",), ["9"])}
    assert parse_netstat("") == {}


@pytest.mark.parametrize(
    "text",
    [
        "Tcp: A B\n", "Tcp: A B\nTcp: 1\n", "Tcp: A\nUdp: 1\n",
        "Tcp: A\nTcp: 1\n\n",  # a trailing blank line: a names line without values
        "Tcp: A\n\nTcp: 1\n",  # a blank line between: the first fields differ
        "Tcp:\tA\tB\nTcp:\t1\t2\n",  # split at single blanks, tabs keep the line whole
        "Tcp: A  B\nTcp: 1 2\n",  # two blanks: an empty name more
        "\n\n",
    ],
)
def test_parse_netstat_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_netstat(text)


def test_parse_netstat_as_node_exporter_splits() -> None:
    """The protocol is the first field less its last character, whatever that is; CRLF lines
    lose their CR, as bufio.Scanner's lines do."""
    assert parse_netstat("garbage\ngarbage\n") == {"garbag": ((), [])}
    assert parse_netstat("Tcp: A B\r\nTcp: 1 2\r\n") == {"Tcp": (("A", "B"), ["1", "2"])}


def test_parse_snmp6() -> None:
    text = "Ip6InReceives \t7\nUdpLite6InErrors 0\nnosix 1\nshort\n\n"
    assert parse_snmp6(text) == {"Ip6": (("InReceives",), ["7"]), "UdpLite6": (("InErrors",), ["0"])}
    assert parse_snmp6("") == {}


def test_parse_snmp6_groups_a_protocol_s_lines_wherever_they_are() -> None:
    text = "Ip6InReceives 7\nUdp6InErrors 1 extra\nIp6OutRequests 8\nIp6InReceives 9\n"
    assert parse_snmp6(text) == {
        "Ip6": (("InReceives", "OutRequests", "InReceives"), ["7", "8", "9"]), "Udp6": (("InErrors",), ["1"])}
