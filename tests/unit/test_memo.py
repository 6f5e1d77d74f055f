"""toolkit/memo.py: results of a pure function remembered for two scrapes."""

import pytest

from pyexporter.toolkit.memo import RecurringMemo


def test_results_recur_for_two_scrapes_then_are_dropped() -> None:
    calls: list[str] = []

    def upper(key: str) -> str:
        calls.append(key)
        return key.upper()

    memo = RecurringMemo(upper)
    assert [memo("a"), memo("a"), memo("b")] == ["A", "A", "B"]
    memo.rotate()
    assert memo("a") == "A"  # carried over from the scrape before
    memo.rotate()
    memo.rotate()  # "a" not used for a whole scrape: dropped
    assert memo("a") == "A"
    assert calls == ["a", "b", "a"]


def test_none_is_remembered_and_errors_are_not() -> None:
    calls: list[str] = []

    def check(key: str) -> None:
        calls.append(key)
        if key == "bad":
            raise ValueError(key)

    memo = RecurringMemo(check)
    assert memo("ok") is None
    assert memo("ok") is None
    for _ in range(2):
        with pytest.raises(ValueError):
            memo("bad")
    assert calls == ["ok", "bad", "bad"]
