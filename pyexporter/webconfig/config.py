"""The web configuration file: its format, parsing and validation, and the configuration types.

The format is prometheus/exporter-toolkit's (docs/web-configuration.md), read as strictly as its
`yaml.UnmarshalStrict`: unknown keys, duplicate keys and wrong types are errors, each a one-line
WebConfigError naming the file and the key. Parsing checks; it loads no certificate (see tls.py).
"""

from __future__ import annotations

import functools
import os
import re
import ssl
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyexporter.flags import FlagValueError, parse_duration
from pyexporter.settings import ConfigError

if TYPE_CHECKING:
    import yaml

FLAG = "--web.config.file"

# Go's tls.VersionTLS1x names as exporter-toolkit spells them.
TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}

# Go's crypto/tls cipher suite names (tls.CipherSuites(), including the RSA key exchange ones that
# older Go releases listed there) -> OpenSSL's names. TLS 1.3 suites are accepted and, as in Go,
# not configurable: they are always on.
CIPHER_SUITES = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_AES_128_GCM_SHA256": None,
    "TLS_AES_256_GCM_SHA384": None,
    "TLS_CHACHA20_POLY1305_SHA256": None,
}

CURVES = {"CurveP256": "prime256v1", "CurveP384": "secp384r1", "CurveP521": "secp521r1", "X25519": "X25519"}

# exporter-toolkit's client_auth_type values. Go can ask for a client certificate without
# verifying it (RequestClientCert, RequireAnyClientCert); Python's ssl module verifies every
# certificate it asks for, so those two are refused rather than silently changed.
CLIENT_AUTH = {
    "": ssl.CERT_NONE,
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_UNVERIFIED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert")

# exporter-toolkit's extraHTTPHeaders: the only headers the file may set, some with fixed values.
HEADERS: dict[str, tuple[str, ...]] = {
    "Strict-Transport-Security": (),
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": (),
    "Content-Security-Policy": (),
}

# $2a$/$2b$/$2y$ (htpasswd writes 2y), a two-digit cost, 22 characters of salt and 31 of hash.
_BCRYPT = re.compile(r"^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$")


class WebConfigError(ConfigError):
    """The web configuration cannot be used; the message is one line naming the file."""


@dataclass(frozen=True, slots=True)
class TLSConfig:
    cert_file: str = ""
    key_file: str = ""
    cert: str = ""
    key: str = ""
    client_ca_file: str = ""
    client_ca: str = ""
    client_auth_type: str = ""
    min_version: str = "TLS12"
    max_version: str = "TLS13"
    cipher_suites: tuple[str, ...] = ()
    prefer_server_cipher_suites: bool = True
    curve_preferences: tuple[str, ...] = ()
    client_allowed_sans: tuple[str, ...] | None = None

    @property
    def enabled(self) -> bool:
        """exporter-toolkit's TLSConfig.IsEnabled: any certificate or client-auth setting turns TLS on."""
        return any((self.cert_file, self.key_file, self.cert, self.key, self.client_ca_file, self.client_ca,
                    self.client_auth_type))

    def files(self) -> tuple[str, ...]:
        return tuple(path for path in (self.cert_file, self.key_file, self.client_ca_file) if path)


@dataclass(frozen=True, slots=True)
class RateLimit:
    interval: float  # seconds between two requests
    burst: int


@dataclass(frozen=True, slots=True)
class WebConfig:
    tls: TLSConfig = field(default_factory=TLSConfig)
    http2: bool = True  # accepted for compatibility; aiohttp speaks HTTP/1.1 only
    headers: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, bytes] = field(default_factory=dict)
    rate_limit: RateLimit | None = None

    def files(self) -> tuple[str, ...]:
        return self.tls.files()


@functools.cache
def _strict_loader() -> type[yaml.SafeLoader]:
    """A SafeLoader that refuses duplicate keys, as Go's yaml.UnmarshalStrict does. Built on
    first use: PyYAML is imported only by servers given a web config file, as its memory is
    wasted on the others."""
    import yaml

    def construct_mapping(
        loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Hashable, object]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    class StrictLoader(yaml.SafeLoader):
        pass

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return StrictLoader


def _load_yaml(text: str) -> object:
    import yaml

    try:
        document: object = yaml.load(text, Loader=_strict_loader())  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as err:
        raise WebConfigError(_yaml_error(err)) from None
    return document


def _yaml_error(err: yaml.YAMLError) -> str:
    import yaml

    if isinstance(err, yaml.MarkedYAMLError) and err.problem_mark is not None:
        where = f"line {err.problem_mark.line + 1}, column {err.problem_mark.column + 1}"
        what = " ".join(part for part in (err.context, err.problem) if part)
        return f"invalid YAML at {where}: {what}"
    return "invalid YAML: " + " ".join(str(err).split())


class _Section:
    """One mapping of the file, read key by key; what is left over at the end is an unknown key."""

    def __init__(self, where: str, value: object) -> None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise WebConfigError(f"{where}: expected a mapping, got {_kind(value)}")
        self.where = where
        self.values: dict[object, object] = dict(value)

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def string(self, key: str, default: str = "") -> str:
        value = self.values.pop(key, None)
        if value is None:
            return default
        if not isinstance(value, str):
            raise WebConfigError(f"{self._path(key)}: expected a string, got {_kind(value)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.values.pop(key, None)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise WebConfigError(f"{self._path(key)}: expected true or false, got {_kind(value)}")
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.values.pop(key, None)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise WebConfigError(f"{self._path(key)}: expected a list of strings")
        return tuple(value)

    def string_map(self, key: str) -> dict[str, str]:
        value = self.values.pop(key, None)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise WebConfigError(f"{self._path(key)}: expected a mapping of strings to strings")
        return dict(value)

    def section(self, key: str) -> _Section:
        return _Section(self._path(key), self.values.pop(key, None))

    def done(self) -> None:
        if self.values:
            key = sorted(map(str, self.values))[0]
            raise WebConfigError(f"{self._path(key)}: unknown key")


def _kind(value: object) -> str:
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
                              type(None): "nothing"}
    return kinds.get(type(value), type(value).__name__)


def _join(directory: str, path: str) -> str:
    # exporter-toolkit's SetDirectory: relative paths are relative to the file's directory.
    return path if not path or os.path.isabs(path) else os.path.join(directory, path)


def _parse_tls(section: _Section, directory: str) -> TLSConfig:
    tls = TLSConfig(
        cert_file=_join(directory, section.string("cert_file")),
        key_file=_join(directory, section.string("key_file")),
        cert=section.string("cert"),
        key=section.string("key"),
        client_ca_file=_join(directory, section.string("client_ca_file")),
        client_ca=section.string("client_ca"),
        client_auth_type=section.string("client_auth_type"),
        min_version=section.string("min_version", "TLS12"),
        max_version=section.string("max_version", "TLS13"),
        cipher_suites=section.strings("cipher_suites") or (),
        prefer_server_cipher_suites=section.boolean("prefer_server_cipher_suites", True),
        curve_preferences=section.strings("curve_preferences") or (),
        client_allowed_sans=section.strings("client_allowed_sans"),
    )
    section.done()
    where = section.where
    for key, version in (("min_version", tls.min_version), ("max_version", tls.max_version)):
        if version not in TLS_VERSIONS:
            raise WebConfigError(
                f"{where}.{key}: unknown TLS version {version!r} (one of {', '.join(TLS_VERSIONS)})"
            )
    if TLS_VERSIONS[tls.min_version] > TLS_VERSIONS[tls.max_version]:
        raise WebConfigError(f"{where}: min_version {tls.min_version} is above max_version {tls.max_version}")
    for name in tls.cipher_suites:
        if name not in CIPHER_SUITES:
            raise WebConfigError(f"{where}.cipher_suites: unknown cipher {name!r}")
    for name in tls.curve_preferences:
        if name not in CURVES:
            raise WebConfigError(f"{where}.curve_preferences: unknown curve {name!r} (one of {', '.join(CURVES)})")
    if tls.client_auth_type in _UNVERIFIED_CLIENT_AUTH:
        raise WebConfigError(
            f"{where}.client_auth_type: {tls.client_auth_type} (a client certificate that is not verified) is "
            "not supported; use RequireAndVerifyClientCert or VerifyClientCertIfGiven with client_ca_file"
        )
    if tls.client_auth_type not in CLIENT_AUTH:
        raise WebConfigError(
            f"{where}.client_auth_type: invalid value {tls.client_auth_type!r} (one of "
            "NoClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)"
        )
    if not tls.enabled:
        return tls
    if not tls.cert_file and not tls.cert:
        raise WebConfigError(f"{where}: missing one of cert or cert_file")
    if not tls.key_file and not tls.key:
        raise WebConfigError(f"{where}: missing one of key or key_file")
    for inline, inline_value, path, path_value in (
        ("cert", tls.cert, "cert_file", tls.cert_file),
        ("key", tls.key, "key_file", tls.key_file),
        ("client_ca", tls.client_ca, "client_ca_file", tls.client_ca_file),
    ):
        if inline_value and path_value:
            raise WebConfigError(f"{where}: set {inline} or {path}, not both")
    if (tls.client_ca_file or tls.client_ca) and CLIENT_AUTH[tls.client_auth_type] == ssl.CERT_NONE:
        raise WebConfigError(f"{where}: a client CA is configured but client_auth_type does not ask for "
                             "client certificates (use RequireAndVerifyClientCert)")
    if tls.client_allowed_sans is not None and tls.client_auth_type != "RequireAndVerifyClientCert":
        raise WebConfigError(f"{where}.client_allowed_sans: requires client_auth_type RequireAndVerifyClientCert")
    return tls


def _parse_users(users: dict[str, str]) -> dict[str, bytes]:
    result = {}
    for user, hashed in users.items():
        match = _BCRYPT.match(hashed)
        if not match or not 4 <= int(match.group(1)) <= 31:
            # Never echo the value: it may well be a plain-text password.
            raise WebConfigError(
                f"basic_auth_users: the password of user {user!r} is not a bcrypt hash; store a hash, "
                "e.g. from htpasswd -nBC 10 \"\" | tr -d ':\\n'"
            )
        result[user] = hashed.encode()
    return result


def _parse_rate_limit(section: _Section) -> RateLimit | None:
    interval_value = section.values.pop("interval", None)
    burst = section.values.pop("burst", 0)
    section.done()
    if isinstance(interval_value, bool) or not isinstance(interval_value, (str, int, type(None))):
        raise WebConfigError("rate_limit.interval: expected a duration such as 1s or 100ms")
    try:
        # yaml.v2 reads an integer time.Duration as nanoseconds.
        interval = interval_value / 1e9 if isinstance(interval_value, int) else parse_duration(interval_value or "0")
    except FlagValueError as err:
        raise WebConfigError(f"rate_limit.interval: {err}") from None
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 0:
        raise WebConfigError("rate_limit.burst: expected a whole number of requests, 0 or more")
    return RateLimit(interval, burst) if interval > 0 else None


def parse(text: str, directory: str = ".") -> WebConfig:
    """The file's text -> WebConfig; relative paths are taken from DIRECTORY. Checks, does not load."""
    document = _load_yaml(text)
    top = _Section("", document)
    tls = _parse_tls(top.section("tls_server_config"), directory)
    http = top.section("http_server_config")
    http2 = http.boolean("http2", True)
    headers = http.string_map("headers")
    http.done()
    for name, value in headers.items():
        if name not in HEADERS:
            raise WebConfigError(f"http_server_config.headers: HTTP header {name!r} can not be configured "
                                 f"(one of {', '.join(HEADERS)})")
        if HEADERS[name] and value not in HEADERS[name]:
            raise WebConfigError(f"http_server_config.headers: invalid value for {name}: {value!r} "
                                 f"(one of {', '.join(HEADERS[name])})")
    users = _parse_users(top.string_map("basic_auth_users"))
    rate_limit = _parse_rate_limit(top.section("rate_limit"))
    top.done()
    return WebConfig(tls=tls, http2=http2, headers=headers, users=users, rate_limit=rate_limit)


def load(path: str) -> WebConfig:
    """Read and check the file at PATH; every problem is a WebConfigError naming it."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        return parse(text, os.path.dirname(os.path.abspath(path)))
    except WebConfigError as err:
        raise WebConfigError(f"{FLAG}={path}: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise WebConfigError(f"{FLAG}={path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
