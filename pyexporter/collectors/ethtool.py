"""ethtool: driver information, link modes and NIC statistics over the SIOCETHTOOL ioctl, as
node_exporter's ethtool collector (collector/ethtool_linux.go: ethtoolCollector.Update,
updateSpeeds, updatePortInfo, updatePortCapabilities, buildEthtoolFQName, entryWithCreate;
collector/helper.go: SanitizeMetricName; over github.com/safchain/ethtool: DriverInfo,
StatsWithBuffer, EthtoolCmd.CmdGet; the interfaces listed as procfs's sysfs/net_class.go
NetClassDevices lists them; off by default).

For every interface of /sys/class/net (entries that are not regular files: links and folders;
in fixture trees unpacked without symlinks, the small files naming a link's target count as
links) that the device filter keeps:

- link modes: ETHTOOL_GSET (struct ethtool_cmd), as safchain's CmdGet. Only the first 32 link
  mode bits exist there, as in node_exporter, whose masks are uint32. Where GSET answers
  EOPNOTSUPP, ETHTOOL_GLINKSETTINGS is tried (its first 32 bits): a deliberate addition that
  changes nothing on kernels that serve GSET for every driver with link settings (all so far).
- driver information: ETHTOOL_GDRVINFO (struct ethtool_drvinfo) -> node_ethtool_info.
- statistics: ETHTOOL_GDRVINFO's n_stats, then ETHTOOL_GSTRINGS (ETH_SS_STATS) and
  ETHTOOL_GSTATS, as safchain's StatsWithBuffer: names cut at their first NUL, empty names
  dropped, a later duplicate name replacing an earlier one.

An ioctl that fails with EOPNOTSUPP skips that part of the interface (logged at debug level);
any other failure is logged as an error and skips that part likewise, as Go does.

The statistics' values are looked up under their original names: node_exporter until PR #3335
(merged May 2025; Debian's 1.5.0 included) looked them up under their sanitized names and so
reported 0 for every statistic whose name sanitizing changes (`port.rx_dropped`); its current
test expects the value. A statistic whose sanitized name is one of the link families' keys
(`autonegotiate`, ...) is dropped: Go would serve it inside that gauge family, or panic.

The AF_INET socket is opened for each scrape (Go opens one when the collector is built), so a
host where sockets cannot be made fails the collector's scrapes rather than its start.

The struct packing and decoding are pure functions (bytes in, records out); the ioctl layer is
the `EthtoolSource` an instance holds in `source`: `IoctlEthtool` on a live system, and
`FixtureEthtool`, which reads node_exporter's test fixtures (collector/ethtool_linux_test.go's
EthtoolFixture: <dir>/<iface>/{driver,settings,statistics}, `ethtool -i`, `ethtool` and
`ethtool -S` output), for tests. node_exporter has no flag for that; neither has pyexporter.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import re
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import FamilyIndex, GaugeMetricFamily
from pyexporter.toolkit.files import decode, printable, read_bytes, read_text
from pyexporter.toolkit.filters import DeviceFilter

# ---------------------------------------------------------------------------------------------
# The kernel's structures (include/uapi/linux/ethtool.h) and requests.

SIOCETHTOOL = 0x8946
IFNAMSIZ = 16
ETHTOOL_GSET = 0x01
ETHTOOL_GDRVINFO = 0x03
ETHTOOL_GSTRINGS = 0x1B
ETHTOOL_GSTATS = 0x1D
ETHTOOL_GLINKSETTINGS = 0x4C
ETH_SS_STATS = 1
ETH_GSTRING_LEN = 32
# safchain's MAX_GSTRINGS: the most statistics one interface may have.
MAX_GSTRINGS = 32768

# struct ifreq: the name, then the union of which SIOCETHTOOL uses the data pointer.
_IFREQ = struct.Struct("@16sP")
_IFREQ_SIZE = 40
# struct ethtool_drvinfo: cmd, driver[32], version[32], fw_version[32], bus_info[32],
# erom_version[32], reserved2[12], n_priv_flags, n_stats, testinfo_len, eedump_len, regdump_len.
_DRVINFO = struct.Struct("=I32s32s32s32s32s12sIIIII")
# struct ethtool_cmd: cmd, supported, advertising, speed, duplex, port, phy_address, transceiver,
# autoneg, mdio_support, maxtxpkt, maxrxpkt, speed_hi, eth_tp_mdix, eth_tp_mdix_ctrl,
# lp_advertising, reserved[2].
_CMD = struct.Struct("=IIIHBBBBBBIIHBBIII")
# struct ethtool_link_settings without its masks: cmd, speed, duplex, port, phy_address, autoneg,
# mdio_support, eth_tp_mdix, eth_tp_mdix_ctrl, link_mode_masks_nwords (signed), transceiver,
# master_slave_cfg, master_slave_state, rate_matching, reserved[7].
_LINK_SETTINGS = struct.Struct("=IIBBBBBBBbBBBB7I")
# struct ethtool_gstrings and struct ethtool_stats without their data.
_GSTRINGS = struct.Struct("=III")
_STATS = struct.Struct("=II")


class EthtoolDecodeError(ValueError):
    """A kernel answer too short for its structure."""


@dataclass(frozen=True, slots=True)
class DriverInfo:
    """safchain's DrvInfo, the fields node_exporter uses."""

    driver: str = ""
    version: str = ""
    fw_version: str = ""
    bus_info: str = ""
    erom_version: str = ""
    n_stats: int = 0


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """safchain's EthtoolCmd, the fields node_exporter uses: link mode bit masks (the first 32
    bits) and whether autonegotiation is on."""

    supported: int = 0
    advertising: int = 0
    autoneg: int = 0


def _c_string(raw: bytes) -> str:
    """safchain's goString: the bytes before the first NUL (all of them when there is none)."""
    end = raw.find(b"\0")
    return decode(raw if end < 0 else raw[:end])


def _need(data: bytes, size: int, what: str) -> None:
    if len(data) < size:
        raise EthtoolDecodeError(f"{what}: {len(data)} bytes, want {size}")


def pack_drvinfo_request() -> bytes:
    return _DRVINFO.pack(ETHTOOL_GDRVINFO, b"", b"", b"", b"", b"", b"", 0, 0, 0, 0, 0)


def decode_drvinfo(data: bytes) -> DriverInfo:
    _need(data, _DRVINFO.size, "ethtool_drvinfo")
    (_, driver, version, fw_version, bus_info, erom_version, _, _, n_stats, _, _,
     _) = _DRVINFO.unpack_from(data)
    return DriverInfo(_c_string(driver), _c_string(version), _c_string(fw_version),
                      _c_string(bus_info), _c_string(erom_version), n_stats)


def pack_cmd_request() -> bytes:
    return _CMD.pack(ETHTOOL_GSET, *([0] * 17))


def decode_cmd(data: bytes) -> LinkInfo:
    _need(data, _CMD.size, "ethtool_cmd")
    fields = _CMD.unpack_from(data)
    return LinkInfo(supported=fields[1], advertising=fields[2], autoneg=fields[8])


def pack_link_settings_request(nwords: int = 0) -> bytes:
    """GLINKSETTINGS: first asked with no masks (NWORDS 0), which the kernel answers with the
    negated number of 32-bit words each mask has; then asked again with that many."""
    header = _LINK_SETTINGS.pack(ETHTOOL_GLINKSETTINGS, 0, 0, 0, 0, 0, 0, 0, 0, nwords, 0, 0, 0, 0,
                                 *([0] * 7))
    return header + bytes(3 * 4 * max(nwords, 0))


def decode_link_settings(data: bytes) -> tuple[int, LinkInfo]:
    """(link_mode_masks_nwords, link info); the masks read only when nwords is positive."""
    _need(data, _LINK_SETTINGS.size, "ethtool_link_settings")
    fields = _LINK_SETTINGS.unpack_from(data)
    autoneg, nwords = fields[5], fields[9]
    if nwords <= 0:
        return nwords, LinkInfo(autoneg=autoneg)
    _need(data, _LINK_SETTINGS.size + 3 * 4 * nwords, "ethtool_link_settings masks")
    words = struct.unpack_from(f"={3 * nwords}I", data, _LINK_SETTINGS.size)
    # The first word of map_supported and of map_advertising: what ethtool_cmd holds.
    return nwords, LinkInfo(supported=words[0], advertising=words[nwords], autoneg=autoneg)


def pack_gstrings_request(count: int, capacity: int = MAX_GSTRINGS) -> bytes:
    return _GSTRINGS.pack(ETHTOOL_GSTRINGS, ETH_SS_STATS, count) + bytes(capacity * ETH_GSTRING_LEN)


def decode_gstrings(data: bytes, count: int) -> list[str]:
    """The COUNT names of a GSTRINGS answer, each cut at its first NUL ("" where empty)."""
    _need(data, _GSTRINGS.size + count * ETH_GSTRING_LEN, "ethtool_gstrings")
    base = _GSTRINGS.size
    return [_c_string(data[base + i * ETH_GSTRING_LEN: base + (i + 1) * ETH_GSTRING_LEN])
            for i in range(count)]


def pack_stats_request(count: int, capacity: int = MAX_GSTRINGS) -> bytes:
    return _STATS.pack(ETHTOOL_GSTATS, count) + bytes(capacity * 8)


def decode_stats(data: bytes, count: int) -> list[int]:
    _need(data, _STATS.size + count * 8, "ethtool_stats")
    return list(struct.unpack_from(f"={count}Q", data, _STATS.size))


def combine_stats(names: list[str], values: list[int]) -> dict[str, int]:
    """safchain's map of name -> value: empty names dropped, the last of a repeated name kept."""
    return {name: value for name, value in zip(names, values, strict=False) if name}


def pack_ifreq(device: str, address: int) -> bytearray:
    name = os.fsencode(device)[:IFNAMSIZ]  # safchain copies at most IFNAMSIZ bytes
    request = bytearray(_IFREQ_SIZE)
    _IFREQ.pack_into(request, 0, name, address)
    return request


# ---------------------------------------------------------------------------------------------
# Where the answers come from.


class EthtoolSource(Protocol):
    """node_exporter's Ethtool interface. Each method raises OSError with the errno of a failed
    ioctl (EOPNOTSUPP: the driver does not offer it), or ValueError for an answer it cannot use."""

    def driver_info(self, device: str) -> DriverInfo: ...

    def stats(self, device: str) -> dict[str, int]: ...

    def link_info(self, device: str) -> LinkInfo: ...

    def close(self) -> None: ...


# ioctl(fd, request, struct ifreq): raises OSError with the errno of a failure.
IoctlFunction = Callable[[int, int, bytearray], object]


def kernel_ioctl(fd: int, request: int, ifreq: bytearray) -> None:
    fcntl.ioctl(fd, request, ifreq, True)


class IoctlEthtool:
    """SIOCETHTOOL on an AF_INET datagram socket (of the network namespace it was opened in).
    IOCTL is the system call; tests give a fake that answers through the ifreq's data pointer."""

    def __init__(self, ioctl: IoctlFunction = kernel_ioctl) -> None:
        self._ioctl = ioctl
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC,
                                   socket.IPPROTO_IP)

    def close(self) -> None:
        self._sock.close()

    def _call(self, device: str, request: bytes, room: int = 0) -> bytes:
        """REQUEST (a struct ethtool_* with its cmd) for DEVICE; the struct as the kernel left it,
        as long as REQUEST. ROOM more bytes follow it in the buffer the kernel writes to, unread."""
        buf = ctypes.create_string_buffer(len(request) + room)
        ctypes.memmove(buf, request, len(request))
        self._ioctl(self._sock.fileno(), SIOCETHTOOL, pack_ifreq(device, ctypes.addressof(buf)))
        return ctypes.string_at(buf, len(request))

    def driver_info(self, device: str) -> DriverInfo:
        return decode_drvinfo(self._call(device, pack_drvinfo_request()))

    def link_info(self, device: str) -> LinkInfo:
        try:
            return decode_cmd(self._call(device, pack_cmd_request()))
        except OSError as err:
            if err.errno != errno.EOPNOTSUPP:
                raise
            first = err
        try:
            nwords, _ = decode_link_settings(self._call(device, pack_link_settings_request(0)))
            if nwords >= 0:
                raise first  # not the kernel's handshake: keep GSET's answer
            _, info = decode_link_settings(self._call(device, pack_link_settings_request(-nwords)))
        except OSError:
            raise first from None
        return info

    def stats(self, device: str) -> dict[str, int]:
        count = self.driver_info(device).n_stats
        if count > MAX_GSTRINGS:
            raise ValueError(f"ethtool currently doesn't support more than {MAX_GSTRINGS} entries, "
                             f"received {count}")
        # Room for MAX_GSTRINGS entries, as safchain has: the kernel writes as many as the driver
        # has by the time of each call, which may be more than COUNT.
        spare = MAX_GSTRINGS - count
        names = decode_gstrings(self._call(device, pack_gstrings_request(count, count),
                                           spare * ETH_GSTRING_LEN), count)
        values = decode_stats(self._call(device, pack_stats_request(count, count), spare * 8), count)
        return combine_stats(names, values)


# node_exporter's test fixtures: `ethtool` output -> link mode bits (ethtool_linux_test.go's
# readModes and readPortTypes know these names only).
_FIXTURE_MODES = {
    "10baseT/Half": 0, "10baseT/Full": 1, "100baseT/Half": 2, "100baseT/Full": 3,
    "1000baseT/Half": 4, "1000baseT/Full": 5, "10000baseT/Full": 12,
}
_FIXTURE_PORTS = {"TP": 7, "MII": 9}
_AUTONEG_BIT, _PAUSE_BIT, _ASYM_PAUSE_BIT = 6, 13, 14


def _fixture_modes(text: str) -> int:
    out = 0
    for mode in text.split(" "):
        if mode in _FIXTURE_MODES:
            out |= 1 << _FIXTURE_MODES[mode]
    return out


def parse_fixture_driver(text: str) -> DriverInfo:
    """EthtoolFixture.DriverInfo: `ethtool -i` output."""
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        if line.startswith("#"):
            continue
        items = line.strip(" ").split(": ")
        if items[0] in ("driver", "version", "firmware-version", "bus-info", "expansion-rom-version"):
            if len(items) < 2:
                raise ValueError(f"driver fixture line {line!r} has no value")
            fields[items[0]] = items[1]
    return DriverInfo(driver=fields.get("driver", ""), version=fields.get("version", ""),
                      fw_version=fields.get("firmware-version", ""),
                      bus_info=fields.get("bus-info", ""),
                      erom_version=fields.get("expansion-rom-version", ""))


def parse_fixture_statistics(text: str) -> dict[str, int]:
    """EthtoolFixture.Stats: `ethtool -S` output; a line `ERROR: N` fails with errno N."""
    stats: dict[str, int] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # bufio.Scanner yields no line after a final newline
    for line in lines:
        if line.startswith("#") or line.startswith("NIC statistics:"):
            continue
        items = line.strip(" ").split(": ")
        if len(items) < 2 or not items[1].isascii() or not items[1].isdigit():
            raise ValueError(f"statistics fixture line {line!r} has no unsigned value")
        value = int(items[1])
        if value >= 1 << 64:
            raise ValueError(f"statistics fixture value {items[1]!r} out of range")
        if items[0] == "ERROR":
            raise OSError(value, os.strerror(value))
        stats[items[0]] = value
    return stats


def parse_fixture_settings(text: str) -> LinkInfo:
    """EthtoolFixture.LinkInfo: `ethtool` output."""
    supported = advertising = autoneg = 0
    reading_supported = reading_advertised = False
    for raw in text.split("\n"):
        if raw.startswith("#") or raw.startswith("Settings for"):
            continue
        line = raw.strip(" \t")
        if (reading_supported or reading_advertised) and ":" in line:
            reading_supported = reading_advertised = False
        if reading_advertised:
            advertising |= _fixture_modes(line)
            continue
        if reading_supported:
            supported |= _fixture_modes(line)
            continue
        key, _, value = line.partition(": ")
        if key == "Supported pause frame use":
            supported |= {"Symmetric": 1 << _PAUSE_BIT, "Receive-only": 1 << _ASYM_PAUSE_BIT}.get(value, 0)
        elif key == "Advertised pause frame use":
            advertising |= {"Symmetric": 1 << _PAUSE_BIT, "Receive-only": 1 << _ASYM_PAUSE_BIT}.get(value, 0)
        elif key == "Supported ports":
            for port in value.split(" "):
                bit = _FIXTURE_PORTS.get(port.strip(" \t"))
                if bit is not None:
                    supported |= 1 << bit
        elif key == "Supported link modes":
            supported |= _fixture_modes(value)
            reading_supported = True
        elif key == "Advertised link modes":
            advertising |= _fixture_modes(value)
            reading_advertised = True
        elif key == "Supports auto-negotiation" and value == "Yes":
            supported |= 1 << _AUTONEG_BIT
        elif key == "Advertised auto-negotiation" and value == "Yes":
            advertising |= 1 << _AUTONEG_BIT
        elif key == "Auto-negotiation" and value == "on":
            autoneg = 1
    return LinkInfo(supported, advertising, autoneg)


class FixtureEthtool:
    """ethtool_linux_test.go's EthtoolFixture: <dir>/<iface>/{driver,settings,statistics}; a
    missing file answers EOPNOTSUPP, as an interface without that ioctl."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def close(self) -> None:
        pass

    def _read(self, device: str, name: str) -> str:
        try:
            return read_text(os.path.join(self.directory, device, name))
        except FileNotFoundError:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP)) from None

    def driver_info(self, device: str) -> DriverInfo:
        return parse_fixture_driver(self._read(device, "driver"))

    def stats(self, device: str) -> dict[str, int]:
        return parse_fixture_statistics(self._read(device, "statistics"))

    def link_info(self, device: str) -> LinkInfo:
        return parse_fixture_settings(self._read(device, "settings"))


# ---------------------------------------------------------------------------------------------
# Names.

_SANITIZE = re.compile(r"_*[^0-9A-Za-z_]+_*")
_RECEIVED = re.compile(r"(^|_)rx(_|$)")
_TRANSMIT = re.compile(r"(^|_)tx(_|$)")


def sanitize_metric_name(name: str) -> str:
    """helper.go's SanitizeMetricName: each run of characters outside [0-9A-Za-z_], with the
    underscores around it, becomes one underscore."""
    return _SANITIZE.sub("_", name)


def ethtool_fq_name(metric: str) -> str:
    """buildEthtoolFQName: sanitized, lower case, leading underscores dropped, rx/tx words spelt
    out, under node_ethtool_."""
    name = sanitize_metric_name(metric).lower().lstrip("_")
    name = _RECEIVED.sub(r"\g<1>received\g<2>", name)
    name = _TRANSMIT.sub(r"\g<1>transmitted\g<2>", name)
    return f"node_ethtool_{name}"


# makeEthtoolCollector's pre-populated entries: key -> (family name, HELP). Statistics under
# these (sanitized) names are served under these families.
_STAT_ENTRIES = {
    "rx_bytes": ("node_ethtool_received_bytes_total", "Network interface bytes received"),
    "rx_dropped": ("node_ethtool_received_dropped_total", "Number of received frames dropped"),
    "rx_errors": ("node_ethtool_received_errors_total", "Number of received frames with errors"),
    "rx_packets": ("node_ethtool_received_packets_total", "Network interface packets received"),
    "tx_bytes": ("node_ethtool_transmitted_bytes_total", "Network interface bytes sent"),
    "tx_errors": ("node_ethtool_transmitted_errors_total", "Number of sent frames with errors"),
    "tx_packets": ("node_ethtool_transmitted_packets_total", "Network interface packets sent"),
}
_LINK_ENTRIES = {
    "supported_port": ("node_network_supported_port_info",
                       "Type of ports or PHYs supported by network device", ("device", "type")),
    "supported_speed": ("node_network_supported_speed_bytes",
                        "Combination of speeds and features supported by network device",
                        ("device", "duplex", "mode")),
    "supported_autonegotiate": ("node_network_autonegotiate_supported",
                                "If this port device supports autonegotiate", ("device",)),
    "supported_pause": ("node_network_pause_supported",
                        "If this port device supports pause frames", ("device",)),
    "supported_asymmetricpause": ("node_network_asymmetricpause_supported",
                                  "If this port device supports asymmetric pause frames", ("device",)),
    "advertised_speed": ("node_network_advertised_speed_bytes",
                         "Combination of speeds and features offered by network device",
                         ("device", "duplex", "mode")),
    "advertised_autonegotiate": ("node_network_autonegotiate_advertised",
                                 "If this port device offers autonegotiate", ("device",)),
    "advertised_pause": ("node_network_pause_advertised",
                         "If this port device offers pause capability", ("device",)),
    "advertised_asymmetricpause": ("node_network_asymmetricpause_advertised",
                                   "If this port device offers asymmetric pause capability", ("device",)),
    "autonegotiate": ("node_network_autonegotiate", "If this port is using autonegotiate", ("device",)),
}
_INFO = ("node_ethtool_info",
         "A metric with a constant '1' value labeled by bus_info, device, driver, "
         "expansion_rom_version, firmware_version, version.",
         ("bus_info", "device", "driver", "expansion_rom_version", "firmware_version", "version"))

# ethtool_link_mode_bit_indices -> (speed in Mb/s, duplex, PHY), updateSpeeds's table.
_HALF, _FULL = "half", "full"
_SPEEDS: dict[int, tuple[int, str, str]] = {
    0: (10, _HALF, "T"), 1: (10, _FULL, "T"), 2: (100, _HALF, "T"), 3: (100, _FULL, "T"),
    4: (1000, _HALF, "T"), 5: (1000, _FULL, "T"), 12: (10000, _FULL, "T"), 47: (2500, _FULL, "T"),
    17: (1000, _FULL, "KX"), 18: (10000, _FULL, "KX4"), 19: (10000, _FULL, "KR"),
    20: (10000, _FULL, "R_FEC"), 21: (20000, _FULL, "MLD2"), 22: (20000, _FULL, "KR2"),
    23: (40000, _FULL, "KR4"), 24: (40000, _FULL, "CR4"), 25: (40000, _FULL, "SR4"),
    26: (40000, _FULL, "LR4"), 27: (56000, _FULL, "KR4"), 28: (56000, _FULL, "CR4"),
    29: (56000, _FULL, "SR4"), 30: (56000, _FULL, "LR4"), 31: (25000, _FULL, "CR"),
    32: (25000, _FULL, "KR"), 33: (25000, _FULL, "SR"), 34: (50000, _FULL, "CR2"),
    35: (50000, _FULL, "KR2"), 36: (100000, _FULL, "KR4"), 37: (100000, _FULL, "SR4"),
    38: (100000, _FULL, "CR4"), 39: (100000, _FULL, "R4_ER4"), 40: (50000, _FULL, "SR2"),
    41: (1000, _FULL, "X"), 42: (10000, _FULL, "CR"), 43: (10000, _FULL, "SR"),
    44: (10000, _FULL, "LR"), 45: (10000, _FULL, "LRM"), 46: (10000, _FULL, "ER"),
    48: (5000, _FULL, "T"), 52: (50000, _FULL, "KR"), 53: (50000, _FULL, "SR"),
    54: (50000, _FULL, "CR"), 55: (50000, _FULL, "LR_ER_FR"), 56: (50000, _FULL, "DR"),
    57: (100000, _FULL, "KR2"), 58: (100000, _FULL, "SR2"), 59: (100000, _FULL, "CR2"),
    60: (100000, _FULL, "LR2_ER2_FR2"), 61: (100000, _FULL, "DR2"), 62: (200000, _FULL, "KR4"),
    63: (200000, _FULL, "SR4"), 64: (200000, _FULL, "LR4_ER4_FR4"), 65: (200000, _FULL, "DR4"),
    66: (200000, _FULL, "CR4"), 67: (100, _FULL, "T1"), 68: (1000, _FULL, "T1"),
    69: (400000, _FULL, "KR8"), 70: (400000, _FULL, "SR8"), 71: (400000, _FULL, "LR8_ER8_FR8"),
    72: (400000, _FULL, "DR8"), 73: (400000, _FULL, "CR8"), 75: (100000, _FULL, "KR"),
    76: (100000, _FULL, "SR"), 77: (100000, _FULL, "LR_ER_FR"), 78: (100000, _FULL, "CR"),
    79: (100000, _FULL, "DR"), 80: (200000, _FULL, "KR2"), 81: (200000, _FULL, "SR2"),
    82: (200000, _FULL, "LR2_ER2_FR2"), 83: (200000, _FULL, "DR2"), 84: (200000, _FULL, "CR2"),
    85: (400000, _FULL, "KR4"), 86: (400000, _FULL, "SR4"), 87: (400000, _FULL, "LR4_ER4_FR4"),
    88: (400000, _FULL, "DR4"), 89: (400000, _FULL, "CR4"), 90: (100, _HALF, "FX"),
    91: (100, _FULL, "FX"),
}
_PORTS = {"TP": 7, "AUI": 8, "MII": 9, "FIBRE": 10, "BNC": 11, "Backplane": 16}
_MBPS_IN_BYTES = 1000000.0 / 8.0
_MASK32 = 0xFFFFFFFF  # node_exporter's link modes are uint32: bits 32 and up never match


def link_speeds(modes: int) -> list[tuple[str, str, float]]:
    """updateSpeeds: (duplex, mode, bytes per second) for each speed bit set in MODES."""
    modes &= _MASK32
    return [(duplex, f"{speed}base{phy}", speed * _MBPS_IN_BYTES)
            for bit, (speed, duplex, phy) in sorted(_SPEEDS.items()) if modes & (1 << bit)]


def link_ports(modes: int) -> list[str]:
    """updatePortInfo: the port types whose bit is set in MODES."""
    return [name for name, bit in _PORTS.items() if modes & _MASK32 & (1 << bit)]


def link_capabilities(modes: int) -> tuple[float, float, float]:
    """updatePortCapabilities: (autonegotiate, pause, asymmetric pause) as 0 or 1."""
    return (float(bool(modes & (1 << _AUTONEG_BIT))), float(bool(modes & (1 << _PAUSE_BIT))),
            float(bool(modes & (1 << _ASYM_PAUSE_BIT))))


def select_stats(stats: dict[str, int], pattern: re.Pattern[str] | None
                 ) -> tuple[list[tuple[str, str, int]], list[tuple[str, list[str]]]]:
    """Update's statistics step: ([(family name, key, value)] sorted by family name, the clashes
    dropped as [(family name, keys)]). The key is the sanitized name, which metrics-include is
    matched against; statistics whose family names collide are all dropped."""
    by_name: dict[str, list[tuple[str, int]]] = {}
    for metric, value in stats.items():
        key = sanitize_metric_name(metric)
        if pattern is not None and not pattern.search(key):
            continue
        by_name.setdefault(ethtool_fq_name(key), []).append((key, value))
    kept, dropped = [], []
    for name in sorted(by_name):
        entries = by_name[name]
        if len(entries) == 1:
            kept.append((name, entries[0][0], entries[0][1]))
        else:
            dropped.append((name, [key for key, _ in entries]))
    return kept, dropped


# ---------------------------------------------------------------------------------------------
# The collector.


@dataclass(frozen=True, slots=True)
class EthtoolOptions:
    device_include: re.Pattern[str] | None = flag(
        "device-include",
        "Regexp of ethtool devices to include (mutually exclusive to device-exclude).",
        "")
    device_exclude: re.Pattern[str] | None = flag(
        "device-exclude",
        "Regexp of ethtool devices to exclude (mutually exclusive to device-include).",
        "")
    metrics_include: re.Pattern[str] | None = flag(
        "metrics-include", "Regexp of ethtool stats to include.", ".*")


def _is_link_stand_in(path: str) -> bool:
    """A small regular file naming a link's target: a symlink of a fixture tree unpacked
    without symlinks (real sysfs attributes never begin with "../")."""
    try:
        return decode(read_bytes(path, limit=1024)).startswith("../")
    except OSError:
        return False


@collector("ethtool", default=False, options=EthtoolOptions)
class EthtoolCollector(Collector[EthtoolOptions]):
    def __init__(self, ctx: CollectorContext[EthtoolOptions], source: EthtoolSource | None = None) -> None:
        super().__init__(ctx)
        # node_exporter neither refuses both filters together nor needs either.
        self.filter = DeviceFilter(self.options.device_exclude, self.options.device_include)
        self.metrics_pattern = self.options.metrics_include
        # Tests put a FixtureEthtool here; None opens an IoctlEthtool for each scrape.
        self.source: EthtoolSource | None = source
        if self.options.device_include is not None:
            self.log.info("Parsed flag --collector.ethtool.device-include",
                          extra={"kv": {"flag": self.options.device_include.pattern}})
        if self.options.device_exclude is not None:
            self.log.info("Parsed flag --collector.ethtool.device-exclude",
                          extra={"kv": {"flag": self.options.device_exclude.pattern}})
        if self.options.metrics_include is not None:
            self.log.info("Parsed flag --collector.ethtool.metrics-include",
                          extra={"kv": {"flag": self.options.metrics_include.pattern}})

    def devices(self) -> list[str]:
        """NetClassDevices: the entries of /sys/class/net that are not regular files, sorted."""
        class_dir = self.paths.sys("class", "net")
        try:
            entries = sorted(os.listdir(class_dir))
        except (FileNotFoundError, NotADirectoryError, PermissionError) as err:
            self.log.debug("Could not read netclass file", extra={"kv": {"err": str(err)}})
            raise NoDataError(f"could not read {class_dir}: {err}") from None
        except OSError as err:
            raise CollectorError(f"could not get net class info: {err}") from None
        devices = []
        for entry in entries:
            path = os.path.join(class_dir, entry)
            if os.path.islink(path) or not os.path.isfile(path) or _is_link_stand_in(path):
                devices.append(entry)
        return devices

    def collect(self) -> Iterable[Metric]:
        devices = self.devices()
        if not devices:
            raise CollectorError("no network devices found")
        source = self.source
        own = source is None
        if source is None:
            try:
                source = IoctlEthtool()
            except OSError as err:
                raise CollectorError(f"failed to initialize ethtool library: {err}") from None
        try:
            index = FamilyIndex()
            for device in devices:
                if not self.filter.ignored(device):
                    self._device(index, source, device)
            return index.families()
        finally:
            if own:
                source.close()

    def _failed(self, message: str, device: str, err: Exception) -> None:
        """Update's handling of a failed request: EOPNOTSUPP at debug level, errno 0 not at all,
        anything else as an error; the interface's other requests go on."""
        kv: dict[str, object] = {"err": str(err), "device": printable(device)}
        level = logging.ERROR
        if isinstance(err, OSError) and err.errno is not None:
            kv["errno"] = err.errno
            if err.errno == 0:
                return
            if err.errno == errno.EOPNOTSUPP:
                level = logging.DEBUG
        self.log.log(level, message, extra={"kv": kv})

    def _device(self, index: FamilyIndex, source: EthtoolSource, device: str) -> None:
        try:
            link = source.link_info(device)
        except (OSError, ValueError) as err:
            self._failed("ethtool link info error", device, err)
        else:
            self._speeds(index, "supported", device, link.supported)
            for port in link_ports(link.supported):
                self._gauge(index, "supported_port").add_metric([device, port], 1.0)
            self._capabilities(index, "supported", device, link.supported)
            self._speeds(index, "advertised", device, link.advertising)
            self._capabilities(index, "advertised", device, link.advertising)
            self._gauge(index, "autonegotiate").add_metric([device], float(link.autoneg))

        try:
            info = source.driver_info(device)
        except (OSError, ValueError) as err:
            self._failed("ethtool driver info error", device, err)
        else:
            index.gauge(*_INFO).add_metric(
                [info.bus_info, device, info.driver, info.erom_version, info.fw_version, info.version],
                1.0)

        try:
            stats = source.stats(device)
        except (OSError, ValueError) as err:
            self._failed("ethtool stats error", device, err)
            return
        kept, dropped = select_stats(stats, self.metrics_pattern)
        for name, keys in dropped:
            self.log.debug("dropping duplicate metric name", extra={"kv": {
                "device": printable(device), "metricFQName": name, "metrics": ", ".join(keys)}})
        for name, key, value in kept:
            entry = _STAT_ENTRIES.get(key)
            if entry is not None:
                index.untyped(entry[0], entry[1], ("device",)).add_metric([device], float(value))
            elif key in _LINK_ENTRIES:
                # Go serves such a statistic under the link family's descriptor, a gauge family
                # (or panics, where that takes more labels): an invalid exposition either way.
                self.log.debug("dropping statistic named as a link metric", extra={"kv": {
                    "device": printable(device), "metric": key}})
            else:
                index.untyped(name, f"Network interface {key}", ("device",)).add_metric(
                    [device], float(value))

    @staticmethod
    def _gauge(index: FamilyIndex, key: str) -> GaugeMetricFamily:
        family, help_text, labels = _LINK_ENTRIES[key]
        return index.gauge(family, help_text, labels)

    def _speeds(self, index: FamilyIndex, prefix: str, device: str, modes: int) -> None:
        for duplex, mode, speed in link_speeds(modes):
            self._gauge(index, f"{prefix}_speed").add_metric([device, duplex, mode], speed)

    def _capabilities(self, index: FamilyIndex, prefix: str, device: str, modes: int) -> None:
        autoneg, pause, asym = link_capabilities(modes)
        self._gauge(index, f"{prefix}_autonegotiate").add_metric([device], autoneg)
        self._gauge(index, f"{prefix}_pause").add_metric([device], pause)
        self._gauge(index, f"{prefix}_asymmetricpause").add_metric([device], asym)

