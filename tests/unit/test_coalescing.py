"""Simultaneous scrapes share one gather, and never get one that started before they arrived."""

from __future__ import annotations

import threading
import time

from pyexporter.exporter import _Coalescer


def test_waiters_share_the_next_gather_not_the_running_one() -> None:
    coalescer = _Coalescer()
    started = threading.Event()
    release = threading.Event()
    calls: list[float] = []

    def gather() -> list:
        calls.append(time.monotonic())
        if len(calls) == 1:
            started.set()
            release.wait(10)
        return [len(calls)]

    results: dict[str, list] = {}

    def request(name: str) -> None:
        results[name] = coalescer.run("all", gather)

    first = threading.Thread(target=request, args=("first",))
    first.start()
    started.wait(10)
    arrived = time.monotonic()
    waiters = [threading.Thread(target=request, args=(f"w{i}",)) for i in range(5)]
    for thread in waiters:
        thread.start()
    time.sleep(0.05)  # let them queue behind the running gather
    release.set()
    for thread in [first, *waiters]:
        thread.join(10)
    assert results["first"] == [1]
    # All five waiters got the second gather, which started after they arrived.
    assert {tuple(results[f"w{i}"]) for i in range(5)} == {(2,)}
    assert len(calls) == 2
    assert calls[1] >= arrived


def test_a_failed_gather_is_retried_by_the_next_request() -> None:
    coalescer = _Coalescer()
    outcomes = iter([RuntimeError("boom"), [1]])

    def gather() -> list:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    try:
        coalescer.run(None, gather)
    except RuntimeError:
        pass
    assert coalescer.run(None, gather) == [1]


def test_keys_are_separate() -> None:
    coalescer = _Coalescer()
    assert coalescer.run(("cpu",), lambda: ["cpu"]) == ["cpu"]
    assert coalescer.run(("meminfo",), lambda: ["meminfo"]) == ["meminfo"]
    assert coalescer.run(("cpu",), lambda: ["cpu again"]) == ["cpu again"]
