"""infiniband: /sys/class/infiniband/<device>/ports/<port>, as node_exporter's infiniband collector
(collector/infiniband_linux.go, over procfs's sysfs/class_infiniband.go: InfiniBandClass,
parseInfiniBandDevice, parseInfiniBandPort, parseState, parseRate, parseInfiniBandCounters,
parseInfiniBandHwCounters).

What sysfs reads, and so what this reads:
- the device's `fw_ver` is required; `board_id` and `hca_type` may be absent (any other read
  error fails); `ports/` must list;
- each port's name is a decimal uint32; `link_layer` (read, not exported: procfs v0.19.0 has
  it since procfs PR #700, and upstream's fixture gives every port one), `state`, `phys_state`
  (`<id>: <name>`) and `rate` (`<Gb/s> ...`, converted to uint64 as Go does on amd64) are
  required; one that does not exist is node_exporter's ErrNoData, as is a missing `fw_ver` or
  `ports/`;
- `counters/` (with `counters_ext/`, the pre-4.5 64-bit counters) and `hw_counters/` are each
  parsed when present, whatever the device's name (current sysfs; older releases chose by name
  prefix); every regular file in them is read, those that are missing, unreadable for
  permission, EINVAL or EOPNOTSUPP are skipped, a known counter that is not a number fails the
  collector unless it says `N/A (no PMA)`; data counters (counted in 4-octet words) are times 4,
  wrapping at 2^64 as Go's uint64 does; `hw_counters/lifespan` (ms) is a gauge in whole seconds.

--collector.infiniband.device-include/-exclude (node_exporter 1.12, PR #3694) drop devices by
name. node_exporter's released collector parses every device before filtering, so one broken
device fails the collector even when excluded (issues #3434, #3823); this filters by name first
and never reads an excluded device (what the open upstream fixes #3762/#3812/#3824 do).
Read errors that sysfs means to skip but does not match (`err.Error() == "operation not
supported"` never equals a *PathError's text; EINVAL is matched only under counters/) are
skipped in all three directories.
"""

from __future__ import annotations

import errno
import math
import os
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import flag
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.filters import exclusive_filter
from pyexporter.toolkit.numbers import (
    NumberError,
    go_trim_space,
    go_uint64,
    parse_float,
    parse_uint,
    sys_read_file,
    sys_read_files,
)

_U64 = (1 << 64) - 1

# (directory, file, metric name, HELP, multiplier), in node_exporter's push order. Data counters
# count 32-bit words ("octets divided by 4" in the IBA spec), hence the 4.
COUNTERS = (
    ("counters_ext", "port_multicast_rcv_packets", "legacy_multicast_packets_received_total",
     "Number of multicast packets received", 1),
    ("counters_ext", "port_multicast_xmit_packets", "legacy_multicast_packets_transmitted_total",
     "Number of multicast packets transmitted", 1),
    ("counters_ext", "port_rcv_data_64", "legacy_data_received_bytes_total",
     "Number of data octets received on all links", 4),
    ("counters_ext", "port_rcv_packets_64", "legacy_packets_received_total",
     "Number of data packets received on all links", 1),
    ("counters_ext", "port_unicast_rcv_packets", "legacy_unicast_packets_received_total",
     "Number of unicast packets received", 1),
    ("counters_ext", "port_unicast_xmit_packets", "legacy_unicast_packets_transmitted_total",
     "Number of unicast packets transmitted", 1),
    ("counters_ext", "port_xmit_data_64", "legacy_data_transmitted_bytes_total",
     "Number of data octets transmitted on all links", 4),
    ("counters_ext", "port_xmit_packets_64", "legacy_packets_transmitted_total",
     "Number of data packets received on all links", 1),
    ("counters", "excessive_buffer_overrun_errors", "excessive_buffer_overrun_errors_total",
     "Number of times that OverrunErrors consecutive flow control update periods occurred, "
     "each having at least one overrun error.", 1),
    ("counters", "link_downed", "link_downed_total",
     "Number of times the link failed to recover from an error state and went down", 1),
    ("counters", "link_error_recovery", "link_error_recovery_total",
     "Number of times the link successfully recovered from an error state", 1),
    ("counters", "local_link_integrity_errors", "local_link_integrity_errors_total",
     "Number of times that the count of local physical errors exceeded the threshold specified "
     "by LocalPhyErrors.", 1),
    ("counters", "multicast_rcv_packets", "multicast_packets_received_total",
     "Number of multicast packets received (including errors)", 1),
    ("counters", "multicast_xmit_packets", "multicast_packets_transmitted_total",
     "Number of multicast packets transmitted (including errors)", 1),
    ("counters", "port_rcv_constraint_errors", "port_constraint_errors_received_total",
     "Number of packets received on the switch physical port that are discarded", 1),
    ("counters", "port_xmit_constraint_errors", "port_constraint_errors_transmitted_total",
     "Number of packets not transmitted from the switch physical port", 1),
    ("counters", "port_rcv_data", "port_data_received_bytes_total",
     "Number of data octets received on all links", 4),
    ("counters", "port_xmit_data", "port_data_transmitted_bytes_total",
     "Number of data octets transmitted on all links", 4),
    ("counters", "port_rcv_discards", "port_discards_received_total",
     "Number of inbound packets discarded by the port because the port is down or congested", 1),
    ("counters", "port_xmit_discards", "port_discards_transmitted_total",
     "Number of outbound packets discarded by the port because the port is down or congested", 1),
    ("counters", "port_rcv_errors", "port_errors_received_total",
     "Number of packets containing an error that were received on this port", 1),
    ("counters", "port_rcv_packets", "port_packets_received_total",
     "Number of packets received on all VLs by this port (including errors)", 1),
    ("counters", "port_xmit_packets", "port_packets_transmitted_total",
     "Number of packets transmitted on all VLs from this port (including errors)", 1),
    ("counters", "port_xmit_wait", "port_transmit_wait_total",
     "Number of ticks during which the port had data to transmit but no data was sent during "
     "the entire tick", 1),
    ("counters", "unicast_rcv_packets", "unicast_packets_received_total",
     "Number of unicast packets received (including errors)", 1),
    ("counters", "unicast_xmit_packets", "unicast_packets_transmitted_total",
     "Number of unicast packets transmitted (including errors)", 1),
    ("counters", "port_rcv_remote_physical_errors", "port_receive_remote_physical_errors_total",
     "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port.", 1),
    ("counters", "port_rcv_switch_relay_errors", "port_receive_switch_relay_errors_total",
     "Number of packets that could not be forwarded by the switch.", 1),
    ("counters", "symbol_error", "symbol_error_total",
     "Number of minor link errors detected on one or more physical lanes.", 1),
    ("counters", "VL15_dropped", "vl15_dropped_total",
     "Number of incoming VL15 packets dropped due to resource limitations.", 1),
    # https://enterprise-support.nvidia.com/s/article/understanding-mlx5-linux-counters-and-status-parameters
    ("hw_counters", "duplicate_request", "duplicate_requests_packets_total",
     "The number of received packets. A duplicate request is a request that had been previously "
     "executed.", 1),
    ("hw_counters", "implied_nak_seq_err", "implied_nak_seq_errors_total",
     "The number of time the requested decided an ACK. with a PSN larger than the expected PSN "
     "for an RDMA read or response.", 1),
    ("hw_counters", "local_ack_timeout_err", "local_ack_timeout_errors_total",
     "The number of times QP's ack timer expired for RC, XRC, DCT QPs at the sender side. The QP "
     "retry limit was not exceed, therefore it is still recoverable error.", 1),
    ("hw_counters", "np_cnp_sent", "np_cnp_packets_sent_total",
     "The number of CNP packets sent by the Notification Point when it noticed congestion "
     "experienced in the RoCEv2 IP header (ECN bits). The counters was added in MLNX_OFED 4.1", 1),
    ("hw_counters", "np_ecn_marked_roce_packets", "np_ecn_marked_roce_packets_received_total",
     "The number of RoCEv2 packets received by the notification point which were marked for "
     "experiencing the congestion (ECN bits where '11' on the ingress RoCE traffic) . The counters "
     "was added in MLNX_OFED 4.1", 1),
    ("hw_counters", "out_of_buffer", "out_of_buffer_drops_total",
     "The number of drops occurred due to lack of WQE for the associated QPs.", 1),
    ("hw_counters", "out_of_sequence", "out_of_sequence_packets_received_total",
     "The number of out of sequence packets received.", 1),
    ("hw_counters", "packet_seq_err", "packet_sequence_errors_total",
     "The number of received NAK sequence error packets. The QP retry limit was not exceeded.", 1),
    ("hw_counters", "req_cqe_error", "req_cqes_errors_total",
     "The number of times requester detected CQEs completed with errors. The counters was added "
     "in MLNX_OFED 4.1", 1),
    ("hw_counters", "req_cqe_flush_error", "req_cqes_flush_errors_total",
     "The number of times requester detected CQEs completed with flushed errors. The counters was "
     "added in MLNX_OFED 4.1", 1),
    ("hw_counters", "req_remote_access_errors", "req_remote_access_errors_total",
     "The number of times requester detected remote access errors. The counters was added in "
     "MLNX_OFED 4.1", 1),
    ("hw_counters", "req_remote_invalid_request", "req_remote_invalid_request_errors_total",
     "The number of times requester detected remote invalid request errors. The counters was "
     "added in MLNX_OFED 4.1", 1),
    ("hw_counters", "resp_cqe_error", "resp_cqes_errors_total",
     "The number of times responder detected CQEs completed with errors. The counters was added "
     "in MLNX_OFED 4.1", 1),
    ("hw_counters", "resp_cqe_flush_error", "resp_cqes_flush_errors_total",
     "The number of times responder detected CQEs completed with flushed errors. The counters was "
     "added in MLNX_OFED 4.1", 1),
    ("hw_counters", "resp_local_length_error", "resp_local_length_errors_total",
     "The number of times responder detected local length errors. The counters was added in "
     "MLNX_OFED 4.1", 1),
    ("hw_counters", "resp_remote_access_errors", "resp_remote_access_errors_total",
     "The number of times responder detected remote access errors. The counters was added in "
     "MLNX_OFED 4.1", 1),
    ("hw_counters", "rnr_nak_retry_err", "rnr_nak_retry_packets_received_total",
     "The number of received RNR NAK packets. The QP retry limit was not exceeded.", 1),
    ("hw_counters", "roce_adp_retrans", "roce_adp_retransmits_total",
     "The number of adaptive retransmissions for RoCE traffic. The counter was added in MLNX_OFED "
     "rev 5.0-1.0.0.0 and kernel v5.6.0", 1),
    ("hw_counters", "roce_adp_retrans_to", "roce_adp_retransmits_timeout_total",
     "The number of times RoCE traffic reached timeout due to adaptive retransmission. The "
     "counter was added in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0", 1),
    ("hw_counters", "roce_slow_restart", "roce_slow_restart_used_total",
     "The number of times RoCE slow restart was used. The counter was added in MLNX_OFED rev "
     "5.0-1.0.0.0 and kernel v5.6.0", 1),
    ("hw_counters", "roce_slow_restart_cnps", "roce_slow_restart_cnps_total",
     "The number of times RoCE slow restart generated CNP packets. The counter was added in "
     "MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0", 1),
    ("hw_counters", "roce_slow_restart_trans", "roce_slow_restart_total",
     "The number of times RoCE slow restart changed state to slow restart. The counter was added "
     "in MLNX_OFED rev 5.0-1.0.0.0 and kernel v5.6.0", 1),
    ("hw_counters", "rp_cnp_handled", "rp_cnp_packets_handled_total",
     "The number of CNP packets handled by the Reaction Point HCA to throttle the transmission "
     "rate. The counters was added in MLNX_OFED 4.1", 1),
    ("hw_counters", "rp_cnp_ignored", "rp_cnp_ignored_packets_received_total",
     "The number of CNP packets received and ignored by the Reaction Point HCA. This counter "
     "should not raise if RoCE Congestion Control was enabled in the network. If this counter "
     "raise, verify that ECN was enabled on the adapter.", 1),
    ("hw_counters", "rx_atomic_requests", "rx_atomic_requests_total",
     "The number of received ATOMIC request for the associated QPs.", 1),
    ("hw_counters", "rx_dct_connect", "rx_dct_connect_requests_total",
     "The number of received connection requests for the associated DCTs.", 1),
    ("hw_counters", "rx_read_requests", "rx_read_requests_total",
     "The number of received READ requests for the associated QPs.", 1),
    ("hw_counters", "rx_write_requests", "rx_write_requests_total",
     "The number of received WRITE requests for the associated QPs.", 1),
    ("hw_counters", "rx_icrc_encapsulated", "rx_icrc_encapsulated_errors_total",
     "The number of RoCE packets with ICRC errors. This counter was added in MLNX_OFED 4.4 and "
     "kernel 4.19", 1),
)
LIFESPAN_HELP = ("The maximum period in ms which defines the aging of the counter reads. Two "
                 "consecutive reads within this period might return the same values.")

# The files each directory's parser knows (sysfs ignores the others, whatever they hold).
KNOWN = {
    directory: {name for d, name, _, _, _ in COUNTERS if d == directory}
    for directory in ("counters", "counters_ext", "hw_counters")
}
KNOWN["hw_counters"].add("lifespan")
_SCALE = {(d, name): scale for d, name, _, _, scale in COUNTERS}

# Read errors a counter file is skipped for (sysfs: not exist, permission, EINVAL, EOPNOTSUPP).
_SKIPPED_ERRNOS = frozenset(
    {errno.ENOENT, errno.EACCES, errno.EPERM, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}
)


@dataclass(slots=True)
class Port:
    port: str
    state_id: int
    phys_state_id: int
    rate: float  # bytes per second
    # "directory/file" -> value, already scaled.
    counters: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Device:
    name: str
    board_id: str
    firmware_version: str
    hca_type: str
    ports: list[Port] = field(default_factory=list)


def parse_state(text: str) -> int:
    """sysfs's parseState: `4: ACTIVE` -> 4; exactly one colon, then strconv.ParseUint(id, 10, 32)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise CollectorError(f"unexpected InfiniBand port state {text[:40]!r}")
    try:
        return parse_uint(go_trim_space(parts[0]), bits=32)
    except NumberError as err:
        raise CollectorError(f"unexpected InfiniBand port state {text[:40]!r}: {err}") from None


def parse_rate(text: str) -> float:
    """sysfs's parseRate: `40 Gb/sec (4X QDR)` -> bytes per second: the text up to the first
    space as strconv.ParseFloat(x, 32), times 125000000, converted to uint64 as Go does on amd64
    (numbers.go_uint64): a negative rate wraps around, and one of 2**64 or more, an infinite one
    or NaN (ParseFloat takes `inf` and `nan`) reads as 2**63."""
    head, sep, _ = text.partition(" ")
    if not sep:
        raise CollectorError(f"unexpected InfiniBand port rate {text[:40]!r}")
    try:
        value = parse_float(go_trim_space(head))
        # Rounded to the float32 that ParseFloat(x, 32) returns (struct.pack rounds to infinity
        # past float32's range, or raises OverflowError in older Pythons).
        gbits: float = struct.unpack("f", struct.pack("f", value))[0]
    except (NumberError, OverflowError):
        raise CollectorError(f"unexpected InfiniBand port rate {text[:40]!r}") from None
    if math.isinf(gbits) and not math.isinf(value):
        # ParseFloat(x, 32) refuses a finite number beyond float32 ("value out of range").
        raise CollectorError(f"unexpected InfiniBand port rate {text[:40]!r}: out of float32's range")
    return float(go_uint64(gbits * 125_000_000))


def parse_counter(text: str) -> int | None:
    """A counter as sysfs's ValueParser.PUInt64 reads it, strconv.ParseUint(text, 0, 64); None
    for a port that says `N/A (no PMA)` (it does not count this), NumberError for any other
    non-number."""
    try:
        return parse_uint(text, 0)
    except NumberError:
        if "N/A (no PMA)" in text:
            return None
        raise


def read_counter_dir(port_path: str, directory: str, into: dict[str, int]) -> None:
    """parseInfiniBandCounters / parseInfiniBandHwCounters for one directory: every regular
    file, the known ones parsed into INTO as "directory/file"."""
    path = os.path.join(port_path, directory)
    try:
        with os.scandir(path) as entries:
            files = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
    except OSError as err:
        raise CollectorError(f"failed to list InfiniBand counters at {path!r}: {err}") from None
    known = KNOWN[directory]
    for name, file_path, text in sys_read_files(path, files, _SKIPPED_ERRNOS):
        if name not in known:
            continue
        try:
            value = parse_counter(text)
        except NumberError as err:
            raise CollectorError(f"unexpected InfiniBand counter {file_path}: {err}") from None
        if value is not None:
            into[f"{directory}/{name}"] = (value * _SCALE.get((directory, name), 1)) & _U64


def read_port(path: str) -> Port:
    """sysfs's parseInfiniBandPort."""
    name = os.path.basename(path)
    try:
        parse_uint(name, bits=32)
    except NumberError:
        raise CollectorError(f"failed to convert {name!r} into uint") from None
    # Read (os.ReadFile) and required, though node_exporter exports nothing of it.
    read_text(os.path.join(path, "link_layer"))
    port = Port(
        port=str(int(name)),
        state_id=parse_state(read_text(os.path.join(path, "state"))),
        phys_state_id=parse_state(read_text(os.path.join(path, "phys_state"))),
        rate=parse_rate(read_text(os.path.join(path, "rate"))),
    )
    # Each set is parsed when its directory exists (counters_ext only along with counters).
    if os.path.exists(os.path.join(path, "counters")):
        read_counter_dir(path, "counters", port.counters)
        if os.path.exists(os.path.join(path, "counters_ext")):
            read_counter_dir(path, "counters_ext", port.counters)
    if os.path.exists(os.path.join(path, "hw_counters")):
        read_counter_dir(path, "hw_counters", port.counters)
    return port


def _optional_attribute(path: str) -> str:
    """board_id / hca_type: empty when absent; any other read error fails, as in sysfs."""
    try:
        return sys_read_file(path)
    except FileNotFoundError:
        return ""


def read_device(path: str) -> Device:
    """sysfs's parseInfiniBandDevice: fw_ver is required (every driver has it since 4.10)."""
    try:
        firmware = sys_read_file(os.path.join(path, "fw_ver"))
    except FileNotFoundError:
        raise
    except OSError as err:
        raise CollectorError(f"failed to read HCA firmware version: {err}") from None
    device = Device(
        name=os.path.basename(path),
        board_id=_optional_attribute(os.path.join(path, "board_id")),
        firmware_version=firmware,
        hca_type=_optional_attribute(os.path.join(path, "hca_type")),
    )
    ports_dir = os.path.join(path, "ports")
    try:
        names = sorted(os.listdir(ports_dir))
    except FileNotFoundError:
        raise
    except OSError as err:
        raise CollectorError(f"failed to list InfiniBand ports at {ports_dir!r}: {err}") from None
    ports: dict[int, Port] = {}
    for p in names:
        port = read_port(os.path.join(ports_dir, p))
        ports[int(port.port)] = port  # a map by number in sysfs: `01` and `1` are one port
    device.ports = [ports[n] for n in sorted(ports)]
    return device


@dataclass(frozen=True, slots=True)
class InfiniBandOptions:
    device_include: re.Pattern[str] | None = flag(
        "device-include",
        "Regexp of infiniband devices to include (mutually exclusive to device-exclude).",
        "")
    device_exclude: re.Pattern[str] | None = flag(
        "device-exclude",
        "Regexp of infiniband devices to exclude (mutually exclusive to device-include).",
        "")


@collector("infiniband", options=InfiniBandOptions)
class InfiniBandCollector(Collector[InfiniBandOptions]):
    def __init__(self, ctx: CollectorContext[InfiniBandOptions]) -> None:
        super().__init__(ctx)
        self.filter = exclusive_filter(
            "collector.infiniband", self.options.device_exclude, self.options.device_include
        )

    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("class", "infiniband")
        if not os.path.isdir(base):
            raise NoDataError("infiniband statistics not found, skipping")
        try:
            devices = [
                read_device(os.path.join(base, name))
                for name in list_dir(base)
                if not self.filter.ignored(name)
            ]
        except FileNotFoundError as err:
            # node_exporter's Update: an InfiniBandClass error that is os.ErrNotExist is ErrNoData.
            raise NoDataError(f"infiniband statistics not found, skipping: {err}") from None
        if not devices:
            return
        p = "node_infiniband_"
        labels = ["device", "port"]
        info = GaugeMetricFamily(
            p + "info", "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
            labels=["device", "board_id", "firmware_version", "hca_type"],
        )
        state = GaugeMetricFamily(
            p + "state_id",
            "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)",
            labels=labels,
        )
        phys = GaugeMetricFamily(
            p + "physical_state_id",
            "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, "
            "4: shift, 5: link up, 6: link error recover, 7: phytest)",
            labels=labels,
        )
        rate = GaugeMetricFamily(p + "rate_bytes_per_second", "Maximum signal transfer rate", labels=labels)
        lifespan = GaugeMetricFamily(p + "lifespan_seconds", LIFESPAN_HELP, labels=labels)
        families = [
            (f"{directory}/{name}", CounterMetricFamily(p + metric, help_, labels=labels))
            for directory, name, metric, help_, _ in COUNTERS
        ]
        for dev in devices:
            info.add_metric([dev.name, dev.board_id, dev.firmware_version, dev.hca_type], 1)
            for port in dev.ports:
                key = [dev.name, port.port]
                state.add_metric(key, port.state_id)
                phys.add_metric(key, port.phys_state_id)
                rate.add_metric(key, port.rate)
                ms = port.counters.get("hw_counters/lifespan")
                if ms is not None:
                    lifespan.add_metric(key, ms // 1000)
                for counter, family in families:
                    value = port.counters.get(counter)
                    if value is not None:
                        family.add_metric(key, value)
        # Only families with samples: node_exporter has no family for a counter no port has.
        emitted: list[Metric] = [info, state, phys, rate, lifespan, *(f for _, f in families)]
        yield from (family for family in emitted if family.samples)
