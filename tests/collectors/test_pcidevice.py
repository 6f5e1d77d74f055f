import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import fixture_paths, run_collector, sample, samples, write_tree

BRIDGE = {"segment": "0000", "bus": "00", "device": "1c", "function": "0"}
NIC = {"segment": "0000", "bus": "02", "device": "00", "function": "0"}


def test_pcidevice_from_fixture() -> None:
    families = run_collector("pcidevice", fixture_paths("pcidevice"))
    assert sample(families, "node_pcidevice_info", **BRIDGE, parent_segment="*", parent_bus="*",
                  parent_device="*", parent_function="*", class_id="0x060400", vendor_id="0x8086",
                  device_id="0xa110", subsystem_vendor_id="0x1028", subsystem_device_id="0x0001",
                  revision="0xf1") == 1
    assert sample(families, "node_pcidevice_info", **NIC, parent_segment="0000", parent_bus="00",
                  parent_device="1c", parent_function="0", class_id="0x020000", vendor_id="0x8086",
                  device_id="0x1521", subsystem_vendor_id="0x8086", subsystem_device_id="0x00a3",
                  revision="0x01") == 1
    assert sample(families, "node_pcidevice_max_link_transfers_per_second", **NIC) == 5e9
    assert sample(families, "node_pcidevice_current_link_transfers_per_second", **NIC) == 2.5e9
    assert sample(families, "node_pcidevice_max_link_width", **NIC) == 4
    assert sample(families, "node_pcidevice_current_link_width", **NIC) == 2
    assert sample(families, "node_pcidevice_max_link_transfers_per_second", **BRIDGE) == -1
    assert sample(families, "node_pcidevice_current_link_width", **BRIDGE) == -1
    assert sample(families, "node_pcidevice_d3cold_allowed", **NIC) == 0
    assert sample(families, "node_pcidevice_sriov_drivers_autoprobe", **NIC) == 1
    assert sample(families, "node_pcidevice_sriov_numvfs", **NIC) == 2
    assert sample(families, "node_pcidevice_sriov_totalvfs", **NIC) == 7
    assert sample(families, "node_pcidevice_sriov_vf_total_msix", **NIC) == 3
    assert sample(families, "node_pcidevice_sriov_totalvfs", **BRIDGE) == 0
    assert sample(families, "node_pcidevice_numa_node", **NIC) == 1
    numa = [k for k in samples(families) if k[0] == "node_pcidevice_numa_node"]
    assert len(numa) == 1  # -1 (unknown) is left out
    assert sample(families, "node_pcidevice_power_state", **BRIDGE, state="D3hot") == 1
    assert sample(families, "node_pcidevice_power_state", **BRIDGE, state="D0") == 0
    assert sample(families, "node_pcidevice_power_state", **NIC, state="D0") == 1
    assert len([k for k in samples(families) if k[0] == "node_pcidevice_power_state"]) == 14


def test_pcidevice_names_with_ids_file(tmp_path) -> None:
    ids = tmp_path / "pci.ids"
    ids.write_text("8086  Intel Corporation\n\t1521  I350\nC 02  Network controller\n")
    families = run_collector("pcidevice", fixture_paths("pcidevice"), {"names": True, "idsfile": str(ids)})
    info = [s for f in families if f.name == "node_pcidevice_info" for s in f.samples]
    nic = next(s for s in info if s.labels["bus"] == "02")
    assert nic.labels["vendor_name"] == "Intel Corporation"
    assert nic.labels["device_name"] == "I350"
    assert nic.labels["subsystem_device_name"] == "00a3"
    assert nic.labels["class_name"] == "Network controller"


def test_pcidevice_absent(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("pcidevice", Paths(sysfs=str(tmp_path)))


def test_pcidevice_malformed(tmp_path) -> None:
    paths = write_tree(tmp_path, {
        "sys/bus/pci/devices/0000:00:01.0": "../../../devices/pci0000:00/0000:00:01.0\n",
        "sys/devices/pci0000:00/0000:00:01.0/class": "not-a-number\n",
    })
    with pytest.raises(CollectorError):
        run_collector("pcidevice", paths)


def test_unexported_sriov_file_malformed_fails(tmp_path) -> None:
    # parsePciDevice parses sriov_offset, sriov_stride and sriov_vf_device too: garbage in one
    # fails PciDevices, and with it the collector.
    devices = tmp_path / "devices" / "pci0000:00" / "0000:00:01.0"
    devices.mkdir(parents=True)
    for name, text in (("class", "0x020000"), ("vendor", "0x8086"), ("device", "0x10fb"),
                       ("subsystem_vendor", "0x8086"), ("subsystem_device", "0x0003"), ("revision", "0x01"),
                       ("numa_node", "-1"), ("sriov_vf_total_msix", "-1")):
        (devices / name).write_text(text + "\n")
    bus = tmp_path / "bus" / "pci" / "devices"
    bus.mkdir(parents=True)
    (bus / "0000:00:01.0").symlink_to("../../../devices/pci0000:00/0000:00:01.0")
    got = samples(run_collector("pcidevice", Paths(sysfs=str(tmp_path))))
    # sriov_vf_total_msix is ParseInt'd then kept as a uint64: -1 wraps.
    assert got[("node_pcidevice_sriov_vf_total_msix",
                frozenset({"segment": "0000", "bus": "00", "device": "01", "function": "0"}.items()))] == 2.0**64
    (devices / "sriov_stride").write_text("wide\n")
    with pytest.raises(CollectorError):
        run_collector("pcidevice", Paths(sysfs=str(tmp_path)))
