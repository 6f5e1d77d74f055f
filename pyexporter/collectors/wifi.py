"""wifi: WiFi interfaces and stations, as node_exporter's wifi collector (collector/wifi_linux.go:
Update, updateBSSStats, updateStationStats, mockWifiStater; over mdlayher/wifi; off by default).

The kernel publishes these only over nl80211 (generic netlink); there is no /proc or /sys file
for them, so like node_exporter this reads the network namespace pyexporter runs in. The hidden
`fixtures` flag reads node_exporter's JSON test fixtures (interfaces.json, <ifname>/bss.json,
<ifname>/stationinfo.json) instead, for end-to-end tests.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit import netlink
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import read_text


@dataclass(frozen=True, slots=True)
class Interface:
    index: int
    name: str
    frequency: int  # MHz


@dataclass(frozen=True, slots=True)
class BSS:
    ssid: str
    bssid: str
    status: int


@dataclass(frozen=True, slots=True)
class Station:
    mac: str
    connected: float  # seconds
    inactive: float  # seconds
    receive_bitrate: int  # bit/s
    transmit_bitrate: int
    received_bytes: int
    transmitted_bytes: int
    received_packets: int
    transmitted_packets: int
    signal: int  # dBm
    transmit_retries: int
    transmit_failed: int
    beacon_loss: int


# nl80211's enum nl80211_bss_status
_BSS_STATUS_AUTHENTICATED, _BSS_STATUS_ASSOCIATED, _BSS_STATUS_IBSS_JOINED = 0, 1, 2


def bss_mode(status: int) -> str:
    if status in (_BSS_STATUS_AUTHENTICATED, _BSS_STATUS_ASSOCIATED):
        return "client"
    if status == _BSS_STATUS_IBSS_JOINED:
        return "ad-hoc"
    return "unknown"


def format_mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


# ---------------------------------------------------------------------------------------------
# node_exporter's JSON fixtures (Go's encoding of the wifi package's structs: field names matched
# ignoring case, byte slices as base64, durations as nanoseconds)


def _load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise CollectorError(f"invalid wifi fixture {what}: {err}") from None


def _fields(entry: Any, what: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise CollectorError(f"wifi fixture {what} entry is not an object")
    return {str(k).lower(): v for k, v in entry.items()}


def _json_int(fields: dict[str, Any], key: str, what: str) -> int:
    """A JSON number decoded into one of the wifi package's int fields; absent is 0. Not text, so
    not strconv's: JSON decoding already refused what is not a number."""
    value = fields.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CollectorError(f"wifi fixture {what}: {key} is not an integer")
    return value


def _mac(fields: dict[str, Any], key: str, what: str) -> str:
    value = fields.get(key)
    if value is None:
        return ""
    try:
        return format_mac(base64.b64decode(str(value), validate=True))
    except ValueError:
        raise CollectorError(f"wifi fixture {what}: {key} is not base64") from None


def parse_interfaces_json(text: str) -> list[Interface]:
    data = _load_json(text, "interfaces.json")
    if not isinstance(data, list):
        raise CollectorError("wifi fixture interfaces.json is not a list")
    result = []
    for entry in data:
        f = _fields(entry, "interfaces.json")
        result.append(Interface(_json_int(f, "index", "interface"), str(f.get("name", "")),
                                _json_int(f, "frequency", "interface")))
    return result


def parse_bss_json(text: str) -> BSS:
    f = _fields(_load_json(text, "bss.json"), "bss.json")
    return BSS(str(f.get("ssid", "")), _mac(f, "bssid", "bss.json"), _json_int(f, "status", "bss.json"))


def parse_stations_json(text: str) -> list[Station]:
    data = _load_json(text, "stationinfo.json")
    if not isinstance(data, list):
        raise CollectorError("wifi fixture stationinfo.json is not a list")
    result = []
    for entry in data:
        f = _fields(entry, "stationinfo.json")

        def num(key: str, fields: dict[str, Any] = f) -> int:
            return _json_int(fields, key, "station")

        result.append(Station(
            mac=_mac(f, "hardwareaddr", "station"),
            connected=num("connected") / 1e9,
            inactive=num("inactive") / 1e9,
            receive_bitrate=num("receivebitrate"),
            transmit_bitrate=num("transmitbitrate"),
            received_bytes=num("receivedbytes"),
            transmitted_bytes=num("transmittedbytes"),
            received_packets=num("receivedpackets"),
            transmitted_packets=num("transmittedpackets"),
            signal=num("signal"),
            transmit_retries=num("transmitretries"),
            transmit_failed=num("transmitfailed"),
            beacon_loss=num("beaconloss"),
        ))
    return result


# ---------------------------------------------------------------------------------------------
# nl80211 over generic netlink

_GENLMSGHDR = struct.Struct("=BBxx")
_NETLINK_GENERIC = 16
_GENL_ID_CTRL, _CTRL_CMD_GETFAMILY, _CTRL_ATTR_FAMILY_ID, _CTRL_ATTR_FAMILY_NAME = 0x10, 3, 1, 2

_CMD_GET_INTERFACE, _CMD_GET_STATION, _CMD_GET_SCAN = 5, 17, 32
_ATTR_IFINDEX, _ATTR_IFNAME, _ATTR_MAC, _ATTR_STA_INFO = 3, 4, 6, 21
_ATTR_WIPHY_FREQ, _ATTR_BSS = 38, 47
_BSS_BSSID, _BSS_INFORMATION_ELEMENTS, _BSS_STATUS = 1, 6, 9
_STA_INACTIVE_TIME, _STA_RX_BYTES, _STA_TX_BYTES, _STA_SIGNAL = 1, 2, 3, 7
_STA_TX_BITRATE, _STA_RX_PACKETS, _STA_TX_PACKETS, _STA_TX_RETRIES, _STA_TX_FAILED = 8, 9, 10, 11, 12
_STA_RX_BITRATE, _STA_CONNECTED_TIME, _STA_BEACON_LOSS, _STA_RX_BYTES64, _STA_TX_BYTES64 = 14, 16, 18, 23, 24
_RATE_BITRATE, _RATE_BITRATE32 = 1, 5
_IE_SSID = 0


def parse_attributes(data: bytes) -> dict[int, bytes]:
    """Netlink attributes by type (flag bits stripped); the last of a repeated type wins."""
    return dict(netlink.attributes(data, "nl80211"))


def _u(attrs: dict[int, bytes], kind: int, fmt: str) -> int | None:
    payload = attrs.get(kind)
    if payload is None:
        return None
    if len(payload) < struct.calcsize(fmt):
        raise CollectorError(f"short nl80211 attribute {kind}")
    return int(struct.unpack_from(fmt, payload)[0])


def _bitrate(payload: bytes | None) -> int:
    """A nested rate info in bit/s; the kernel counts in units of 100 kbit/s."""
    if payload is None:
        return 0
    rate = parse_attributes(payload)
    value = _u(rate, _RATE_BITRATE32, "=I")
    if value is None:
        value = _u(rate, _RATE_BITRATE, "=H") or 0
    return value * 100 * 1000


def parse_interface(attrs: dict[int, bytes]) -> Interface:
    name = attrs.get(_ATTR_IFNAME, b"").split(b"\0", 1)[0].decode("utf-8", "replace")
    return Interface(_u(attrs, _ATTR_IFINDEX, "=I") or 0, name, _u(attrs, _ATTR_WIPHY_FREQ, "=I") or 0)


def parse_station(attrs: dict[int, bytes]) -> Station | None:
    if _ATTR_STA_INFO not in attrs:
        return None
    info = parse_attributes(attrs[_ATTR_STA_INFO])

    def u32(kind: int) -> int:
        return _u(info, kind, "=I") or 0

    rx_bytes = _u(info, _STA_RX_BYTES64, "=Q")
    tx_bytes = _u(info, _STA_TX_BYTES64, "=Q")
    return Station(
        mac=format_mac(attrs.get(_ATTR_MAC, b"")),
        connected=float(u32(_STA_CONNECTED_TIME)),
        inactive=u32(_STA_INACTIVE_TIME) / 1000.0,
        receive_bitrate=_bitrate(info.get(_STA_RX_BITRATE)),
        transmit_bitrate=_bitrate(info.get(_STA_TX_BITRATE)),
        received_bytes=rx_bytes if rx_bytes is not None else u32(_STA_RX_BYTES),
        transmitted_bytes=tx_bytes if tx_bytes is not None else u32(_STA_TX_BYTES),
        received_packets=u32(_STA_RX_PACKETS),
        transmitted_packets=u32(_STA_TX_PACKETS),
        signal=_u(info, _STA_SIGNAL, "=b") or 0,
        transmit_retries=u32(_STA_TX_RETRIES),
        transmit_failed=u32(_STA_TX_FAILED),
        beacon_loss=u32(_STA_BEACON_LOSS),
    )


def parse_ssid(elements: bytes) -> str:
    """The SSID from 802.11 information elements (id, length, data ...)."""
    pos = 0
    while pos + 2 <= len(elements):
        ie_id, length = elements[pos], elements[pos + 1]
        if pos + 2 + length > len(elements):
            break
        if ie_id == _IE_SSID:
            return elements[pos + 2 : pos + 2 + length].decode("utf-8", "replace")
        pos += 2 + length
    return ""


def parse_bss(attrs: dict[int, bytes]) -> BSS | None:
    """The BSS an interface is joined to: only that one carries a status."""
    if _ATTR_BSS not in attrs:
        return None
    bss = parse_attributes(attrs[_ATTR_BSS])
    status = _u(bss, _BSS_STATUS, "=I")
    if status is None:
        return None
    return BSS(parse_ssid(bss.get(_BSS_INFORMATION_ELEMENTS, b"")), format_mac(bss.get(_BSS_BSSID, b"")),
               status)


def parse_genl_messages(data: bytes) -> tuple[list[tuple[int, dict[int, bytes]]], bool]:
    """One receive buffer of generic netlink replies: ([(command, attributes)], finished)."""
    found: list[tuple[int, dict[int, bytes]]] = []
    for kind, flags, body in netlink.messages(data):
        if kind == netlink.NLMSG_DONE:
            return found, True
        if kind == netlink.NLMSG_ERROR:
            netlink.raise_for_error(body, "nl80211 request")
            return found, True  # an acknowledgement ends the exchange
        if len(body) < _GENLMSGHDR.size:
            raise CollectorError("truncated generic netlink header")
        found.append((body[0], parse_attributes(body[_GENLMSGHDR.size :])))
        if not flags & netlink.NLM_F_MULTI:  # a lone reply is complete by itself
            return found, True
    return found, False


def _attr(kind: int, payload: bytes) -> bytes:
    raw = netlink.ATTRIBUTE.pack(netlink.ATTRIBUTE.size + len(payload), kind) + payload
    return raw + b"\0" * (netlink.align(len(raw)) - len(raw))


class Nl80211:
    """A generic netlink socket talking to nl80211."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, _NETLINK_GENERIC)
        try:
            self.sock.bind((0, 0))
            self.sock.settimeout(5.0)
            self.seq = 0
            replies = self.request(_GENL_ID_CTRL, _CTRL_CMD_GETFAMILY,
                                   _attr(_CTRL_ATTR_FAMILY_NAME, b"nl80211\0"), dump=False)
            family = next((_u(a, _CTRL_ATTR_FAMILY_ID, "=H") for _, a in replies), None)
            if family is None:
                raise CollectorError("no nl80211 family id in generic netlink reply")
            self.family = family
        except BaseException:
            self.sock.close()
            raise

    def close(self) -> None:
        self.sock.close()

    def request(self, family: int, cmd: int, attrs: bytes = b"", dump: bool = True
                ) -> list[tuple[int, dict[int, bytes]]]:
        self.seq += 1
        # No ACK asked for a lone request: its reply (or error) is the whole answer.
        flags = netlink.NLM_F_REQUEST | (netlink.NLM_F_DUMP if dump else 0)
        body = _GENLMSGHDR.pack(cmd, 1) + attrs
        self.sock.send(netlink.HEADER.pack(netlink.HEADER.size + len(body), family, flags, self.seq, 0) + body)
        found: list[tuple[int, dict[int, bytes]]] = []
        while True:
            chunk, done = parse_genl_messages(self.sock.recv(1 << 16))
            found.extend(chunk)
            if done:
                return found

    def interfaces(self) -> list[Interface]:
        return [parse_interface(a) for _, a in self.request(self.family, _CMD_GET_INTERFACE)]

    def _per_interface(self, cmd: int, ifi: Interface) -> list[dict[int, bytes]]:
        return [a for _, a in self.request(self.family, cmd, _attr(_ATTR_IFINDEX, struct.pack("=I", ifi.index)))]

    def bss(self, ifi: Interface) -> BSS | None:
        return next((b for b in map(parse_bss, self._per_interface(_CMD_GET_SCAN, ifi)) if b), None)

    def stations(self, ifi: Interface) -> list[Station]:
        return [s for s in map(parse_station, self._per_interface(_CMD_GET_STATION, ifi)) if s]


# Errors that mean "this statistic does not exist for this interface or system".
_ABSENT = (errno.ENOENT, errno.EOPNOTSUPP, errno.ENODEV, errno.EINVAL)


@dataclass(frozen=True, slots=True)
class WifiOptions:
    fixtures: str = flag("fixtures", "test fixtures to use for wifi collector metrics", "")


@collector("wifi", default=False, options=WifiOptions)
class WifiCollector(Collector[WifiOptions]):
    def __init__(self, ctx: CollectorContext[WifiOptions]) -> None:
        super().__init__(ctx)
        self.fixtures: str = self.options.fixtures

    def _fixture(self, *parts: str) -> str | None:
        try:
            return read_text(os.path.join(self.fixtures, *parts))
        except FileNotFoundError:
            return None

    def _from_fixtures(self) -> Iterator[tuple[Interface, BSS | None, list[Station]]]:
        text = self._fixture("interfaces.json")
        if text is None:
            raise CollectorError("failed to retrieve wifi interfaces: no interfaces.json fixture")
        for ifi in parse_interfaces_json(text):
            if not ifi.name:
                continue
            bss_text = self._fixture(ifi.name, "bss.json")
            sta_text = self._fixture(ifi.name, "stationinfo.json")
            yield (ifi, parse_bss_json(bss_text) if bss_text is not None else None,
                   parse_stations_json(sta_text) if sta_text is not None else [])

    def _from_netlink(self) -> Iterator[tuple[Interface, BSS | None, list[Station]]]:
        try:
            client = Nl80211()
        except OSError as err:
            # No nl80211 (no WiFi driver loaded) or no permission: nothing to report, as upstream.
            if err.errno in (errno.ENOENT, errno.EACCES, errno.EPERM):
                raise NoDataError(f"wifi collector metrics are not available for this system: {err}") from None
            raise
        try:
            for ifi in client.interfaces():
                if not ifi.name:
                    continue
                try:
                    bss = client.bss(ifi)
                except OSError as err:
                    if err.errno not in _ABSENT:
                        raise
                    bss = None
                try:
                    stations = client.stations(ifi)
                except OSError as err:
                    if err.errno not in _ABSENT:
                        raise
                    stations = []
                yield ifi, bss, stations
        finally:
            client.close()

    def collect(self) -> Iterator[Metric]:
        sta = ["device", "mac_address"]
        freq = GaugeMetricFamily("node_wifi_interface_frequency_hertz",
                                 "The current frequency a WiFi interface is operating at, in hertz.",
                                 labels=["device"])
        info = GaugeMetricFamily("node_wifi_station_info",
                                 "Labeled WiFi interface station information as provided by the operating system.",
                                 labels=["device", "bssid", "ssid", "mode"])
        station_families: list[tuple[GaugeMetricFamily | CounterMetricFamily, str]] = [
            (CounterMetricFamily("node_wifi_station_connected_seconds_total",
                                 "The total number of seconds a station has been connected to an access point.",
                                 labels=sta), "connected"),
            (GaugeMetricFamily("node_wifi_station_inactive_seconds",
                               "The number of seconds since any wireless activity has occurred on a station.",
                               labels=sta), "inactive"),
            (GaugeMetricFamily("node_wifi_station_receive_bits_per_second",
                               "The current WiFi receive bitrate of a station, in bits per second.",
                               labels=sta), "receive_bitrate"),
            (GaugeMetricFamily("node_wifi_station_transmit_bits_per_second",
                               "The current WiFi transmit bitrate of a station, in bits per second.",
                               labels=sta), "transmit_bitrate"),
            (CounterMetricFamily("node_wifi_station_receive_bytes_total",
                                 "The total number of bytes received by a WiFi station.",
                                 labels=sta), "received_bytes"),
            (CounterMetricFamily("node_wifi_station_transmit_bytes_total",
                                 "The total number of bytes transmitted by a WiFi station.",
                                 labels=sta), "transmitted_bytes"),
            (CounterMetricFamily("node_wifi_station_received_packets_total",
                                 "The total number of packets received by a station.",
                                 labels=sta), "received_packets"),
            (CounterMetricFamily("node_wifi_station_transmitted_packets_total",
                                 "The total number of packets transmitted by a station.",
                                 labels=sta), "transmitted_packets"),
            (GaugeMetricFamily("node_wifi_station_signal_dbm",
                               "The current WiFi signal strength, in decibel-milliwatts (dBm).",
                               labels=sta), "signal"),
            (CounterMetricFamily("node_wifi_station_transmit_retries_total",
                                 "The total number of times a station has had to retry while sending a packet.",
                                 labels=sta), "transmit_retries"),
            (CounterMetricFamily("node_wifi_station_transmit_failed_total",
                                 "The total number of times a station has failed to send a packet.",
                                 labels=sta), "transmit_failed"),
            (CounterMetricFamily("node_wifi_station_beacon_loss_total",
                                 "The total number of times a station has detected a beacon loss.",
                                 labels=sta), "beacon_loss"),
        ]
        source = self._from_fixtures() if self.fixtures else self._from_netlink()
        for ifi, bss, stations in source:
            freq.add_metric([ifi.name], ifi.frequency * 1e6)
            if bss is not None:
                info.add_metric([ifi.name, bss.bssid, bss.ssid, bss_mode(bss.status)], 1.0)
            for station in stations:
                for family, attr in station_families:
                    family.add_metric([ifi.name, station.mac], float(getattr(station, attr)))
        yield freq
        yield info
        for family, _ in station_families:
            yield family
