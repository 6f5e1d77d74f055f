"""Basic auth: `Authorization: Basic` checked against the file's bcrypt hashes, as exporter-toolkit
does, with a cache of results so that a scraper's repeated credentials cost no bcrypt."""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import hashlib
import hmac
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

# Checked against when the user is unknown, so that timing does not tell which users exist;
# bcrypt (cost 10) of "fakepassword", as exporter-toolkit does.
_FAKE_HASH = b"$2b$10$X675b689oVCe9CwDtg1cJ.HoL1jZfbhjizEsummZHwKbuOnemysv2"


def _checkpw(password: bytes, hashed: bytes) -> bool:
    import bcrypt  # imported here: only servers with basic_auth_users need it

    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        # bcrypt refuses passwords over 72 bytes; such a password matches nothing.
        return False


class BasicAuth:
    """Checks `Authorization: Basic` against bcrypt hashes, as exporter-toolkit does.

    bcrypt is slow by design, so it runs on its own single thread: it neither blocks the event
    loop nor competes with scrapes for the default executor, and parallel guesses queue instead of
    taking every core. Results are cached, keyed by an HMAC of user, hash and password under a
    per-process random key, so a scraper's repeated good credentials cost one dict lookup and the
    cache holds no password.
    """

    CACHE_SIZE = 1024

    def __init__(self) -> None:
        self._key = os.urandom(32)
        self._cache: collections.OrderedDict[bytes, bool] = collections.OrderedDict()
        self._executor: ThreadPoolExecutor | None = None

    async def verify(self, users: Mapping[str, bytes], authorization: str | None) -> bool:
        credentials = _basic_credentials(authorization)
        if credentials is None:
            return False
        user, password = credentials
        hashed = users.get(user)
        known = hashed is not None
        hashed = hashed if hashed is not None else _FAKE_HASH
        digest = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in (user.encode(), hashed, password):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        key = digest.digest()
        ok = self._cache.get(key)
        if ok is None:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bcrypt")
            ok = await asyncio.get_running_loop().run_in_executor(self._executor, _checkpw, password, hashed)
            self._cache[key] = ok
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return known and ok

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _basic_credentials(authorization: str | None) -> tuple[str, bytes] | None:
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
        user, sep, password = decoded.partition(b":")
        if not sep:
            return None
        return user.decode("utf-8"), password
    except (binascii.Error, UnicodeDecodeError):
        return None
