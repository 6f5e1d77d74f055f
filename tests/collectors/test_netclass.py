import os

from pyexporter.paths import Paths
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples


def test_netclass_from_fixture() -> None:
    families = run_collector("netclass", fixture_paths("netclass"))
    assert sample(families, "node_network_up", device="eth0") == 1
    assert sample(families, "node_network_up", device="lo") == 0
    assert sample(families, "node_network_info", device="eth0", address="aa:bb:cc:dd:ee:ff",
                  broadcast="ff:ff:ff:ff:ff:ff", duplex="full", operstate="up", adminstate="up",
                  ifalias="") == 1
    assert sample(families, "node_network_info", device="lo", address="00:00:00:00:00:00",
                  broadcast="", duplex="", operstate="unknown", adminstate="down", ifalias="") == 1
    assert sample(families, "node_network_device_id", device="eth0") == 32
    assert sample(families, "node_network_flags", device="eth0") == 4099
    assert sample(families, "node_network_carrier_changes_total", device="eth0") == 4
    assert sample(families, "node_network_speed_bytes", device="eth0") == 125000000
    assert sample(families, "node_network_speed_bytes", device="lo") == -125000
    assert sample(families, "node_network_mtu_bytes", device="lo") == 65536
    assert by_name(families)["node_network_carrier_changes_total"].type == "counter"
    # bonding_masters is a plain file, not an interface.
    assert all(dict(k[1])["device"] in ("eth0", "lo") for k in samples(families))


def test_netclass_flags() -> None:
    families = run_collector("netclass", fixture_paths("netclass"),
                             {"ignored-devices": "^lo$", "ignore-invalid-speed": True})
    assert {dict(k[1])["device"] for k in samples(families)} == {"eth0"}
    families = run_collector("netclass", fixture_paths("netclass"), {"ignore-invalid-speed": True})
    assert ("node_network_speed_bytes", frozenset({("device", "lo")})) not in samples(families)


def test_netclass_absent(tmp_path) -> None:
    assert run_collector("netclass", Paths(sysfs=str(tmp_path))) == []


def test_netclass_malformed_attribute_is_left_out(tmp_path) -> None:
    dev = tmp_path / "class" / "net" / "eth9"
    dev.mkdir(parents=True)
    (dev / "mtu").write_text("lots\n")
    (dev / "operstate").write_text("down\n")
    families = run_collector("netclass", Paths(sysfs=str(tmp_path)))
    assert ("node_network_mtu_bytes", frozenset({("device", "eth9")})) not in samples(families)
    assert sample(families, "node_network_up", device="eth9") == 0


def test_netclass_virtual_device_with_few_attributes(tmp_path) -> None:
    """sysfs ParseNetClassAttribute: each attribute is optional; a tunnel or veth without speed,
    duplex, name_assign_type or carrier counters reports only what it has (netClassSysfsUpdate
    pushes nothing for a nil value), and PInt64 reads `0x` values as hex."""
    dev = tmp_path / "class" / "net" / "tun0"
    dev.mkdir(parents=True)
    (dev / "operstate").write_text("unknown\n")
    (dev / "flags").write_text("0x1091\n")
    (dev / "mtu").write_text("1500\n")
    (dev / "type").write_text("65534\n")
    (dev / "address").write_text("\n")
    families = run_collector("netclass", Paths(sysfs=str(tmp_path)))
    got = {(name, dict(labels).get("device")) for name, labels in samples(families)}
    assert got == {
        ("node_network_up", "tun0"), ("node_network_info", "tun0"), ("node_network_flags", "tun0"),
        ("node_network_mtu_bytes", "tun0"), ("node_network_protocol_type", "tun0"),
    }
    assert sample(families, "node_network_flags", device="tun0") == 0x1091
    assert sample(families, "node_network_info", device="tun0", address="", broadcast="", duplex="",
                  operstate="unknown", adminstate="up", ifalias="") == 1


def test_netclass_speed_as_go_int64(tmp_path) -> None:
    """netClassSysfsUpdate: int64(*Speed * 1000 * 1000 / 8), truncating toward zero; a
    negative speed is kept unless --collector.netclass.ignore-invalid-speed."""
    for name, speed in (("a", "-1"), ("b", "4294967295"), ("c", "-3")):
        dev = tmp_path / "class" / "net" / name
        dev.mkdir(parents=True)
        (dev / "speed").write_text(speed + "\n")
    families = run_collector("netclass", Paths(sysfs=str(tmp_path)))
    assert sample(families, "node_network_speed_bytes", device="a") == -125000
    assert sample(families, "node_network_speed_bytes", device="b") == 4294967295 * 125000
    assert sample(families, "node_network_speed_bytes", device="c") == -375000


def test_netclass_entries_as_sysfs_and_fixture_trees_hold_them(tmp_path) -> None:
    """Interfaces are what the entries of class/net lead to: sysfs's links to device directories,
    fixture trees' files naming the link target, or plain directories; plain files
    (bonding_masters), dangling links and links to files are no interfaces."""
    devices = tmp_path / "devices" / "virtual" / "net"
    for name in ("eth0", "eth1"):
        (devices / name).mkdir(parents=True)
        (devices / name / "operstate").write_text("up\n")
        (devices / name / "flags").write_text("0x1003\n")
    class_net = tmp_path / "class" / "net"
    class_net.mkdir(parents=True)
    (class_net / "eth0").symlink_to("../../devices/virtual/net/eth0")
    (class_net / "eth1").write_text("../../devices/virtual/net/eth1\n")
    (class_net / "gone").symlink_to("../../devices/virtual/net/gone")
    (class_net / "tofile").symlink_to("bonding_masters")
    (class_net / "bonding_masters").write_text("bond0\n")
    (class_net / "plain").mkdir()
    families = run_collector("netclass", Paths(sysfs=str(tmp_path)))
    assert {dict(labels)["device"]: value for (name, labels), value in samples(families).items()
            if name == "node_network_up"} == {"eth0": 1, "eth1": 1, "plain": 0}
    assert sample(families, "node_network_flags", device="eth1") == 4099
    assert ("node_network_flags", frozenset({("device", "plain")})) not in samples(families)
    families = run_collector("netclass", Paths(sysfs=str(tmp_path)), {"ignored-devices": "^eth"})
    assert {dict(labels)["device"] for _, labels in samples(families)} == {"plain"}


def test_netclass_reports_no_attribute_it_does_not_serve(tmp_path) -> None:
    """procfs's addr_len and phys_* attributes are never reported, so they are not read: even
    unreadable, they change nothing."""
    dev = tmp_path / "class" / "net" / "eth0"
    dev.mkdir(parents=True)
    (dev / "mtu").write_text("1500\n")
    for name in ("addr_len", "phys_port_id", "phys_port_name", "phys_switch_id"):
        os.mkfifo(dev / name)
    families = run_collector("netclass", Paths(sysfs=str(tmp_path)))
    assert sample(families, "node_network_mtu_bytes", device="eth0") == 1500
    assert all("addr_len" not in f.name and "phys" not in f.name for f in families)


def test_netclass_reads_only_what_the_listing_shows_as_regular_files(tmp_path) -> None:
    """parseNetClassIface reads the entries os.ReadDir lists as regular files: a link, a FIFO or
    a directory named like an attribute is not read (nor waited on)."""
    dev = tmp_path / "class" / "net" / "eth0"
    dev.mkdir(parents=True)
    (tmp_path / "elsewhere").write_text("9000\n")
    (dev / "mtu").symlink_to(tmp_path / "elsewhere")
    os.mkfifo(dev / "carrier")
    (dev / "speed").mkdir()
    (dev / "ifindex").write_text("2\n")
    (dev / "operstate").write_text("up\n")
    families = run_collector("netclass", Paths(sysfs=str(tmp_path)))
    assert sample(families, "node_network_iface_id", device="eth0") == 2
    assert sample(families, "node_network_up", device="eth0") == 1
    for name in ("node_network_mtu_bytes", "node_network_carrier", "node_network_speed_bytes"):
        assert ("device", "eth0") not in {pair for f in families if f.name == name for s in f.samples
                                          for pair in s.labels.items()}


def test_netclass_scrapes_follow_devices_renamed_replaced_and_removed(tmp_path) -> None:
    # One collector, scrape after scrape: attributes are read again through descriptors kept from
    # the last scrape only while they name the same files (toolkit.files.KeptAttributes).
    from pyexporter.collectors import load_all

    net = tmp_path / "class" / "net"

    def device(name: str, mtu: int) -> None:
        (net / name).mkdir(parents=True)
        (net / name / "mtu").write_text(f"{mtu}\n")
        (net / name / "operstate").write_text("up\n")

    def mtus() -> dict[str, float]:
        families = by_name(list(collector.collect()))
        return {s.labels["device"]: s.value for s in families["node_network_mtu_bytes"].samples}

    device("eth0", 1500)
    device("eth1", 9000)
    collector = load_all()["netclass"].build(Paths(sysfs=str(tmp_path)), None)
    opened = len(os.listdir("/proc/self/fd"))
    assert mtus() == {"eth0": 1500, "eth1": 9000}
    (net / "eth0" / "mtu").write_text("1400\n")  # rewritten in place
    assert mtus() == {"eth0": 1400, "eth1": 9000}
    (net / "eth1").rename(net / "eth2")  # renamed, and a new device takes the old name
    device("eth1", 1280)
    assert mtus() == {"eth0": 1400, "eth1": 1280, "eth2": 9000}
    (net / "new").write_text("576\n")
    os.replace(net / "new", net / "eth2" / "mtu")  # replaced
    assert mtus() == {"eth0": 1400, "eth1": 1280, "eth2": 576}
    for name in ("eth0", "eth2"):  # removed
        for child in (net / name).iterdir():
            child.unlink()
        (net / name).rmdir()
    assert mtus() == {"eth1": 1280}
    # Kept open: eth1's two attributes (unless other tests' collectors hold the process's budget);
    # the removed devices' descriptors are closed.
    kept = len(collector._kept)
    assert kept <= 2
    assert len(os.listdir("/proc/self/fd")) == opened + kept


def test_netclass_scrapes_follow_attributes_made_and_removed_with_listings_kept(tmp_path) -> None:
    # The device directories' listings kept from one scrape to the next (toolkit.static's
    # ListingCache, here with every directory old enough to keep), and followed when an attribute
    # is made, removed or replaced.
    import time

    from pyexporter.collectors import load_all
    from pyexporter.toolkit.static import RACY_NS, ListingCache

    eth0 = tmp_path / "class" / "net" / "eth0"
    eth0.mkdir(parents=True)
    (eth0 / "mtu").write_text("1500\n")
    collector = load_all()["netclass"].build(Paths(sysfs=str(tmp_path)), None)
    collector._listings = ListingCache(clock=lambda: time.time_ns() + 10 * RACY_NS)

    def values() -> dict[str, float]:
        families = by_name(list(collector.collect()))
        return {name: family.samples[0].value for name, family in families.items()
                if name in ("node_network_mtu_bytes", "node_network_speed_bytes") and family.samples}

    assert values() == {"node_network_mtu_bytes": 1500}
    assert values() == {"node_network_mtu_bytes": 1500}
    assert len(collector._listings) == 1
    time.sleep(0.05)  # past the coarse clock's tick that stamped the directory
    (eth0 / "speed").write_text("1000\n")
    assert values() == {"node_network_mtu_bytes": 1500, "node_network_speed_bytes": 125_000_000}
    time.sleep(0.05)
    (eth0 / "new").write_text("9000\n")
    os.replace(eth0 / "new", eth0 / "mtu")
    assert values() == {"node_network_mtu_bytes": 9000, "node_network_speed_bytes": 125_000_000}
    time.sleep(0.05)
    (eth0 / "speed").unlink()
    assert values() == {"node_network_mtu_bytes": 9000}
    for child in eth0.iterdir():
        child.unlink()
    eth0.rmdir()
    assert values() == {}
    assert len(collector._listings) == 0
