"""Results of a pure function of input that recurs from one scrape to the next (the lines of
/proc/1/mountinfo), reused instead of computed again.

A remembered result is provably the one the function would compute: the function's result
depends on its argument alone (it reads nothing else, and what it is built with is fixed for the
collector's life), and it is looked up by that argument. Memory is bounded by two scrapes' worth:
`rotate`, at the start of each scrape, drops what the scrape before the last one used, as the
exposition's text memo does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class RecurringMemo(Generic[K, V]):
    """FUNC(key), remembered for this scrape and the one before. What FUNC raises is not
    remembered: the next call with that key raises it anew."""

    def __init__(self, func: Callable[[K], V]) -> None:
        self._func = func
        self._now: dict[K, V] = {}
        self._before: dict[K, V] = {}

    def rotate(self) -> None:
        self._before, self._now = self._now, {}

    def __call__(self, key: K) -> V:
        value = self._now.get(key, _MISSING)
        if value is _MISSING:
            value = self._before.get(key, _MISSING)
            if value is _MISSING:
                value = self._func(key)
            self._now[key] = value  # type: ignore[assignment]
        return value  # type: ignore[return-value]
