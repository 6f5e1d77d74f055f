"""drbd: DRBD device statistics from /proc/drbd (DRBD 8), as node_exporter's drbd collector
(collector/drbd_linux.go: newDRBDCollector, Update; it parses the file itself).

Every whitespace-separated `key:value` word counts; a `N:` word starts device drbdN, words of
another shape are skipped, words before the first device belong to `unknown`. Known numerical
keys are strconv.ParseFloat (KiB ones times 1024; `nr` is not, as upstream), and one that is not
a number fails the collector; `ro`/`ds` are `local/remote` pairs (a value without `/` panics
node_exporter's index, and fails the collector here); `cs` is 1 only for `Connected`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError, NoDataError
from pyexporter.toolkit.families import FamilyIndex
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_float, parse_uint


class DrbdValue(NamedTuple):
    """One recognised `key:value` word of /proc/drbd, with the device it belongs to."""

    device: str
    key: str
    value: str


def parse_drbd(text: str) -> list[DrbdValue]:
    """Every `key:value` word, tagged with its device; a `N:` word starts device drbdN.

    Words of any other shape (the version banner, flags such as `r-----`) are skipped,
    as node_exporter skips them; words before the first device belong to `unknown`. The device
    number is what strconv.ParseUint reads; a key it refuses is an ordinary key.
    """
    device = "unknown"
    values: list[DrbdValue] = []
    for word in text.split():
        parts = word.split(":")
        if len(parts) != 2:
            continue
        key, value = parts
        if value == "":
            try:
                device = f"drbd{parse_uint(key)}"
                continue
            except NumberError:
                pass
        values.append(DrbdValue(device, key, value))
    return values


# key: (metric name, HELP, is a counter, multiplier); sizes in /proc/drbd are in KiB.
_NUMERICAL: dict[str, tuple[str, str, bool, float]] = {
    "ns": ("node_drbd_network_sent_bytes_total", "Total number of bytes sent via the network.", True, 1024),
    "nr": ("node_drbd_network_received_bytes_total", "Total number of bytes received via the network.",
           True, 1),
    "dw": ("node_drbd_disk_written_bytes_total", "Net data written on local hard disk; in bytes.", True, 1024),
    "dr": ("node_drbd_disk_read_bytes_total", "Net data read from local hard disk; in bytes.", True, 1024),
    "al": ("node_drbd_activitylog_writes_total",
           "Number of updates of the activity log area of the meta data.", True, 1),
    "bm": ("node_drbd_bitmap_writes_total", "Number of updates of the bitmap area of the meta data.", True, 1),
    "lo": ("node_drbd_local_pending", "Number of open requests to the local I/O sub-system.", False, 1),
    "pe": ("node_drbd_remote_pending",
           "Number of requests sent to the peer, but that have not yet been answered by the latter.", False, 1),
    "ua": ("node_drbd_remote_unacknowledged",
           "Number of requests received by the peer via the network connection, "
           "but that have not yet been answered.", False, 1),
    "ap": ("node_drbd_application_pending",
           "Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.", False, 1),
    "ep": ("node_drbd_epochs", "Number of Epochs currently on the fly.", False, 1),
    "oos": ("node_drbd_out_of_sync_bytes", "Amount of data known to be out of sync; in bytes.", False, 1024),
}

# key: (metric name, HELP, the value that reads as 1) for `local/remote` pairs.
_STRING_PAIRS: dict[str, tuple[str, str, str]] = {
    "ro": ("node_drbd_node_role_is_primary", "Whether the role of the node is in the primary state.", "Primary"),
    "ds": ("node_drbd_disk_state_is_up_to_date", "Whether the disk of the node is up to date.", "UpToDate"),
}


@collector("drbd", default=False)
class DrbdCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        try:
            text = read_text(self.paths.proc("drbd"))
        except FileNotFoundError:
            raise NoDataError("stats file does not exist, skipping") from None
        families = FamilyIndex()
        for item in parse_drbd(text):
            if item.key in _NUMERICAL:
                name, help_text, counter, multiplier = _NUMERICAL[item.key]
                value = parse_float(item.value) * multiplier
                if counter:
                    families.counter(name, help_text, ["device"]).add_metric([item.device], value)
                else:
                    families.gauge(name, help_text, ["device"]).add_metric([item.device], value)
            elif item.key in _STRING_PAIRS:
                name, help_text, ok = _STRING_PAIRS[item.key]
                pair = item.value.split("/")
                if len(pair) < 2:
                    raise CollectorError(f"invalid /proc/drbd pair {item.key}:{item.value}")
                fam = families.gauge(name, help_text, ["device", "node"])
                fam.add_metric([item.device, "local"], 1.0 if pair[0] == ok else 0.0)
                fam.add_metric([item.device, "remote"], 1.0 if pair[1] == ok else 0.0)
            elif item.key == "cs":
                families.gauge("node_drbd_connected", "Whether DRBD is connected to the peer.", ["device"]).add_metric(
                    [item.device], 1.0 if item.value == "Connected" else 0.0
                )
        yield from families.families()
