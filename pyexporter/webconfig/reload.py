"""The web configuration while running: re-read when the file, or a file it names, changes.

Like exporter-toolkit, the file (and the certificate, key and CA files it names) is re-read while
running: exporter-toolkit parses it on every request and loads the certificate on every TLS
handshake. Here a stat of those files on each request and each new connection decides whether to
re-read, so an unchanged file costs only those stat calls. What a broken file does after start-up
is exporter-toolkit's too: an unparsable file answers every request with 500 (and logs the error,
once per change here rather than once per request) and a TLS setup that no longer loads refuses
new handshakes; nothing is served with weaker protection than the file asks for. Fixing the file
brings the server back without a restart. Whether the listeners speak TLS at all is decided at
start-up, as in exporter-toolkit.
"""

from __future__ import annotations

import logging
import os
import ssl

from pyexporter.webconfig.config import FLAG, TLSConfig, WebConfig, WebConfigError, load
from pyexporter.webconfig.tls import build_ssl_context, reloading_context

log = logging.getLogger(__name__)

# What tells whether one file changed: (path, errno) for a file that cannot be stat'ed, else
# (path, inode, size, mtime_ns, ctime_ns).
_FileState = tuple[str, int | None] | tuple[str, int, int, int, int]


def _signature(paths: tuple[str, ...]) -> tuple[_FileState, ...]:
    result: list[_FileState] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError as err:
            result.append((path, err.errno))
        else:
            result.append((path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(result)


class WatchedConfig:
    """The web configuration in force, re-read when the file or a file it names changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        config = load(path)  # start-up: every problem refuses to start
        self.tls_enabled = config.tls.enabled
        try:
            self._ssl: ssl.SSLContext | None = build_ssl_context(config.tls) if self.tls_enabled else None
        except WebConfigError as err:
            raise WebConfigError(f"{FLAG}={path}: {err}") from None
        self._config: WebConfig | None = config
        self._files = (path, *config.files())
        self._signature = _signature(self._files)
        # Handshakes while the TLS setup is broken get a context with no certificate: they fail.
        self._refuse = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

    @property
    def cached(self) -> WebConfig | None:
        """The configuration as last read (None while the file is broken), without looking at the file."""
        return self._config

    def current(self) -> WebConfig | None:
        """The configuration in force, after re-reading a changed file; None while it is broken."""
        self.refresh()
        return self._config

    def refresh(self) -> None:
        signature = _signature(self._files)
        if signature == self._signature:
            return
        try:
            config = load(self.path)
        except WebConfigError as err:
            log.error("Unable to parse configuration, answering 500 until it is fixed",
                      extra={"kv": {"err": str(err)}})
            self._config = None
            self._ssl = None
            self._signature = signature
            return
        self._config = config
        self._files = (self.path, *config.files())
        self._signature = _signature(self._files)
        if self.tls_enabled:
            self._reload_tls(config.tls)
        elif config.tls.enabled:
            log.warning("tls_server_config was added after start-up; TLS needs a restart to take effect",
                        extra={"kv": {"file": self.path}})
        log.info("Reloaded web configuration", extra={"kv": {"file": self.path}})

    def _reload_tls(self, tls: TLSConfig) -> None:
        if not tls.enabled:
            log.error("TLS config is not present in the reloaded file; refusing TLS connections until it is",
                      extra={"kv": {"file": self.path}})
            self._ssl = None
            return
        try:
            self._ssl = build_ssl_context(tls)
        except WebConfigError as err:
            log.error("Unable to load TLS configuration, refusing new connections until it is fixed",
                      extra={"kv": {"file": self.path, "err": str(err)}})
            self._ssl = None

    def ssl_context(self) -> ssl.SSLContext:
        """The context for one new connection."""
        self.refresh()
        return self._ssl or self._refuse

    def server_context(self) -> ssl.SSLContext:
        """The context to give the listeners (TLS only)."""
        return reloading_context(self.ssl_context)
