"""Settings: everything start-up decided, validated once, immutable afterwards."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pyexporter.paths import Paths


class ConfigError(Exception):
    """Bad start-up input; its message is printed as the one line the user sees (exit 2)."""


@dataclass(frozen=True, slots=True)
class ListenAddress:
    host: str | None  # None: every interface, as Go's ":9100"
    port: int

    def __str__(self) -> str:
        host = self.host or ""
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


_BRACKETED = re.compile(r"^\[(?P<host>[^\]]*)\]:(?P<port>\d+)$")


def parse_listen_address(text: str) -> ListenAddress:
    """Go's host:port forms: `:9100`, `127.0.0.1:9100`, `[::1]:9100`, `localhost:9100`."""
    match = _BRACKETED.match(text)
    if match:
        host, port = match.group("host"), match.group("port")
    else:
        host, sep, port = text.rpartition(":")
        if not sep or ":" in host:
            raise ConfigError(f"--web.listen-address: invalid address {text!r} (expected host:port or :port)")
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--web.listen-address: invalid port in {text!r}")
    return ListenAddress(host or None, int(port))


@dataclass(frozen=True, slots=True)
class Settings:
    listen_addresses: tuple[ListenAddress, ...] = (ListenAddress(None, 9100),)
    # Serve on the sockets systemd passes (socket activation) instead of listen_addresses.
    systemd_socket: bool = False
    telemetry_path: str = "/metrics"
    disable_exporter_metrics: bool = False
    max_requests: int = 40
    web_config_file: str = ""
    # A new connection's request head must arrive within this; a keep-alive connection may then
    # sit idle this long between requests (see web.ConnectionGuard).
    read_header_timeout: float = 20.0
    idle_timeout: float = 150.0
    # Open connections beyond this are closed as soon as they are accepted; 0: no cap.
    max_connections: int = 512
    # A scrape answers by its deadline with what has finished: the scraper's
    # X-Prometheus-Scrape-Timeout-Seconds less the margin, or scrape_timeout when it sends none.
    # A collector may also be given less time than the scrape (0: the scrape's deadline).
    scrape_timeout: float = 10.0
    scrape_timeout_margin: float = 0.5
    collector_timeout: float = 0.0
    paths: Paths = field(default_factory=Paths)
    enabled_collectors: tuple[str, ...] = ()
    # Each enabled collector's options: its options dataclass, as cli builds them (or, from code
    # and tests, {flag name: value} for the collector to build).
    collector_options: Mapping[str, object] = field(default_factory=dict)
    log_level: str = "info"
    log_format: str = "logfmt"
    once: bool = False

    def __post_init__(self) -> None:
        if not self.telemetry_path.startswith("/"):
            raise ConfigError(f"--web.telemetry-path must start with '/': {self.telemetry_path!r}")
        if self.telemetry_path == "/-/healthy":
            raise ConfigError(f"--web.telemetry-path cannot be {self.telemetry_path!r}")
        if self.max_requests < 0:
            raise ConfigError(f"--web.max-requests must be 0 (no limit) or more, not {self.max_requests}")
        if self.read_header_timeout <= 0:
            raise ConfigError("--web.read-header-timeout must be more than 0")
        if self.idle_timeout <= 0:
            raise ConfigError("--web.idle-timeout must be more than 0")
        if self.max_connections < 0:
            raise ConfigError(f"--web.max-connections must be 0 (no limit) or more, not {self.max_connections}")
        if self.scrape_timeout <= 0:
            raise ConfigError("--scrape.timeout must be more than 0")
        if self.scrape_timeout_margin < 0:
            raise ConfigError("--scrape.timeout-margin must be 0 or more")
        if self.collector_timeout < 0:
            raise ConfigError("--scrape.collector-timeout must be 0 (the scrape's deadline) or more")


def check_directory(flag: str, path: str) -> None:
    """An explicitly given root must be a readable directory; defaults are not checked, since a
    missing /sys (common in containers) only leaves the collectors that read it empty."""
    if not os.path.isdir(path):
        raise ConfigError(f"--{flag}: {path!r} is not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ConfigError(f"--{flag}: {path!r} is not readable")
