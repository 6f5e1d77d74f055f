import pytest

from pyexporter.collectors.pcidevice import (
    PciLocation,
    parse_id,
    parse_link_speed,
    parse_link_width,
    parse_location,
    parse_pci_ids,
    resolve_names,
)
from pyexporter.toolkit.collector import CollectorError


def test_parse_location() -> None:
    assert parse_location("0000:3b:00.1") == PciLocation(0, 0x3B, 0, 1)
    assert parse_location("0001:00:1f.7").labels() == ["0001", "00", "1f", "7"]


@pytest.mark.parametrize("text", ["", "0000:00", "0000:00:02", "0000:00:02.1.2", "zzzz:00:02.1", "a:b:c:d.e"])
def test_bad_location(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_location(text)


def test_parse_id() -> None:
    assert parse_id("0x8086\n") == 0x8086
    assert parse_id("-1\n") == -1
    for bad in ("", "garbage", "0x1ffffffff"):
        with pytest.raises(CollectorError):
            parse_id(bad)


def test_link_speed_and_width() -> None:
    assert parse_link_speed("8.0 GT/s PCIe\n") == 8.0
    assert parse_link_speed("Unknown") is None
    assert parse_link_speed("") is None
    assert parse_link_width("16\n") == 16.0
    assert parse_link_width("Unknown") is None
    for bad in ("8.0 GB/s", "8.0", "x GT/s PCIe"):
        with pytest.raises(CollectorError):
            parse_link_speed(bad)
    with pytest.raises(CollectorError):
        parse_link_width("x4")


PCI_IDS = """# comment
8086  Intel Corporation
\t1521  I350 Gigabit Network Connection
\t\t8086 00a3  Ethernet Server Adapter I350-T4
c0a9  Micron/Crucial Technology

C 01  Mass storage controller
\t08  Non-Volatile memory controller
\t\t02  NVM Express
C 02  Network controller
\t00  Ethernet controller
"""


def test_pci_ids_and_names() -> None:
    ids = parse_pci_ids(PCI_IDS.splitlines())
    assert resolve_names(ids, "0x8086", "0x1521", "0x8086", "0x00a3", "0x020000") == [
        "Intel Corporation", "I350 Gigabit Network Connection", "Intel Corporation",
        "Ethernet Server Adapter I350-T4", "Ethernet controller",
    ]
    assert resolve_names(ids, "0xc0a9", "0x540a", "0x1234", "0x5021", "0x010802") == [
        "Micron/Crucial Technology", "540a", "1234", "5021", "NVM Express",
    ]
    assert resolve_names(ids, "0x1", "0x2", "0x3", "0x4", "0x0c0330")[4] == "Unknown class (0c0330)"
    assert resolve_names(ids, "0x1", "0x2", "0x3", "0x4", "0x010000")[4] == "Mass storage controller"


def test_pci_ids_empty_and_garbage() -> None:
    ids = parse_pci_ids(["", "garbage", "\tno-name", "C"])
    assert ids.vendors == {} and ids.classes == {}
