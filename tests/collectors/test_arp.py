import shutil

import pytest

from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples


def test_arp_from_fixture() -> None:
    families = run_collector("arp", fixture_paths("arp"))
    assert samples(families) == {
        ("node_arp_entries", frozenset({("device", "eth0")})): 2,
        ("node_arp_entries", frozenset({("device", "eth1")})): 1,
        ("node_arp_entries", frozenset({("device", "wg0")})): 1,
    }
    assert families[0].type == "gauge" and families[0].documentation == "ARP entries by device"


def test_arp_device_filters() -> None:
    exc = run_collector("arp", fixture_paths("arp"), {"device-exclude": "wg", "netlink": False})
    assert {dict(k[1])["device"] for k in samples(exc)} == {"eth0", "eth1"}
    inc = run_collector("arp", fixture_paths("arp"), {"device-include": "^eth1$"})
    assert {dict(k[1])["device"] for k in samples(inc)} == {"eth1"}
    with pytest.raises(FlagValueError):
        run_collector("arp", fixture_paths("arp"), {"device-include": "a", "device-exclude": "b"})


def test_arp_missing_and_malformed(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("arp", Paths(procfs=str(tmp_path)))
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "arp").write_text("IP address HW type Flags HW address Mask Device\n1.2.3.4 0x1\n")
    with pytest.raises(CollectorError):
        run_collector("arp", Paths(procfs=str(tmp_path)))


def test_arp_truncated_infiniband_address(tmp_path) -> None:
    """/proc/net/arp cuts a 20-byte IPoIB address to 10 bytes, which procfs's parseARPEntry
    (net.ParseMAC) refuses: node_exporter fails with --no-collector.arp.netlink, but counts the
    entry by default (getTotalArpEntriesRTNL), and so do we."""
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "arp").write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "10.0.0.2         0x20        0x2         80:00:00:48:fe:80:00:00:00:00 *  ib0\n"
    )
    assert samples(run_collector("arp", Paths(procfs=str(tmp_path)))) == {
        ("node_arp_entries", frozenset({("device", "ib0")})): 1,
    }
    with pytest.raises(CollectorError):
        run_collector("arp", Paths(procfs=str(tmp_path)), {"netlink": False})


def test_trailing_blank_line_is_skipped_as_procfs(tmp_path) -> None:
    """parseARPEntries skips a line of no fields."""
    shutil.copytree(fixture_paths("arp").proc(), tmp_path / "proc")
    expected = samples(run_collector("arp", Paths.under(str(tmp_path)), {"netlink": False}))
    with (tmp_path / "proc" / "net" / "arp").open("a") as file:
        file.write("\n \n")
    assert samples(run_collector("arp", Paths.under(str(tmp_path)), {"netlink": False})) == expected
