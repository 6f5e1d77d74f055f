import pytest

from pyexporter.collectors.pcidevice import (
    PciLocation,
    parse_id,
    parse_link_speed,
    parse_link_width,
    parse_location,
    parse_optional_int,
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


# sysfs's pci_device.go: location parts strconv.ParseInt(x, 16, 32); the required ids
# ParseInt(x, 0, 32); link speed ParseFloat; link width ParseInt(x, 10, 64); SR-IOV counts
# ParseUint(x, 10, 32), autoprobe and d3cold_allowed ParseInt(x, 10, 32), vf_total_msix ParseInt(x, 10, 64).
def test_location_parts_as_parse_int_base16() -> None:
    assert parse_location("+000:-1:1F.a") == PciLocation(0, -1, 0x1F, 10)
    assert parse_location("7fffffff:00:00.0").segment == 2**31 - 1


@pytest.mark.parametrize("text", ["0x00:00:00.0", "0_0:00:00.0", "80000000:00:00.0", "٠:00:00.0", " 0:00:00.0"])
def test_location_parts_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
        parse_location(text)


@pytest.mark.parametrize(("text", "value"), [
    ("010", 8), ("0x_80_86", 0x8086), ("0b1", 1), ("2147483647", 2**31 - 1), ("-2147483648", -(2**31)),
    ("\u2003 0x10\n", 16),
])
def test_id_as_parse_int_base0_32(text: str, value: int) -> None:
    assert parse_id(text) == value


@pytest.mark.parametrize("text", ["08", "2147483648", "0xffffffff", "١", "1_"])
def test_id_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
        parse_id(text)


def test_link_numbers_as_go() -> None:
    assert parse_link_speed("0x1p3 GT/s PCIe") == 8.0
    assert parse_link_width("+16") == 16.0
    for bad in ("1e400 GT/s PCIe", "١ GT/s PCIe", "nan\u00a0GT/s PCIe"):
        with pytest.raises(CollectorError):
            parse_link_speed(bad)
    for bad in ("١٦", "0x10", "1_6"):
        with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
            parse_link_width(bad)


@pytest.mark.parametrize(("attr", "text", "value"), [
    ("sriov_numvfs", "4294967295", 2**32 - 1), ("sriov_totalvfs", "007", 7),
    ("sriov_drivers_autoprobe", "-1", -1), ("d3cold_allowed", "+1", 1), ("sriov_vf_total_msix", "-5", -5),
])
def test_optional_ints_as_go(attr: str, text: str, value: int) -> None:
    assert parse_optional_int(attr, text) == value


@pytest.mark.parametrize(("attr", "text"), [
    ("sriov_numvfs", "4294967296"), ("sriov_numvfs", "+1"), ("sriov_totalvfs", "-1"),
    ("sriov_drivers_autoprobe", "2147483648"), ("d3cold_allowed", "0x1"), ("sriov_vf_total_msix", "1_0"),
    # parsePciDevice also parses the SR-IOV files node_exporter does not export.
    ("sriov_offset", "-1"), ("sriov_stride", "x"), ("sriov_vf_device", "4294967296"),
])
def test_optional_ints_go_refuses(attr: str, text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.Parse"):
        parse_optional_int(attr, text)
