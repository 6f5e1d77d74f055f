"""ethtool's pure parts: the kernel structures' packing and decoding (include/uapi/linux/ethtool.h,
as github.com/safchain/ethtool lays them out), node_exporter's name sanitizing and link mode
tables (collector/ethtool_linux.go), and the test fixtures' text format (ethtool_linux_test.go's
EthtoolFixture). Byte strings are built here field by field, not with the module's own structs."""

from __future__ import annotations

import ctypes
import errno
import re
import struct

import pytest

from pyexporter.collectors import ethtool as et


def u32(*values: int) -> bytes:
    return b"".join(v.to_bytes(4, "little") for v in values)


def cstr(text: bytes, size: int) -> bytes:
    return text.ljust(size, b"\0")


def drvinfo_bytes(driver: bytes = b"e1000e", version: bytes = b"5.11.0", fw: bytes = b"0.5-4",
                  bus: bytes = b"0000:00:1f.6", erom: bytes = b"", n_stats: int = 3) -> bytes:
    return (u32(et.ETHTOOL_GDRVINFO) + cstr(driver, 32) + cstr(version, 32) + cstr(fw, 32)
            + cstr(bus, 32) + cstr(erom, 32) + bytes(12) + u32(0, n_stats, 0, 0, 0))


# --- struct ethtool_drvinfo (safchain's DriverInfo) -------------------------------------------

def test_drvinfo_request_is_196_bytes_with_the_command_first() -> None:
    request = et.pack_drvinfo_request()
    assert len(request) == 196
    assert request[:4] == u32(0x03)
    assert request[4:] == bytes(192)


def test_drvinfo_decodes_each_string_to_its_first_nul() -> None:
    info = et.decode_drvinfo(drvinfo_bytes())
    assert info == et.DriverInfo("e1000e", "5.11.0", "0.5-4", "0000:00:1f.6", "", 3)


def test_drvinfo_string_without_nul_keeps_all_32_bytes_and_stops_at_the_first_nul() -> None:
    # goString: no NUL -> the whole field; bytes after a NUL (kernel garbage) are dropped.
    info = et.decode_drvinfo(drvinfo_bytes(driver=b"d" * 32, version=b"1.0\0junk"))
    assert info.driver == "d" * 32
    assert info.version == "1.0"


def test_drvinfo_truncated_is_an_error() -> None:
    with pytest.raises(et.EthtoolDecodeError):
        et.decode_drvinfo(drvinfo_bytes()[:195])
    with pytest.raises(et.EthtoolDecodeError):
        et.decode_drvinfo(b"")


def test_drvinfo_invalid_utf8_is_kept_as_surrogates() -> None:
    info = et.decode_drvinfo(drvinfo_bytes(driver=b"bad\xff"))
    assert info.driver == "bad\udcff"


# --- struct ethtool_cmd (safchain's EthtoolCmd, ETHTOOL_GSET) ----------------------------------

def cmd_bytes(supported: int, advertising: int, autoneg: int, speed: int = 1000) -> bytes:
    return (u32(et.ETHTOOL_GSET, supported, advertising) + speed.to_bytes(2, "little")
            + bytes([1, 0, 1, 0, autoneg, 0]) + u32(0, 0) + (0).to_bytes(2, "little") + bytes([0, 0])
            + u32(0) + u32(0, 0))


def test_cmd_request_is_44_bytes() -> None:
    request = et.pack_cmd_request()
    assert len(request) == 44
    assert request == u32(0x01) + bytes(40)


def test_cmd_decodes_masks_and_autoneg() -> None:
    data = cmd_bytes(supported=0x206F, advertising=0x202F, autoneg=1)
    assert len(data) == 44
    assert et.decode_cmd(data) == et.LinkInfo(supported=0x206F, advertising=0x202F, autoneg=1)


def test_cmd_truncated_is_an_error() -> None:
    with pytest.raises(et.EthtoolDecodeError):
        et.decode_cmd(cmd_bytes(1, 1, 1)[:43])


# --- struct ethtool_link_settings (ETHTOOL_GLINKSETTINGS) -------------------------------------

def link_settings_bytes(nwords: int, autoneg: int, masks: tuple[int, ...] = ()) -> bytes:
    header = (u32(et.ETHTOOL_GLINKSETTINGS, 10000) + bytes([1, 0, 0, autoneg, 0, 0, 0])
              + struct.pack("<b", nwords) + bytes(4) + u32(*([0] * 7)))
    assert len(header) == 48
    return header + u32(*masks)


def test_link_settings_request_carries_nwords_and_room_for_three_masks() -> None:
    assert et.pack_link_settings_request(0) == u32(0x4C) + bytes(44)
    request = et.pack_link_settings_request(3)
    assert len(request) == 48 + 3 * 3 * 4
    assert request[15] == 3  # link_mode_masks_nwords


def test_link_settings_handshake_answer_is_a_negative_word_count() -> None:
    nwords, info = et.decode_link_settings(link_settings_bytes(-3, autoneg=1))
    assert nwords == -3
    assert info == et.LinkInfo(autoneg=1)


def test_link_settings_takes_the_first_word_of_supported_and_advertising() -> None:
    data = link_settings_bytes(2, autoneg=0, masks=(0x1080, 0x1, 0x2040, 0x2, 0xFFFF, 0xFFFF))
    nwords, info = et.decode_link_settings(data)
    assert nwords == 2
    assert info == et.LinkInfo(supported=0x1080, advertising=0x2040, autoneg=0)


def test_link_settings_with_masks_missing_is_an_error() -> None:
    with pytest.raises(et.EthtoolDecodeError):
        et.decode_link_settings(link_settings_bytes(2, autoneg=0, masks=(1, 2, 3)))
    with pytest.raises(et.EthtoolDecodeError):
        et.decode_link_settings(bytes(47))


# --- struct ethtool_gstrings / ethtool_stats (safchain's StatsWithBuffer) ---------------------

def test_gstrings_request_header_and_capacity() -> None:
    request = et.pack_gstrings_request(2, capacity=4)
    assert request[:12] == u32(0x1B, 1, 2)
    assert len(request) == 12 + 4 * 32


def test_gstrings_decodes_names_cut_at_nul() -> None:
    data = u32(0x1B, 1, 3) + cstr(b"rx_packets", 32) + b"x" * 32 + bytes(32) + b"ignored"
    assert et.decode_gstrings(data, 3) == ["rx_packets", "x" * 32, ""]


def test_gstrings_shorter_than_count_is_an_error() -> None:
    with pytest.raises(et.EthtoolDecodeError):
        et.decode_gstrings(u32(0x1B, 1, 2) + bytes(32), 2)


def test_stats_decodes_u64_values() -> None:
    data = u32(0x1D, 2) + struct.pack("<QQ", 5, 2**64 - 1)
    assert et.pack_stats_request(2, capacity=2) == u32(0x1D, 2) + bytes(16)
    assert et.decode_stats(data, 2) == [5, 2**64 - 1]
    with pytest.raises(et.EthtoolDecodeError):
        et.decode_stats(data[:-1], 2)


def test_combine_stats_drops_empty_names_and_keeps_the_last_duplicate() -> None:
    assert et.combine_stats(["a", "", "b", "a"], [1, 2, 3, 4]) == {"a": 4, "b": 3}


def test_ifreq_is_the_name_padded_then_the_data_pointer() -> None:
    request = et.pack_ifreq("eth0", 0x1122334455667788)
    assert len(request) == 40
    assert request[:16] == cstr(b"eth0", 16)
    assert int.from_bytes(request[16:24], "little") == 0x1122334455667788
    # safchain copies at most IFNAMSIZ bytes of the name.
    assert et.pack_ifreq("a" * 20, 0)[:16] == b"a" * 16


# --- the ioctl layer, with the system call replaced --------------------------------------------

class FakeKernel:
    """Answers SIOCETHTOOL requests by writing through the ifreq's data pointer, as the kernel does."""

    def __init__(self, names: list[bytes], values: list[int], fail: dict[int, int] | None = None,
                 n_stats: int | None = None) -> None:
        self.names, self.values, self.fail = names, values, fail or {}
        # What GDRVINFO says; the strings and values answered are all of NAMES and VALUES, as
        # the kernel answers with the driver's count at the time of each call.
        self.n_stats = len(names) if n_stats is None else n_stats
        self.calls: list[tuple[str, int]] = []

    def __call__(self, fd: int, request: int, ifreq: bytearray) -> None:
        assert request == et.SIOCETHTOOL
        device = bytes(ifreq[:16]).rstrip(b"\0").decode()
        address = int.from_bytes(ifreq[16:24], "little")
        cmd = int.from_bytes(ctypes.string_at(address, 4), "little")
        self.calls.append((device, cmd))
        if cmd in self.fail:
            raise OSError(self.fail[cmd], "fake")
        if cmd == et.ETHTOOL_GDRVINFO:
            answer = drvinfo_bytes(driver=b"fake", n_stats=self.n_stats)
        elif cmd == et.ETHTOOL_GSTRINGS:
            answer = u32(cmd, 1, len(self.names)) + b"".join(cstr(n, 32) for n in self.names)
        elif cmd == et.ETHTOOL_GSTATS:
            answer = u32(cmd, len(self.values)) + b"".join(struct.pack("<Q", v) for v in self.values)
        elif cmd == et.ETHTOOL_GSET:
            answer = cmd_bytes(0x2F, 0x2F, 1)
        elif cmd == et.ETHTOOL_GLINKSETTINGS:
            nwords = struct.unpack_from("<b", ctypes.string_at(address + 15, 1))[0]
            answer = (link_settings_bytes(-3, 1) if nwords == 0
                      else link_settings_bytes(nwords, 1, (0x1080, 0, 0, 0x80, 0, 0, 0, 0, 0)))
        else:
            raise OSError(errno.EOPNOTSUPP, "fake")
        ctypes.memmove(address, answer, len(answer))


def test_ioctl_stats_asks_drvinfo_then_strings_then_values() -> None:
    kernel = FakeKernel([b"rx_packets", b"", b"tx packets", b"rx_packets"], [1, 2, 3, 4])
    source = et.IoctlEthtool(kernel)
    try:
        assert source.stats("eth9") == {"rx_packets": 4, "tx packets": 3}
        assert source.driver_info("eth9").driver == "fake"
    finally:
        source.close()
    assert kernel.calls[:3] == [("eth9", 0x03), ("eth9", 0x1B), ("eth9", 0x1D)]


def test_ioctl_stats_survive_a_driver_that_grew_between_calls() -> None:
    # GDRVINFO said 2; GSTRINGS and GSTATS then write 500 entries: the buffers have room for
    # MAX_GSTRINGS, as safchain's, and only the 2 announced are read.
    names = [f"s{i}".encode() for i in range(500)]
    source = et.IoctlEthtool(FakeKernel(names, list(range(500)), n_stats=2))
    try:
        assert source.stats("eth9") == {"s0": 0, "s1": 1}
    finally:
        source.close()


def test_ioctl_stats_refuse_more_than_max_gstrings() -> None:
    source = et.IoctlEthtool(FakeKernel([], [], n_stats=et.MAX_GSTRINGS + 1))
    try:
        with pytest.raises(ValueError, match="doesn't support more than 32768"):
            source.stats("eth9")
    finally:
        source.close()


def test_ioctl_errors_carry_the_errno() -> None:
    source = et.IoctlEthtool(FakeKernel([], [], fail={et.ETHTOOL_GDRVINFO: errno.EPERM}))
    try:
        with pytest.raises(OSError) as caught:
            source.stats("eth9")
        assert caught.value.errno == errno.EPERM
    finally:
        source.close()


def test_ioctl_link_info_from_gset() -> None:
    source = et.IoctlEthtool(FakeKernel([], []))
    try:
        assert source.link_info("eth9") == et.LinkInfo(0x2F, 0x2F, 1)
    finally:
        source.close()


def test_ioctl_link_info_falls_back_to_glinksettings_on_eopnotsupp() -> None:
    kernel = FakeKernel([], [], fail={et.ETHTOOL_GSET: errno.EOPNOTSUPP})
    source = et.IoctlEthtool(kernel)
    try:
        assert source.link_info("eth9") == et.LinkInfo(0x1080, 0x80, 1)
    finally:
        source.close()
    assert [cmd for _, cmd in kernel.calls] == [0x01, 0x4C, 0x4C]


def test_ioctl_link_info_keeps_gsets_error_when_glinksettings_fails_too() -> None:
    kernel = FakeKernel([], [], fail={et.ETHTOOL_GSET: errno.EOPNOTSUPP,
                                      et.ETHTOOL_GLINKSETTINGS: errno.EINVAL})
    source = et.IoctlEthtool(kernel)
    try:
        with pytest.raises(OSError) as caught:
            source.link_info("eth9")
        assert caught.value.errno == errno.EOPNOTSUPP
    finally:
        source.close()


def test_ioctl_other_gset_errors_are_not_retried() -> None:
    kernel = FakeKernel([], [], fail={et.ETHTOOL_GSET: errno.ENODEV})
    source = et.IoctlEthtool(kernel)
    try:
        with pytest.raises(OSError):
            source.link_info("eth9")
    finally:
        source.close()
    assert [cmd for _, cmd in kernel.calls] == [0x01]


# --- names (buildEthtoolFQName, SanitizeMetricName) -------------------------------------------

@pytest.mark.parametrize(("metric", "expected"), [
    # TestBuildEthtoolFQName's cases.
    ("port.rx_errors", "node_ethtool_port_received_errors"),
    ("rx_errors", "node_ethtool_received_errors"),
    ("Queue[0] AllocFails", "node_ethtool_queue_0_allocfails"),
    ("Tx LPI entry count", "node_ethtool_transmitted_lpi_entry_count"),
    ("port.VF_admin_queue_requests", "node_ethtool_port_vf_admin_queue_requests"),
    ("[3]: tx_bytes", "node_ethtool_3_transmitted_bytes"),
    ("     err", "node_ethtool_err"),
    # Non-overlapping replacement, as Go's ReplaceAllString: the second rx shares the underscore.
    ("rx_rx", "node_ethtool_received_rx"),
    ("rx-0.rx_packets", "node_ethtool_received_0_received_packets"),
    ("tx", "node_ethtool_transmitted"),
    ("rxq0: rx_bytes", "node_ethtool_rxq0_received_bytes"),
])
def test_build_ethtool_fq_name(metric: str, expected: str) -> None:
    assert et.ethtool_fq_name(metric) == expected


def test_sanitize_keeps_case_and_merges_underscores_around_a_run() -> None:
    assert et.sanitize_metric_name("a__.-__b") == "a_b"
    assert et.sanitize_metric_name("Giant-Hdr") == "Giant_Hdr"
    assert et.sanitize_metric_name("für") == "f_r"


def test_select_stats_drops_every_clashing_name_and_sorts() -> None:
    kept, dropped = et.select_stats(
        {"giant hdr": 1, "giant_hdr": 2, "Giant-Hdr": 3, "tx_b": 4, "rx_a": 5}, None)
    assert kept == [("node_ethtool_received_a", "rx_a", 5), ("node_ethtool_transmitted_b", "tx_b", 4)]
    assert dropped == [("node_ethtool_giant_hdr", ["giant_hdr", "giant_hdr", "Giant_Hdr"])]


def test_select_stats_matches_the_pattern_against_the_sanitized_name_unanchored() -> None:
    kept, _ = et.select_stats({"port.rx_x": 1, "rx_y": 2}, re.compile("rt_rx"))
    assert kept == [("node_ethtool_port_received_x", "port_rx_x", 1)]


# --- link modes (updateSpeeds, updatePortInfo, updatePortCapabilities) -------------------------

def test_link_speeds_in_bytes_per_second() -> None:
    modes = (1 << 0) | (1 << 5) | (1 << 12) | (1 << 31)
    assert et.link_speeds(modes) == [
        ("half", "10baseT", 1.25e6), ("full", "1000baseT", 1.25e8), ("full", "10000baseT", 1.25e9),
        ("full", "25000baseCR", 3.125e9),
    ]


def test_link_modes_above_bit_31_never_match() -> None:
    # node_exporter's masks are uint32: 2500baseT (bit 47) and up cannot be reported.
    assert et.link_speeds(1 << 47) == []
    assert et.link_ports(1 << (32 + 7)) == []


def test_link_ports_and_capabilities() -> None:
    modes = (1 << 7) | (1 << 10) | (1 << 16) | (1 << 6) | (1 << 14)
    assert sorted(et.link_ports(modes)) == ["Backplane", "FIBRE", "TP"]
    assert et.link_capabilities(modes) == (1.0, 0.0, 1.0)
    assert et.link_capabilities(1 << 13) == (0.0, 1.0, 0.0)


# --- node_exporter's fixture format (EthtoolFixture) --------------------------------------------

def test_fixture_driver() -> None:
    text = ("# ethtool -i eth0\ndriver: e1000e\nversion: 5.11\nfirmware-version: 0.5-4\n"
            "expansion-rom-version: \nbus-info: 0000:00:1f.6\nsupports-test: yes\n")
    assert et.parse_fixture_driver(text) == et.DriverInfo("e1000e", "5.11", "0.5-4", "0000:00:1f.6", "")


def test_fixture_statistics() -> None:
    text = "# ethtool -S\nNIC statistics:\n     tx_packets: 961500\n     duplicate metric: 1\n"
    assert et.parse_fixture_statistics(text) == {"tx_packets": 961500, "duplicate metric": 1}


def test_fixture_statistics_error_line_is_that_errno() -> None:
    with pytest.raises(OSError) as caught:
        et.parse_fixture_statistics("ERROR: 1")
    assert caught.value.errno == errno.EPERM


@pytest.mark.parametrize("text", ["x: y\n", "x: -1\n", "no value\n", "x: 18446744073709551616\n", "\n"])
def test_fixture_statistics_garbage_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        et.parse_fixture_statistics(text)


def test_fixture_settings_continuation_lines_and_pause() -> None:
    text = ("Settings for eth0:\n"
            "\tSupported ports: [ TP\t MII ]\n"
            "\tSupported link modes:   10baseT/Half 10baseT/Full\n"
            "\t                        1000baseT/Full 10000baseT/Full\n"
            "\tSupported pause frame use: Receive-only\n"
            "\tSupports auto-negotiation: Yes\n"
            "\tAdvertised link modes:  100baseT/Full\n"
            "\tAdvertised pause frame use: Symmetric\n"
            "\tAdvertised auto-negotiation: No\n"
            "\tAuto-negotiation: on\n")
    info = et.parse_fixture_settings(text)
    assert info.supported == (1 << 7) | (1 << 9) | 0b11 | (1 << 5) | (1 << 12) | (1 << 14) | (1 << 6)
    assert info.advertising == (1 << 3) | (1 << 13)
    assert info.autoneg == 1
