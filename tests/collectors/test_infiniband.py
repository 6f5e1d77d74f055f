import os
from pathlib import Path

import pytest

from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import run_collector, sample, samples, write_tree

D = "sys/class/infiniband/mlx0/"
TREE = {
    D + "board_id": "B\n", D + "fw_ver": "1.0\n", D + "hca_type": "H\n",
    D + "ports/1/link_layer": "InfiniBand\n",
    D + "ports/1/state": "4: ACTIVE\n", D + "ports/1/phys_state": "5: LinkUp\n",
    D + "ports/1/rate": "10 Gb/sec (4X)\n", D + "ports/1/counters/port_rcv_data": "10\n",
    D + "ports/1/counters/link_downed": "N/A (no PMA)\n",
}


def test_infiniband(tmp_path: Path) -> None:
    fams = run_collector("infiniband", write_tree(tmp_path, TREE))
    assert sample(fams, "node_infiniband_info", device="mlx0", board_id="B", firmware_version="1.0",
                  hca_type="H") == 1
    assert sample(fams, "node_infiniband_state_id", device="mlx0", port="1") == 4
    assert sample(fams, "node_infiniband_rate_bytes_per_second", device="mlx0", port="1") == 1.25e9
    assert sample(fams, "node_infiniband_port_data_received_bytes_total", device="mlx0", port="1") == 40
    assert not any(n.startswith("node_infiniband_link_downed") for n, _ in samples(fams))


def test_infiniband_absent(tmp_path: Path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("infiniband", Paths.under(str(tmp_path)))


def test_infiniband_malformed(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        run_collector("infiniband", write_tree(tmp_path, {**TREE, D + "ports/1/state": "ACTIVE\n"}))


def test_infiniband_garbage_counter_fails(tmp_path: Path) -> None:
    # sysfs fails the whole class on a counter that is neither a number nor `N/A (no PMA)`.
    with pytest.raises(CollectorError):
        run_collector("infiniband", write_tree(tmp_path, {**TREE, D + "ports/1/counters/link_downed": "n/a\n"}))


# Every counter file sysfs's parseInfiniBandCounters knows, with the metric node_exporter's
# infiniband_linux.go Update pushes for it (data counters times 4).
COUNTER_FILES = {
    "excessive_buffer_overrun_errors": ("excessive_buffer_overrun_errors_total", 1),
    "link_downed": ("link_downed_total", 1),
    "link_error_recovery": ("link_error_recovery_total", 1),
    "local_link_integrity_errors": ("local_link_integrity_errors_total", 1),
    "multicast_rcv_packets": ("multicast_packets_received_total", 1),
    "multicast_xmit_packets": ("multicast_packets_transmitted_total", 1),
    "port_rcv_constraint_errors": ("port_constraint_errors_received_total", 1),
    "port_rcv_data": ("port_data_received_bytes_total", 4),
    "port_rcv_discards": ("port_discards_received_total", 1),
    "port_rcv_errors": ("port_errors_received_total", 1),
    "port_rcv_packets": ("port_packets_received_total", 1),
    "port_rcv_remote_physical_errors": ("port_receive_remote_physical_errors_total", 1),
    "port_rcv_switch_relay_errors": ("port_receive_switch_relay_errors_total", 1),
    "port_xmit_constraint_errors": ("port_constraint_errors_transmitted_total", 1),
    "port_xmit_data": ("port_data_transmitted_bytes_total", 4),
    "port_xmit_discards": ("port_discards_transmitted_total", 1),
    "port_xmit_packets": ("port_packets_transmitted_total", 1),
    "port_xmit_wait": ("port_transmit_wait_total", 1),
    "symbol_error": ("symbol_error_total", 1),
    "unicast_rcv_packets": ("unicast_packets_received_total", 1),
    "unicast_xmit_packets": ("unicast_packets_transmitted_total", 1),
    "VL15_dropped": ("vl15_dropped_total", 1),
}
EXT_FILES = {
    "port_multicast_rcv_packets": ("legacy_multicast_packets_received_total", 1),
    "port_multicast_xmit_packets": ("legacy_multicast_packets_transmitted_total", 1),
    "port_rcv_data_64": ("legacy_data_received_bytes_total", 4),
    "port_rcv_packets_64": ("legacy_packets_received_total", 1),
    "port_unicast_rcv_packets": ("legacy_unicast_packets_received_total", 1),
    "port_unicast_xmit_packets": ("legacy_unicast_packets_transmitted_total", 1),
    "port_xmit_data_64": ("legacy_data_transmitted_bytes_total", 4),
    "port_xmit_packets_64": ("legacy_packets_transmitted_total", 1),
}
HW_FILES = {
    "duplicate_request": "duplicate_requests_packets_total",
    "implied_nak_seq_err": "implied_nak_seq_errors_total",
    "local_ack_timeout_err": "local_ack_timeout_errors_total",
    "np_cnp_sent": "np_cnp_packets_sent_total",
    "np_ecn_marked_roce_packets": "np_ecn_marked_roce_packets_received_total",
    "out_of_buffer": "out_of_buffer_drops_total",
    "out_of_sequence": "out_of_sequence_packets_received_total",
    "packet_seq_err": "packet_sequence_errors_total",
    "req_cqe_error": "req_cqes_errors_total",
    "req_cqe_flush_error": "req_cqes_flush_errors_total",
    "req_remote_access_errors": "req_remote_access_errors_total",
    "req_remote_invalid_request": "req_remote_invalid_request_errors_total",
    "resp_cqe_error": "resp_cqes_errors_total",
    "resp_cqe_flush_error": "resp_cqes_flush_errors_total",
    "resp_local_length_error": "resp_local_length_errors_total",
    "resp_remote_access_errors": "resp_remote_access_errors_total",
    "rnr_nak_retry_err": "rnr_nak_retry_packets_received_total",
    "roce_adp_retrans": "roce_adp_retransmits_total",
    "roce_adp_retrans_to": "roce_adp_retransmits_timeout_total",
    "roce_slow_restart": "roce_slow_restart_used_total",
    "roce_slow_restart_cnps": "roce_slow_restart_cnps_total",
    "roce_slow_restart_trans": "roce_slow_restart_total",
    "rp_cnp_handled": "rp_cnp_packets_handled_total",
    "rp_cnp_ignored": "rp_cnp_ignored_packets_received_total",
    "rx_atomic_requests": "rx_atomic_requests_total",
    "rx_dct_connect": "rx_dct_connect_requests_total",
    "rx_icrc_encapsulated": "rx_icrc_encapsulated_errors_total",
    "rx_read_requests": "rx_read_requests_total",
    "rx_write_requests": "rx_write_requests_total",
}
P = D + "ports/1/"
BASE = {k: v for k, v in TREE.items() if "/counters/" not in k}


def test_every_counter_of_sysfs(tmp_path: Path) -> None:
    """parseInfiniBandCounters: every file of counters/ and counters_ext/, as Update pushes it."""
    tree = dict(BASE)
    for i, name in enumerate(COUNTER_FILES):
        tree[P + "counters/" + name] = f"{i + 1}\n"
    for i, name in enumerate(EXT_FILES):
        tree[P + "counters_ext/" + name] = f"{i + 100}\n"
    fams = run_collector("infiniband", write_tree(tmp_path, tree))
    for i, (metric, scale) in enumerate(COUNTER_FILES.values()):
        assert sample(fams, f"node_infiniband_{metric}", device="mlx0", port="1") == (i + 1) * scale
    for i, (metric, scale) in enumerate(EXT_FILES.values()):
        assert sample(fams, f"node_infiniband_{metric}", device="mlx0", port="1") == (i + 100) * scale


def test_every_hw_counter_of_sysfs(tmp_path: Path) -> None:
    """parseInfiniBandHwCounters: hw_counters/ is read whenever it exists (any device name,
    current sysfs), lifespan (ms) becomes node_infiniband_lifespan_seconds in whole seconds."""
    tree = {k.replace("mlx0", "rocep1s0"): v for k, v in BASE.items()}
    hw = "sys/class/infiniband/rocep1s0/ports/1/hw_counters/"
    for i, name in enumerate(HW_FILES):
        tree[hw + name] = f"{i + 7}\n"
    tree[hw + "lifespan"] = "12\n"
    tree[hw + "unknown_vendor_counter"] = "not a number\n"  # names sysfs does not know are not parsed
    fams = run_collector("infiniband", write_tree(tmp_path, tree))
    for i, metric in enumerate(HW_FILES.values()):
        assert sample(fams, f"node_infiniband_{metric}", device="rocep1s0", port="1") == i + 7
    assert sample(fams, "node_infiniband_lifespan_seconds", device="rocep1s0", port="1") == 0
    # No counters/ directory (irdma): only the port's state and rate.
    assert not any("port_data" in n for n, _ in samples(fams))


def test_lifespan_whole_seconds(tmp_path: Path) -> None:
    """Update: lifespan_seconds is *Lifespan/1000, an integer division."""
    tree = {**BASE, P + "hw_counters/lifespan": "2500\n"}
    fams = run_collector("infiniband", write_tree(tmp_path, tree))
    assert sample(fams, "node_infiniband_lifespan_seconds", device="mlx0", port="1") == 2


def test_data_counter_wraps_as_uint64(tmp_path: Path) -> None:
    """parseInfiniBandCounters: `*counters.PortRcvData *= 4` on a uint64 wraps at 2^64."""
    tree = {**BASE, P + "counters/port_rcv_data": f"{2**63 + 1}\n"}
    fams = run_collector("infiniband", write_tree(tmp_path, tree))
    assert sample(fams, "node_infiniband_port_data_received_bytes_total", device="mlx0", port="1") == 4


def test_counter_skips(tmp_path: Path) -> None:
    """parseInfiniBandCounters: sub-directories are skipped (not regular), unknown files are
    read but not parsed, an empty counters/ gives no counters."""
    tree = {**BASE, P + "counters/sub/x": "1\n", P + "counters/future_counter": "?\n",
            P + "counters/symbol_error": "0x10\n"}
    fams = run_collector("infiniband", write_tree(tmp_path, tree))
    assert sample(fams, "node_infiniband_symbol_error_total", device="mlx0", port="1") == 16


def test_unreadable_counter_skipped(tmp_path: Path) -> None:
    """parseInfiniBandCounters: a counter unreadable for permission is skipped."""
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    root = write_tree(tmp_path, {**BASE, P + "counters/symbol_error": "3\n", P + "counters/link_downed": "2\n"})
    os.chmod(tmp_path / P / "counters" / "symbol_error", 0)
    fams = run_collector("infiniband", root)
    assert sample(fams, "node_infiniband_link_downed_total", device="mlx0", port="1") == 2
    assert not any("symbol_error" in n for n, _ in samples(fams))


def test_optional_device_attributes(tmp_path: Path) -> None:
    """parseInfiniBandDevice: board_id and hca_type may be absent (empty label); fw_ver may not."""
    tree = {k: v for k, v in BASE.items() if not k.endswith(("board_id", "hca_type"))}
    fams = run_collector("infiniband", write_tree(tmp_path, tree))
    assert sample(fams, "node_infiniband_info", device="mlx0", board_id="", firmware_version="1.0",
                  hca_type="") == 1


def test_missing_fw_ver_fails(tmp_path: Path) -> None:
    """parseInfiniBandDevice: `failed to read HCA firmware version`, an error that wraps
    os.ErrNotExist, which node_exporter's Update answers with ErrNoData."""
    tree = {k: v for k, v in BASE.items() if not k.endswith("fw_ver")}
    with pytest.raises(NoDataError, match="fw_ver"):
        run_collector("infiniband", write_tree(tmp_path, tree))


@pytest.mark.parametrize("name", ["link_layer", "state", "phys_state", "rate"])
def test_missing_port_file_is_no_data(tmp_path: Path, name: str) -> None:
    """parseInfiniBandPort reads link_layer, state, phys_state and rate with os.ReadFile, each
    required (link_layer since procfs PR #700, in v0.19.0); a missing one is os.ErrNotExist,
    ErrNoData to node_exporter."""
    tree = {k: v for k, v in BASE.items() if not k.endswith("/" + name)}
    with pytest.raises(NoDataError, match=name):
        run_collector("infiniband", write_tree(tmp_path, tree))


def test_unreadable_link_layer_fails(tmp_path: Path) -> None:
    tree = {k: v for k, v in BASE.items() if not k.endswith("/link_layer")}
    root = write_tree(tmp_path, tree)
    os.mkdir(root.sys("class", "infiniband", "mlx0", "ports", "1", "link_layer"))
    # os.ReadFile of a directory is EISDIR: an error, and not ErrNoData.
    with pytest.raises((CollectorError, OSError)) as caught:
        run_collector("infiniband", root)
    assert not isinstance(caught.value, NoDataError)


@pytest.mark.parametrize(("rate", "value"), [
    # uint64(value * 125000000) on amd64, as node_exporter 1.5.0 printed it for the same files.
    ("-1 Gb/sec (4X)", 1.8446744073584552e19),
    ("99999999999999999999999 Gb/sec (4X)", 9.223372036854776e18),
    # strconv.ParseFloat takes inf and nan; their conversion is 2**63 as well.
    ("inf Gb/sec", 9.223372036854776e18), ("NaN Gb/sec", 9.223372036854776e18),
])
def test_rate_converts_as_go(tmp_path: Path, rate: str, value: float) -> None:
    fams = run_collector("infiniband", write_tree(tmp_path, {**BASE, P + "rate": rate + "\n"}))
    assert sample(fams, "node_infiniband_rate_bytes_per_second", device="mlx0", port="1") == value


def test_port_names(tmp_path: Path) -> None:
    """parseInfiniBandPort: the port directory's name is a base-10 uint32, printed back with
    FormatUint (so `01` is port 1); anything else fails."""
    tree = {k.replace("/ports/1/", "/ports/01/"): v for k, v in BASE.items()}
    fams = run_collector("infiniband", write_tree(tmp_path / "a", tree))
    assert sample(fams, "node_infiniband_state_id", device="mlx0", port="1") == 4
    tree = {k.replace("/ports/1/", "/ports/p1/"): v for k, v in BASE.items()}
    with pytest.raises(CollectorError):
        run_collector("infiniband", write_tree(tmp_path / "b", tree))


def _two_devices() -> dict[str, str]:
    tree = dict(TREE)
    for k, v in TREE.items():
        tree[k.replace("mlx0", "mana_0")] = v
    # mana_0's rate is what Azure's MANA driver gives: not a rate.
    tree["sys/class/infiniband/mana_0/ports/1/rate"] = "N/A\n"
    return tree


def test_device_exclude(tmp_path: Path) -> None:
    """--collector.infiniband.device-exclude (infiniband_linux.go's deviceFilter): an excluded
    device is never read, so its broken rate does not fail the collector (upstream #3812)."""
    root = write_tree(tmp_path, _two_devices())
    with pytest.raises(CollectorError):
        run_collector("infiniband", root)
    fams = run_collector("infiniband", root, {"device-exclude": "^mana_"})
    assert {dict(labels)["device"] for _, labels in samples(fams)} == {"mlx0"}


def test_device_include(tmp_path: Path) -> None:
    """--collector.infiniband.device-include keeps only matching devices (unanchored search)."""
    root = write_tree(tmp_path, _two_devices())
    fams = run_collector("infiniband", root, {"device-include": "mlx"})
    assert {dict(labels)["device"] for _, labels in samples(fams)} == {"mlx0"}
    assert run_collector("infiniband", root, {"device-include": "^ib"}) == []


def test_device_filters_exclusive(tmp_path: Path) -> None:
    """node_exporter refuses device-include together with device-exclude."""
    with pytest.raises(FlagValueError):
        run_collector("infiniband", write_tree(tmp_path, TREE), {"device-include": "a", "device-exclude": "b"})
