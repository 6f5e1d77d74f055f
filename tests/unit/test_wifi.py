import struct

import pytest

from pyexporter.collectors.wifi import (
    BSS,
    bss_mode,
    parse_attributes,
    parse_bss,
    parse_bss_json,
    parse_genl_messages,
    parse_interface,
    parse_interfaces_json,
    parse_ssid,
    parse_station,
    parse_stations_json,
)
from pyexporter.toolkit.collector import CollectorError


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("=HH", 4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def test_json_fixtures() -> None:
    ifis = parse_interfaces_json('[{"name": "wlan0", "frequency": 2412}, {"type": 10}]')
    assert [(i.name, i.frequency) for i in ifis] == [("wlan0", 2412), ("", 0)]
    assert parse_bss_json('{"ssid": "x", "bssid": "ABEiM0RV", "status": 1}') == BSS("x", "00:11:22:33:44:55", 1)
    (sta,) = parse_stations_json('[{"HardwareAddr": "AQIDBAUG", "connected": 2000000000, "signal": -3}]')
    assert sta.mac == "01:02:03:04:05:06" and sta.connected == 2.0 and sta.signal == -3
    assert sta.received_packets == 0


@pytest.mark.parametrize("text", ["", "{}", "[1]", '[{"frequency": "x"}]'])
def test_bad_interfaces_json(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_interfaces_json(text)


def test_bad_station_json() -> None:
    with pytest.raises(CollectorError):
        parse_stations_json('[{"hardwareaddr": "!!"}]')
    with pytest.raises(CollectorError):
        parse_bss_json("[]")


def test_bss_mode() -> None:
    assert [bss_mode(s) for s in (0, 1, 2, 3)] == ["client", "client", "ad-hoc", "unknown"]


def test_netlink_interface_and_station() -> None:
    ifi = parse_interface(parse_attributes(
        _attr(3, struct.pack("=I", 4)) + _attr(4, b"wlan0\0") + _attr(38, struct.pack("=I", 5180))))
    assert (ifi.index, ifi.name, ifi.frequency) == (4, "wlan0", 5180)
    info = (_attr(1, struct.pack("=I", 1500)) + _attr(2, struct.pack("=I", 7))
            + _attr(23, struct.pack("=Q", 2**40)) + _attr(7, struct.pack("=b", -60))
            + _attr(14, _attr(5, struct.pack("=I", 8667))) + _attr(8, _attr(1, struct.pack("=H", 65)))
            + _attr(16, struct.pack("=I", 300)) + _attr(18, struct.pack("=I", 3)))
    sta = parse_station(parse_attributes(_attr(6, bytes([0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])) + _attr(21, info)))
    assert sta is not None
    assert sta.mac == "aa:bb:cc:dd:ee:ff"
    assert sta.inactive == 1.5 and sta.connected == 300
    assert sta.received_bytes == 2**40 and sta.transmitted_bytes == 0
    assert sta.signal == -60 and sta.beacon_loss == 3
    assert sta.receive_bitrate == 866_700_000 and sta.transmit_bitrate == 6_500_000
    assert parse_station({}) is None


def test_netlink_bss() -> None:
    ies = bytes([1, 2, 0x82, 0x84, 0, 4]) + b"Home"
    bss = _attr(1, bytes(range(6))) + _attr(6, ies) + _attr(9, struct.pack("=I", 1))
    assert parse_bss(parse_attributes(_attr(47, bss))) == BSS("Home", "00:01:02:03:04:05", 1)
    assert parse_bss(parse_attributes(_attr(47, _attr(1, bytes(6))))) is None
    assert parse_ssid(bytes([0, 10, 1])) == ""


def test_genl_messages() -> None:
    body = struct.pack("=BBxx", 7, 1) + _attr(3, struct.pack("=I", 1))
    msg = struct.pack("=IHHII", 16 + len(body), 30, 2, 1, 0) + body
    found, done = parse_genl_messages(msg)
    assert found == [(7, {3: struct.pack("=I", 1)})] and not done
    done_msg = struct.pack("=IHHII", 20, 3, 2, 1, 0) + b"\0" * 4
    assert parse_genl_messages(done_msg) == ([], True)
    err = struct.pack("=IHHII", 36, 2, 0, 1, 0) + struct.pack("=i", -2) + b"\0" * 16
    with pytest.raises(FileNotFoundError):
        parse_genl_messages(err)
    with pytest.raises(CollectorError):
        parse_genl_messages(struct.pack("=IHHII", 99, 30, 0, 1, 0))
    with pytest.raises(CollectorError):
        parse_attributes(struct.pack("=HH", 40, 1))
