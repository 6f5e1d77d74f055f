"""infiniband: /sys/class/infiniband/<device>/ports/<port>, as node_exporter's infiniband collector
(collector/infiniband_linux.go, over sysfs's class_infiniband.go)."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_first_line, read_optional
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_float, parse_uint

# (directory, file, metric name, HELP, multiplier). Data counters count 32-bit words ("octets
# divided by 4" in the IBA spec), hence the 4.
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
    ("counters", "link_downed", "link_downed_total",
     "Number of times the link failed to recover from an error state and went down", 1),
    ("counters", "link_error_recovery", "link_error_recovery_total",
     "Number of times the link successfully recovered from an error state", 1),
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
)


@dataclass(slots=True)
class Port:
    port: str
    state_id: int
    phys_state_id: int
    rate: float  # bytes per second
    counters: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Device:
    name: str
    board_id: str
    firmware_version: str
    hca_type: str
    ports: list[Port] = field(default_factory=list)


def parse_state(text: str) -> int:
    """`4: ACTIVE` -> 4: exactly one colon, then strconv.ParseUint(id, 10, 32) as sysfs's
    parseState reads it."""
    parts = text.split(":")
    if len(parts) != 2:
        raise CollectorError(f"unexpected InfiniBand port state {text[:40]!r}")
    try:
        return parse_uint(go_trim_space(parts[0]), bits=32)
    except NumberError as err:
        raise CollectorError(f"unexpected InfiniBand port state {text[:40]!r}: {err}") from None


def parse_rate(text: str) -> float:
    """`40 Gb/sec (4X QDR)` -> bytes per second, as sysfs's parseRate: the text up to the first
    space as strconv.ParseFloat(x, 32), times 125000000, truncated to an integer."""
    head, sep, _ = text.partition(" ")
    if not sep:
        raise CollectorError(f"unexpected InfiniBand port rate {text[:40]!r}")
    try:
        # Rounded to the float32 that ParseFloat(x, 32) returns; OverflowError beyond its range.
        gbits: float = struct.unpack("f", struct.pack("f", parse_float(go_trim_space(head))))[0]
        return float(int(gbits * 125_000_000))
    except (NumberError, OverflowError, ValueError):
        raise CollectorError(f"unexpected InfiniBand port rate {text[:40]!r}") from None


def parse_counter(text: str) -> int | None:
    """A counter as sysfs reads it, strconv.ParseUint(text, 0, 64); None for a port that says
    `N/A (no PMA)` (it does not count this), NumberError for any other non-number."""
    try:
        return parse_uint(text, 0)
    except NumberError:
        if "N/A (no PMA)" in text:
            return None
        raise


def read_port(path: str) -> Port:
    port = Port(
        port=os.path.basename(path),
        state_id=parse_state(read_first_line(os.path.join(path, "state"))),
        phys_state_id=parse_state(read_first_line(os.path.join(path, "phys_state"))),
        rate=parse_rate(read_first_line(os.path.join(path, "rate"))),
    )
    for directory, name, _, _, _ in COUNTERS:
        counter_path = os.path.join(path, directory, name)
        text = read_optional(counter_path)
        try:
            value = parse_counter(text) if text is not None else None
        except NumberError as err:
            raise CollectorError(f"unexpected InfiniBand counter {counter_path}: {err}") from None
        if value is not None:
            port.counters[f"{directory}/{name}"] = value
    return port


def read_device(path: str) -> Device:
    device = Device(
        name=os.path.basename(path),
        board_id=read_optional(os.path.join(path, "board_id")) or "",
        firmware_version=read_optional(os.path.join(path, "fw_ver")) or "",
        hca_type=read_optional(os.path.join(path, "hca_type")) or "",
    )
    ports_dir = os.path.join(path, "ports")
    device.ports = [read_port(os.path.join(ports_dir, p)) for p in list_dir(ports_dir)]
    return device


@collector("infiniband")
class InfiniBandCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        base = self.paths.sys("class", "infiniband")
        devices = [read_device(os.path.join(base, name)) for name in list_dir(base)]
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
        families = [
            (f"{directory}/{name}", scale, CounterMetricFamily(p + metric, help_, labels=labels))
            for directory, name, metric, help_, scale in COUNTERS
        ]
        for dev in devices:
            info.add_metric([dev.name, dev.board_id, dev.firmware_version, dev.hca_type], 1)
            for port in dev.ports:
                key = [dev.name, port.port]
                state.add_metric(key, port.state_id)
                phys.add_metric(key, port.phys_state_id)
                rate.add_metric(key, port.rate)
                for counter, scale, family in families:
                    value = port.counters.get(counter)
                    if value is not None:
                        family.add_metric(key, value * scale)
        yield from (info, state, phys, rate)
        for _, _, family in families:
            yield family
