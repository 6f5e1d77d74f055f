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
