"""rate_limit: exporter-toolkit's limit on requests, a token bucket (golang.org/x/time/rate)."""

from __future__ import annotations

import time

from pyexporter.webconfig.config import RateLimit


class TokenBucket:
    """One token per interval, up to burst; a request takes one or is refused."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._tokens = float(limit.burst)
        self._last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(float(self.limit.burst), self._tokens + (now - self._last) / self.limit.interval)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
