import os

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import FIXTURES, run_collector, sample, samples

FIX = {"fixtures": os.path.join(FIXTURES, "wifi")}
STA = {"device": "wlan0", "mac_address": "01:02:03:04:05:06"}


def test_wifi_from_fixture() -> None:
    families = run_collector("wifi", Paths(), FIX)
    assert sample(families, "node_wifi_interface_frequency_hertz", device="wlan0") == 5.18e9
    assert sample(families, "node_wifi_interface_frequency_hertz", device="wlan1") == 2.437e9
    assert sample(families, "node_wifi_station_info", device="wlan0", bssid="aa:aa:aa:aa:aa:aa",
                  ssid="Home", mode="ad-hoc") == 1
    assert sample(families, "node_wifi_station_connected_seconds_total", **STA) == 90
    assert sample(families, "node_wifi_station_inactive_seconds", **STA) == 0.25
    assert sample(families, "node_wifi_station_receive_bits_per_second", **STA) == 1000
    assert sample(families, "node_wifi_station_transmit_bits_per_second", **STA) == 2000
    assert sample(families, "node_wifi_station_receive_bytes_total", **STA) == 300
    assert sample(families, "node_wifi_station_transmit_bytes_total", **STA) == 400
    assert sample(families, "node_wifi_station_received_packets_total", **STA) == 5
    assert sample(families, "node_wifi_station_transmitted_packets_total", **STA) == 6
    assert sample(families, "node_wifi_station_signal_dbm", **STA) == -40
    assert sample(families, "node_wifi_station_transmit_retries_total", **STA) == 7
    assert sample(families, "node_wifi_station_transmit_failed_total", **STA) == 8
    assert sample(families, "node_wifi_station_beacon_loss_total", **STA) == 9
    assert len(samples(families)) == 2 + 1 + 12


def test_wifi_fixture_without_interfaces(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("wifi", Paths(), {"fixtures": str(tmp_path)})


def test_wifi_fixture_malformed(tmp_path) -> None:
    (tmp_path / "interfaces.json").write_text('[{"name": "wlan0"}]')
    (tmp_path / "wlan0").mkdir()
    (tmp_path / "wlan0" / "stationinfo.json").write_text("{garbage")
    with pytest.raises(CollectorError):
        run_collector("wifi", Paths(), {"fixtures": str(tmp_path)})
