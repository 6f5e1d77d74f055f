"""Calls that are quick on most kernels and sleep on some: made in the calling thread while they
are quick, and overlapped on worker threads once one has slept.

Worker threads pay for themselves only when the calls sleep: for quick calls (reading sysfs
attributes) every thread that takes its turn with the GIL adds switches and lock hand-offs, and
with many CPUs that made cpufreq's cost per CPU grow with the CPU count. Some kernels do sleep
in reads, though (x86 kernels 4.15 to 5.17 sleep 10 ms, APERFMPERF_REFRESH_DELAY_MS, in each
CPU's first scaling_cur_freq read after 10 ms without one), and there reading 256 CPUs one at a
time would take seconds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# A call slower than this slept. Above the interpreter's switch interval (5 ms), so that waiting
# for the GIL behind another thread is not taken for a sleep; below the 10 ms the kernels known
# to sleep sleep.
SLOW_SECONDS = 1.5 * sys.getswitchinterval()


def map_overlapping_sleeps(func: Callable[[T], R], items: Sequence[T], pool: Callable[[], Executor],
                           slow_seconds: float = SLOW_SECONDS) -> list[R]:
    """[func(item) for item in items], in order, the first exception in order raised. Calls are
    made in this thread until one takes longer than SLOW_SECONDS; the items after it then go to
    the executor POOL() returns, all at once, so that their sleeps overlap."""
    results: list[R] = []
    clock = time.perf_counter
    for index, item in enumerate(items):
        started = clock()
        results.append(func(item))
        if clock() - started > slow_seconds and index + 1 < len(items):
            results.extend(pool().map(func, items[index + 1:]))
            break
    return results
