"""toolkit/overlap.py: quick calls in the calling thread, sleeping ones overlapped."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pyexporter.toolkit.overlap import map_overlapping_sleeps


def test_quick_calls_stay_in_the_calling_thread() -> None:
    def no_pool() -> ThreadPoolExecutor:
        raise AssertionError("no worker thread for quick calls")

    threads: list[int] = []

    def call(item: int) -> int:
        threads.append(threading.get_ident())
        return item * 2

    assert map_overlapping_sleeps(call, list(range(100)), no_pool) == [i * 2 for i in range(100)]
    assert set(threads) == {threading.get_ident()}


def test_after_a_sleeping_call_the_rest_overlap_in_order() -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        def call(item: int) -> int:
            time.sleep(0.05)
            return item

        started = time.perf_counter()
        assert map_overlapping_sleeps(call, list(range(9)), lambda: pool, slow_seconds=0.01) == list(range(9))
        # One call alone, then the other eight at once: about two sleeps, not nine.
        assert time.perf_counter() - started < 0.3


def test_the_first_error_in_order_is_raised() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        def call(item: int) -> int:
            if item == 0:
                time.sleep(0.02)
            if item in (3, 5):
                raise ValueError(item)
            return item

        with pytest.raises(ValueError, match="3"):
            map_overlapping_sleeps(call, list(range(8)), lambda: pool, slow_seconds=0.01)
        with pytest.raises(ValueError, match="3"):
            map_overlapping_sleeps(call, list(range(1, 8)), lambda: pool, slow_seconds=0.01)


def test_nothing_to_do() -> None:
    assert map_overlapping_sleeps(lambda i: i, [], lambda: ThreadPoolExecutor()) == []
