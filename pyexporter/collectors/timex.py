"""timex: the kernel clock discipline state from adjtimex(2), as node_exporter's.

No /proc or /sys file carries this, so the system call is made through ctypes (with modes 0 it
only reads, and needs no privilege).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily

TIME_ERROR = 5  # adjtimex's return value when the clock is not synchronised
STA_NANO = 0x2000  # status bit: offset and jitter are in nanoseconds, not microseconds
PPM16FRAC = 1_000_000.0 * 65536.0  # frequencies are ppm scaled by 2^16 (adjtimex(2) NOTES)
OFFSET_OVERFLOW_SECONDS = 4.0  # |offset| past this is a kernel overflow artefact (upstream #3764)


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h>; the trailing ints are the kernel's reserved padding.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time", _Timeval),
        ("tick", ctypes.c_long),
        ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long),
        ("shift", ctypes.c_int),
        ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long),
        ("calcnt", ctypes.c_long),
        ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long),
        ("tai", ctypes.c_int),
        ("_reserved", ctypes.c_int * 11),
    ]


class Timex(NamedTuple):
    state: int
    offset: int
    freq: int
    maxerror: int
    esterror: int
    status: int
    constant: int
    tick: int
    ppsfreq: int
    jitter: int
    shift: int
    stabil: int
    jitcnt: int
    calcnt: int
    errcnt: int
    stbcnt: int
    tai: int


class TimexValues(NamedTuple):
    sync_status: float
    offset_seconds: float
    frequency_adjustment_ratio: float
    maxerror_seconds: float
    estimated_error_seconds: float
    status: float
    loop_time_constant: float
    tick_seconds: float
    pps_frequency_hertz: float
    pps_jitter_seconds: float
    pps_shift_seconds: float
    pps_stability_hertz: float
    pps_jitter_total: float
    pps_calibration_total: float
    pps_error_total: float
    pps_stability_exceeded_total: float
    tai_offset_seconds: float


def convert_timex(t: Timex) -> TimexValues:
    """Kernel units to node_exporter's: seconds, ratios and hertz."""
    divisor = 1e9 if t.status & STA_NANO else 1e6
    return TimexValues(
        sync_status=0.0 if t.state == TIME_ERROR else 1.0,
        offset_seconds=t.offset / divisor,
        frequency_adjustment_ratio=1 + t.freq / PPM16FRAC,
        maxerror_seconds=t.maxerror / 1e6,
        estimated_error_seconds=t.esterror / 1e6,
        status=float(t.status),
        loop_time_constant=float(t.constant),
        tick_seconds=t.tick / 1e6,
        pps_frequency_hertz=t.ppsfreq / PPM16FRAC,
        pps_jitter_seconds=t.jitter / divisor,
        pps_shift_seconds=float(t.shift),
        pps_stability_hertz=t.stabil / PPM16FRAC,
        pps_jitter_total=float(t.jitcnt),
        pps_calibration_total=float(t.calcnt),
        pps_error_total=float(t.errcnt),
        pps_stability_exceeded_total=float(t.stbcnt),
        tai_offset_seconds=float(t.tai),
    )


_libc: ctypes.CDLL | None = None


def adjtimex() -> Timex:
    """Read the clock state (modes 0); OSError when the call fails."""
    global _libc
    if _libc is None:
        # The symbols already in this process, libc's among them: no ldconfig run to find libc.
        _libc = ctypes.CDLL(None, use_errno=True)
    buf = _Timex()
    state = _libc.adjtimex(ctypes.byref(buf))
    if state == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"adjtimex: {os.strerror(err)}")
    return Timex(
        state, buf.offset, buf.freq, buf.maxerror, buf.esterror, buf.status, buf.constant,
        buf.tick, buf.ppsfreq, buf.jitter, buf.shift, buf.stabil, buf.jitcnt, buf.calcnt,
        buf.errcnt, buf.stbcnt, buf.tai,
    )


# (field of TimexValues, metric name, HELP, is counter)
_METRICS = (
    ("sync_status", "node_timex_sync_status",
     "Is clock synchronized to a reliable server (1 = yes, 0 = no).", False),
    ("offset_seconds", "node_timex_offset_seconds",
     "Time offset in between local system and reference clock.", False),
    ("frequency_adjustment_ratio", "node_timex_frequency_adjustment_ratio",
     "Local clock frequency adjustment.", False),
    ("maxerror_seconds", "node_timex_maxerror_seconds", "Maximum error in seconds.", False),
    ("estimated_error_seconds", "node_timex_estimated_error_seconds", "Estimated error in seconds.", False),
    ("status", "node_timex_status", "Value of the status array bits.", False),
    ("loop_time_constant", "node_timex_loop_time_constant", "Phase-locked loop time constant.", False),
    ("tick_seconds", "node_timex_tick_seconds", "Seconds between clock ticks.", False),
    ("pps_frequency_hertz", "node_timex_pps_frequency_hertz", "Pulse per second frequency.", False),
    ("pps_jitter_seconds", "node_timex_pps_jitter_seconds", "Pulse per second jitter.", False),
    ("pps_shift_seconds", "node_timex_pps_shift_seconds", "Pulse per second interval duration.", False),
    ("pps_stability_hertz", "node_timex_pps_stability_hertz",
     "Pulse per second stability, average of recent frequency changes.", False),
    ("pps_jitter_total", "node_timex_pps_jitter_total",
     "Pulse per second count of jitter limit exceeded events.", True),
    ("pps_calibration_total", "node_timex_pps_calibration_total",
     "Pulse per second count of calibration intervals.", True),
    ("pps_error_total", "node_timex_pps_error_total", "Pulse per second count of calibration errors.", True),
    ("pps_stability_exceeded_total", "node_timex_pps_stability_exceeded_total",
     "Pulse per second count of stability limit exceeded events.", True),
    ("tai_offset_seconds", "node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.", False),
)

_OVERFLOW_HELP = (
    "Count of adjtimex() offset readings indicating kernel overflow (|offset| > 4s). "
    "See https://github.com/prometheus/node_exporter/issues/3764"
)


@collector("timex")
class TimexCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.overflow_count = 0

    def read(self) -> Timex:
        return adjtimex()

    def collect(self) -> Iterable[Metric]:
        try:
            values = convert_timex(self.read())
        except PermissionError as err:
            # node_exporter: "Not collecting timex metrics" when adjtimex is not permitted.
            raise NoDataError(f"not collecting timex metrics: {err}") from err
        except OSError as err:
            raise CollectorError(f"failed to retrieve adjtimex stats: {err}") from err
        if abs(values.offset_seconds) > OFFSET_OVERFLOW_SECONDS:
            self.overflow_count += 1
        for attr, name, help_text, is_counter in _METRICS:
            value = getattr(values, attr)
            if is_counter:
                yield CounterMetricFamily(name, help_text, value=value)
            else:
                yield GaugeMetricFamily(name, help_text, value=value)
        yield CounterMetricFamily("node_timex_offset_overflow_total", _OVERFLOW_HELP, value=self.overflow_count)
