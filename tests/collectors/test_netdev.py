import pytest

from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples

PROC = {"netlink": False}


def test_netdev_from_proc_net_dev() -> None:
    families = run_collector("netdev", fixture_paths("netdev"), PROC)
    assert sample(families, "node_network_receive_bytes_total", device="eth0") == 55697915
    assert sample(families, "node_network_receive_errs_total", device="eth0") == 3
    assert sample(families, "node_network_receive_drop_total", device="eth0") == 4
    assert sample(families, "node_network_transmit_colls_total", device="eth0") == 12
    assert sample(families, "node_network_transmit_carrier_total", device="eth0") == 13
    assert sample(families, "node_network_transmit_packets_total", device="lo") == 29
    fams = by_name(families)
    assert len(fams) == 16
    assert fams["node_network_receive_fifo_total"].documentation == "Network device statistic receive_fifo."
    assert {f.type for f in families} == {"counter"}


def test_netdev_include_exclude() -> None:
    inc = run_collector("netdev", fixture_paths("netdev"), {**PROC, "device-include": "^eth"})
    assert {dict(k[1])["device"] for k in samples(inc)} == {"eth0"}
    exc = run_collector("netdev", fixture_paths("netdev"), {**PROC, "device-exclude": "docker"})
    assert {dict(k[1])["device"] for k in samples(exc)} == {"eth0", "lo"}
    with pytest.raises(FlagValueError):
        run_collector("netdev", fixture_paths("netdev"), {**PROC, "device-include": "a", "device-exclude": "b"})


def test_netdev_detailed_metrics_and_ifalias() -> None:
    families = run_collector(
        "netdev", fixture_paths("netdev"), {**PROC, "enable-detailed-metrics": True, "label-ifalias": True}
    )
    assert sample(families, "node_network_receive_errors_total", device="eth0", ifalias="uplink to core") == 3
    assert sample(families, "node_network_transmit_dropped_total", device="lo", ifalias="") == 0


def test_netdev_netlink_lists_loopback() -> None:
    try:
        families = run_collector("netdev", Paths(procfs="/nonexistent"), {"device-include": "^lo$"})
    except OSError as err:  # no AF_NETLINK in this sandbox
        pytest.skip(f"netlink unavailable: {err}")
    assert sample(families, "node_network_receive_nohandler_total", device="lo") >= 0


def test_netdev_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("netdev", Paths(procfs=str(tmp_path)), PROC)


def test_netdev_malformed_file_fails(tmp_path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "dev").write_text("h1\nh2\neth0: 1 2 3\n")
    with pytest.raises(Exception, match="short"):
        run_collector("netdev", Paths(procfs=str(tmp_path)), PROC)


def test_netdev_devices_with_different_statistics(monkeypatch) -> None:
    """Each device's statistics go to their own families, whichever set and order of statistics
    each device has (an older kernel's shorter link statistics, a driver without some)."""
    from pyexporter.collectors.netdev import DeviceStats, NetdevCollector

    devices = [
        DeviceStats("eth0", ("receive_bytes", "transmit_bytes"), [1, 2]),
        DeviceStats("eth1", ("transmit_bytes", "receive_nohandler"), [3, 4]),
        DeviceStats("eth2", ("receive_bytes", "transmit_bytes"), [5, 6]),
    ]
    monkeypatch.setattr(NetdevCollector, "devices", lambda self: devices)
    families = run_collector("netdev", Paths(), {"enable-detailed-metrics": True})
    assert samples(families) == {
        ("node_network_receive_bytes_total", frozenset({("device", "eth0")})): 1,
        ("node_network_transmit_bytes_total", frozenset({("device", "eth0")})): 2,
        ("node_network_transmit_bytes_total", frozenset({("device", "eth1")})): 3,
        ("node_network_receive_nohandler_total", frozenset({("device", "eth1")})): 4,
        ("node_network_receive_bytes_total", frozenset({("device", "eth2")})): 5,
        ("node_network_transmit_bytes_total", frozenset({("device", "eth2")})): 6,
    }
    assert [f.name for f in families] == [
        "node_network_receive_bytes", "node_network_transmit_bytes", "node_network_receive_nohandler",
    ]
    assert [s.labels["device"] for s in by_name(families)["node_network_transmit_bytes_total"].samples] == [
        "eth0", "eth1", "eth2",
    ]
