"""The ethtool collector on fixture sources (node_exporter's EthtoolFixture format): our own tree
tests/fixtures/ethtool, and, when present, node_exporter's own fixtures with the output its
TestEthToolCollector (collector/ethtool_linux_test.go) expects."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from pyexporter.collectors import load_all
from pyexporter.collectors.ethtool import EthtoolCollector, FixtureEthtool
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import FIXTURES, SHARED_FIXTURES, by_name, captured_logs, exposition, sample, samples

FIX = os.path.join(FIXTURES, "ethtool")
UPSTREAM = os.path.join(SHARED_FIXTURES, "ethtool")


# A logger that keeps debug records (the level pyexporter's own loggers get from --log.level).
LOGGER = logging.getLogger("pyexporter.collector.ethtool.test")
LOGGER.setLevel(logging.DEBUG)


def collector_on(root: str, source_dir: str, options: Mapping[str, Any] | None = None) -> EthtoolCollector:
    built = load_all()["ethtool"].build(Paths.under(root), options, logger=LOGGER)
    assert isinstance(built, EthtoolCollector)
    built.source = FixtureEthtool(source_dir)
    return built


def collect(options: Mapping[str, Any] | None = None) -> list[Metric]:
    return list(collector_on(FIX, os.path.join(FIX, "ethtool"), options).collect())


def names(families: Iterable[Metric]) -> set[str]:
    return {f.name for f in families if f.samples}


def test_registered_off_by_default() -> None:
    spec = load_all()["ethtool"]
    assert spec.default_enabled is False


def test_full_interface() -> None:
    """Update on eth1: link modes, driver info, statistics (ethtoolCollector.Update)."""
    families = collect()
    eth1 = {"device": "eth1"}
    assert sample(families, "node_ethtool_info", bus_info="0000:00:1c.0", device="eth1", driver="ixgbe",
                  expansion_rom_version="", firmware_version="0x800003e2, 1.3089.0", version="6.1.0") == 1
    # updateSpeeds: Mb/s * 1e6 / 8.
    for mode, speed in (("10baseT", 1.25e6), ("100baseT", 1.25e7), ("1000baseT", 1.25e8),
                        ("10000baseT", 1.25e9)):
        assert sample(families, "node_network_supported_speed_bytes", duplex="full", mode=mode, **eth1) == speed
    assert sample(families, "node_network_advertised_speed_bytes", duplex="full", mode="1000baseT",
                  **eth1) == 1.25e8
    assert len([k for k in samples(families) if k[0] == "node_network_advertised_speed_bytes"]) == 1
    # updatePortInfo / updatePortCapabilities: "Receive-only" is the asymmetric pause bit.
    assert sample(families, "node_network_supported_port_info", type="TP", **eth1) == 1
    assert sample(families, "node_network_asymmetricpause_supported", **eth1) == 1
    assert sample(families, "node_network_pause_supported", **eth1) == 0
    assert sample(families, "node_network_autonegotiate_supported", **eth1) == 0
    assert sample(families, "node_network_asymmetricpause_advertised", **eth1) == 0
    assert sample(families, "node_network_pause_advertised", **eth1) == 0
    assert sample(families, "node_network_autonegotiate_advertised", **eth1) == 0
    assert sample(families, "node_network_autonegotiate", **eth1) == 0


def test_statistics_names_and_values() -> None:
    """The pre-populated entries (makeEthtoolCollector) and entryWithCreate's HELP; values looked up
    under the original names (PR #3335); all clashing sanitized names dropped (PR #2187)."""
    families = collect()
    eth1 = {"device": "eth1"}
    expected = {
        "node_ethtool_received_bytes_total": 123456789012,
        "node_ethtool_transmitted_bytes_total": 98765,
        "node_ethtool_received_packets_total": 1000,
        "node_ethtool_transmitted_packets_total": 900,
        "node_ethtool_received_dropped_total": 3,
        "node_ethtool_port_received_crc_errors": 7,
        "node_ethtool_queue_0_allocfails": 2,
        "node_ethtool_transmitted_lpi_entry_count": 11,
        "node_ethtool_received_0_received_packets": 500,
        "node_ethtool_transmitted_received": 5,
        "node_ethtool_18446744073709551615_max": float(2**64 - 1),
    }
    for name, value in expected.items():
        assert sample(families, name, **eth1) == value, name
    got = {name for name in names(families) if name.startswith("node_ethtool_")} - {"node_ethtool_info"}
    assert got == set(expected)  # giant hdr x3 and `autonegotiate` are dropped
    fams = by_name(families)
    assert fams["node_ethtool_received_bytes_total"].documentation == "Network interface bytes received"
    assert fams["node_ethtool_received_bytes_total"].type == "unknown"
    assert fams["node_ethtool_queue_0_allocfails"].documentation == "Network interface Queue_0_AllocFails"
    assert fams["node_ethtool_port_received_crc_errors"].documentation == \
        "Network interface port_rx_crc_errors"
    assert fams["node_network_supported_speed_bytes"].type == "gauge"


def test_interfaces_without_support_and_failing_ones_are_skipped() -> None:
    """eth0 answers driver info only; lo nothing (EOPNOTSUPP); bad's statistics are garbage and
    eperm's fail with EPERM: logged as errors, the collector still succeeds."""
    with captured_logs() as logs:
        families = collect()
    devices = {dict(labels).get("device") for (_, labels) in samples(families)}
    assert devices == {"eth0", "eth1"}
    assert sample(families, "node_ethtool_info", bus_info="0000:00:03.0", device="eth0",
                  driver="virtio_net", expansion_rom_version="", firmware_version="", version="1.0.0") == 1
    errors = {r.getMessage(): r.kv for r in logs.records if r.levelname == "ERROR"}  # type: ignore[attr-defined]
    assert set(errors) == {"ethtool stats error"}
    failing = [r.kv for r in logs.records if r.levelname == "ERROR"]  # type: ignore[attr-defined]
    assert sorted(kv["device"] for kv in failing) == ["bad", "eperm"]
    assert [kv.get("errno") for kv in failing if kv["device"] == "eperm"] == [1]
    debug = logs.kv("ethtool link info error")
    assert {kv["device"] for kv in debug} == {"bad", "eperm", "eth0", "lo"}
    assert all(kv["errno"] == 95 for kv in debug)
    assert logs.kv("dropping duplicate metric name")[0]["metricFQName"] == "node_ethtool_giant_hdr"


def test_listing_follows_net_class_devices() -> None:
    """NetClassDevices skips regular files (bonding_masters) but keeps links, here eth1's stand-in
    file naming its target."""
    built = collector_on(FIX, os.path.join(FIX, "ethtool"))
    assert built.devices() == ["bad", "eperm", "eth0", "eth1", "lo"]


def test_device_include_and_exclude() -> None:
    only = collect({"device-include": "^eth1$"})
    assert {dict(labels)["device"] for (_, labels) in samples(only)} == {"eth1"}
    without = collect({"device-exclude": "eth1"})
    assert {dict(labels)["device"] for (_, labels) in samples(without)} == {"eth0"}
    # node_exporter does not refuse both together (newDeviceFilter): exclude wins.
    both = collect({"device-include": "eth", "device-exclude": "1"})
    assert {dict(labels)["device"] for (_, labels) in samples(both)} == {"eth0"}


def test_metrics_include_filters_statistics_only() -> None:
    families = collect({"metrics-include": "^rx_"})
    ethtool = {n for n in names(families) if n.startswith("node_ethtool_")}
    assert ethtool == {"node_ethtool_info", "node_ethtool_received_bytes_total",
                       "node_ethtool_received_packets_total", "node_ethtool_received_dropped_total",
                       "node_ethtool_received_0_received_packets"}
    assert "node_network_supported_speed_bytes" in names(families)


def test_missing_net_class_is_no_data(tmp_path) -> None:
    with pytest.raises(NoDataError):
        list(collector_on(str(tmp_path), os.path.join(FIX, "ethtool")).collect())


def test_empty_net_class_fails(tmp_path) -> None:
    (tmp_path / "sys" / "class" / "net").mkdir(parents=True)
    (tmp_path / "sys" / "class" / "net" / "bonding_masters").write_text("\n")
    with pytest.raises(CollectorError, match="no network devices found"):
        list(collector_on(str(tmp_path), os.path.join(FIX, "ethtool")).collect())


# TestEthToolCollector's expected output (node_exporter master, collector/ethtool_linux_test.go).
UPSTREAM_EXPECTED = """\
# HELP node_ethtool_align_errors Network interface align_errors
# TYPE node_ethtool_align_errors untyped
node_ethtool_align_errors{device="eth0"} 0
# HELP node_ethtool_info A metric with a constant '1' value labeled by bus_info, device, driver, expansion_rom_version, firmware_version, version.
# TYPE node_ethtool_info gauge
node_ethtool_info{bus_info="0000:00:1f.6",device="eth0",driver="e1000e",expansion_rom_version="",firmware_version="0.5-4",version="5.11.0-22-generic"} 1
# HELP node_ethtool_port_received_dropped Network interface port_rx_dropped
# TYPE node_ethtool_port_received_dropped untyped
node_ethtool_port_received_dropped{device="eth0"} 12028
# HELP node_ethtool_received_broadcast Network interface rx_broadcast
# TYPE node_ethtool_received_broadcast untyped
node_ethtool_received_broadcast{device="eth0"} 5792
# HELP node_ethtool_received_errors_total Number of received frames with errors
# TYPE node_ethtool_received_errors_total untyped
node_ethtool_received_errors_total{device="eth0"} 0
# HELP node_ethtool_received_missed Network interface rx_missed
# TYPE node_ethtool_received_missed untyped
node_ethtool_received_missed{device="eth0"} 401
# HELP node_ethtool_received_multicast Network interface rx_multicast
# TYPE node_ethtool_received_multicast untyped
node_ethtool_received_multicast{device="eth0"} 23973
# HELP node_ethtool_received_packets_total Network interface packets received
# TYPE node_ethtool_received_packets_total untyped
node_ethtool_received_packets_total{device="eth0"} 1.260062e+06
# HELP node_ethtool_received_unicast Network interface rx_unicast
# TYPE node_ethtool_received_unicast untyped
node_ethtool_received_unicast{device="eth0"} 1.230297e+06
# HELP node_ethtool_transmitted_aborted Network interface tx_aborted
# TYPE node_ethtool_transmitted_aborted untyped
node_ethtool_transmitted_aborted{device="eth0"} 0
# HELP node_ethtool_transmitted_errors_total Number of sent frames with errors
# TYPE node_ethtool_transmitted_errors_total untyped
node_ethtool_transmitted_errors_total{device="eth0"} 0
# HELP node_ethtool_transmitted_multi_collisions Network interface tx_multi_collisions
# TYPE node_ethtool_transmitted_multi_collisions untyped
node_ethtool_transmitted_multi_collisions{device="eth0"} 0
# HELP node_ethtool_transmitted_packets_total Network interface packets sent
# TYPE node_ethtool_transmitted_packets_total untyped
node_ethtool_transmitted_packets_total{device="eth0"} 961500
# HELP node_ethtool_transmitted_single_collisions Network interface tx_single_collisions
# TYPE node_ethtool_transmitted_single_collisions untyped
node_ethtool_transmitted_single_collisions{device="eth0"} 0
# HELP node_ethtool_transmitted_underrun Network interface tx_underrun
# TYPE node_ethtool_transmitted_underrun untyped
node_ethtool_transmitted_underrun{device="eth0"} 0
# HELP node_network_advertised_speed_bytes Combination of speeds and features offered by network device
# TYPE node_network_advertised_speed_bytes gauge
node_network_advertised_speed_bytes{device="eth0",duplex="full",mode="1000baseT"} 1.25e+08
node_network_advertised_speed_bytes{device="eth0",duplex="full",mode="100baseT"} 1.25e+07
node_network_advertised_speed_bytes{device="eth0",duplex="full",mode="10baseT"} 1.25e+06
node_network_advertised_speed_bytes{device="eth0",duplex="half",mode="100baseT"} 1.25e+07
node_network_advertised_speed_bytes{device="eth0",duplex="half",mode="10baseT"} 1.25e+06
# HELP node_network_asymmetricpause_advertised If this port device offers asymmetric pause capability
# TYPE node_network_asymmetricpause_advertised gauge
node_network_asymmetricpause_advertised{device="eth0"} 0
# HELP node_network_asymmetricpause_supported If this port device supports asymmetric pause frames
# TYPE node_network_asymmetricpause_supported gauge
node_network_asymmetricpause_supported{device="eth0"} 0
# HELP node_network_autonegotiate If this port is using autonegotiate
# TYPE node_network_autonegotiate gauge
node_network_autonegotiate{device="eth0"} 1
# HELP node_network_autonegotiate_advertised If this port device offers autonegotiate
# TYPE node_network_autonegotiate_advertised gauge
node_network_autonegotiate_advertised{device="eth0"} 1
# HELP node_network_autonegotiate_supported If this port device supports autonegotiate
# TYPE node_network_autonegotiate_supported gauge
node_network_autonegotiate_supported{device="eth0"} 1
# HELP node_network_pause_advertised If this port device offers pause capability
# TYPE node_network_pause_advertised gauge
node_network_pause_advertised{device="eth0"} 1
# HELP node_network_pause_supported If this port device supports pause frames
# TYPE node_network_pause_supported gauge
node_network_pause_supported{device="eth0"} 1
# HELP node_network_supported_port_info Type of ports or PHYs supported by network device
# TYPE node_network_supported_port_info gauge
node_network_supported_port_info{device="eth0",type="MII"} 1
node_network_supported_port_info{device="eth0",type="TP"} 1
# HELP node_network_supported_speed_bytes Combination of speeds and features supported by network device
# TYPE node_network_supported_speed_bytes gauge
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="10000baseT"} 1.25e+09
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="1000baseT"} 1.25e+08
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="100baseT"} 1.25e+07
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="10baseT"} 1.25e+06
node_network_supported_speed_bytes{device="eth0",duplex="half",mode="100baseT"} 1.25e+07
node_network_supported_speed_bytes{device="eth0",duplex="half",mode="10baseT"} 1.25e+06
"""  # noqa: E501


def parsed(text: str) -> dict[str, tuple[str, str, frozenset[tuple[str, frozenset[tuple[str, str]], float]]]]:
    """{family: (type, HELP, samples)} of a text exposition."""
    return {
        f.name: (f.type, f.documentation,
                 frozenset((s.name, frozenset(s.labels.items()), s.value) for s in f.samples))
        for f in text_string_to_metric_families(text)
    }


@pytest.mark.skipif(not os.path.isdir(UPSTREAM), reason="node_exporter's fixtures are not present")
def test_upstream_fixtures_give_upstreams_expected_output() -> None:
    """TestEthToolCollector: *sysPath = fixtures/sys, EthtoolFixture on fixtures/ethtool/."""
    built = collector_on(SHARED_FIXTURES, UPSTREAM)
    assert parsed(exposition(built.collect())) == parsed(UPSTREAM_EXPECTED)
