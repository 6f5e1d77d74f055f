import pytest

from pyexporter.collectors.arp import parse_arp
from pyexporter.toolkit.collector import CollectorError

HEADER = "IP address       HW type     Flags       HW address            Mask     Device\n"


def test_parse_arp_counts_per_device() -> None:
    text = HEADER + (
        "192.168.1.1 0x1 0x2 cc:aa:dd:ee:aa:bb * eth0\n"
        "192.168.1.2 0x1 0x2 bb:cc:dd:ee:ff:aa * eth0\n"
        "10.0.0.1 0x1 0x2 de:ad:be:ef:00:00 * wg0\n\n"
    )
    assert parse_arp(text) == {"eth0": 2, "wg0": 1}
    assert parse_arp("") == {}
    assert parse_arp(HEADER) == {}


@pytest.mark.parametrize("line", ["192.168.1.1 0x1 0x2 cc:aa\n", "garbage\n"])
def test_parse_arp_malformed(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_arp(HEADER + line)


@pytest.mark.parametrize(
    "mac",
    ["cc:aa:dd:ee:aa:bb", "CC-AA-DD-EE-AA-BB", "ccaa.ddee.aabb", "00:00:00:00:00:00",
     "02:00:5e:10:00:00:00:01",
     "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:01:23:45"],  # IPoIB, 20 octets
)
def test_hardware_addresses_go_accepts(mac: str) -> None:
    """procfs parseARPEntry reads the HW address with net.ParseMAC: 6, 8 or 20 octets."""
    assert parse_arp(HEADER + f"10.0.0.1 0x1 0x2 {mac} * ib0\n") == {"ib0": 1}


@pytest.mark.parametrize(
    "mac", ["00:00:00:00", "cc:aa:dd:ee:aa:bg", "cc:aa-dd:ee:aa:bb", "ccaaddeeaabb", "c:aa:dd:ee:aa:bbb"]
)
def test_hardware_addresses_go_refuses(mac: str) -> None:
    """net.ParseMAC refuses these, and parseARPEntries fails the whole file."""
    with pytest.raises(CollectorError):
        parse_arp(HEADER + f"10.0.0.1 0x1 0x2 {mac} * gre0\n")


def test_flags_and_header_as_procfs() -> None:
    """parseARPEntry: flags are strconv.ParseUint(x, 0, 8); parseARPEntries skips any 9-column
    line (the header) and refuses other widths."""
    assert parse_arp("a b c d e f g h i\n10.0.0.1 0x1 2 cc:aa:dd:ee:aa:bb * eth0\n") == {"eth0": 1}
    for flags in ("0x100", "zz", "-1"):
        with pytest.raises(CollectorError):
            parse_arp(HEADER + f"10.0.0.1 0x1 {flags} cc:aa:dd:ee:aa:bb * eth0\n")
    with pytest.raises(CollectorError):
        parse_arp(HEADER + "10.0.0.1 0x1 0x2 cc:aa:dd:ee:aa:bb * eth0 extra\n")


def test_blank_and_blank_looking_lines_are_skipped_as_procfs() -> None:
    """parseARPEntries skips a line of no fields wherever it is, header width aside."""
    line = "10.0.0.9 0x1 0x2 cc:aa:dd:ee:aa:bb * eth3\n"
    assert parse_arp("\n" + HEADER + " \t\n" + line + "\n\n") == {"eth3": 1}
