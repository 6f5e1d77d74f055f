"""`--web.config.file`: exporter-toolkit's web configuration (TLS, basic auth, headers, rate limit).

The format is prometheus/exporter-toolkit's (docs/web-configuration.md), read as strictly as its
`yaml.UnmarshalStrict`: unknown keys, duplicate keys and wrong types are errors. At start-up any
error refuses to start (exit 2); the exporter never falls back to serving unprotected.

Like exporter-toolkit, the file (and the certificate, key and CA files it names) is re-read while
running: exporter-toolkit parses it on every request and loads the certificate on every TLS
handshake. Here a stat of those files on each request and each new connection decides whether to
re-read, so an unchanged file costs a few stat calls. What a broken file does after start-up is
exporter-toolkit's too: an unparsable file answers every request with 500 (and logs the error,
once per change here rather than once per request) and a TLS setup that no longer loads refuses
new handshakes; nothing is served with weaker protection than the file asks for. Fixing the file
brings the server back without a restart. Whether the listeners speak TLS at all is decided at
start-up, as in exporter-toolkit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import functools
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyexporter.flags import FlagValueError, parse_duration
from pyexporter.settings import ConfigError

if TYPE_CHECKING:
    import yaml

log = logging.getLogger("pyexporter.webconfig")

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

# Checked against when the user is unknown, so that timing does not tell which users exist;
# bcrypt (cost 10) of "fakepassword", as exporter-toolkit does.
_FAKE_HASH = b"$2b$10$X675b689oVCe9CwDtg1cJ.HoL1jZfbhjizEsummZHwKbuOnemysv2"


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


# ---- parsing ---------------------------------------------------------------------------------


@functools.cache
def _strict_loader() -> type[yaml.SafeLoader]:
    """A SafeLoader that refuses duplicate keys, as Go's yaml.UnmarshalStrict does. Built on
    first use: PyYAML is imported only by servers given a web config file (0.8 MB of RSS)."""
    import yaml

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
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


def _load_yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_strict_loader())  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as err:
        raise WebConfigError(_yaml_error(err)) from None


def _yaml_error(err: yaml.YAMLError) -> str:
    import yaml

    if isinstance(err, yaml.MarkedYAMLError) and err.problem_mark is not None:
        where = f"line {err.problem_mark.line + 1}, column {err.problem_mark.column + 1}"
        what = " ".join(part for part in (err.context, err.problem) if part)
        return f"invalid YAML at {where}: {what}"
    return "invalid YAML: " + " ".join(str(err).split())


class _Section:
    """One mapping of the file, read key by key; what is left over at the end is an unknown key."""

    def __init__(self, where: str, value: Any) -> None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise WebConfigError(f"{where}: expected a mapping, got {_kind(value)}")
        self.where = where
        self.values = dict(value)

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


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


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
    for key in ("min_version", "max_version"):
        if getattr(tls, key) not in TLS_VERSIONS:
            raise WebConfigError(
                f"{where}.{key}: unknown TLS version {getattr(tls, key)!r} (one of {', '.join(TLS_VERSIONS)})"
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
    for inline, path in (("cert", "cert_file"), ("key", "key_file"), ("client_ca", "client_ca_file")):
        if getattr(tls, inline) and getattr(tls, path):
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


# ---- TLS ---------------------------------------------------------------------------------------


def _ssl_reason(err: ssl.SSLError) -> str:
    return str(err.reason or err.strerror or err).lower().replace("_", " ")


def build_ssl_context(tls: TLSConfig) -> ssl.SSLContext:
    """A server SSLContext for TLS, loading its certificate, key and CA files now."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Go's servers refuse renegotiation, and the listener's TLS layer does not do it.
    ctx.options |= ssl.OP_NO_RENEGOTIATION
    ctx.minimum_version = TLS_VERSIONS[tls.min_version]
    ctx.maximum_version = TLS_VERSIONS[tls.max_version]
    with tempfile.TemporaryDirectory(prefix="pyexporter-tls-") as scratch:
        cert_file = tls.cert_file or _scratch_file(scratch, "cert.pem", tls.cert)
        key_file = tls.key_file or _scratch_file(scratch, "key.pem", tls.key)
        for label, path in (("cert_file", tls.cert_file), ("key_file", tls.key_file)):
            if path and not os.path.isfile(path):
                raise WebConfigError(f"tls_server_config: failed to read {label} ({path}): no such file")
        try:
            # A password given up front keeps OpenSSL from prompting on the terminal for an encrypted key.
            ctx.load_cert_chain(cert_file, key_file, password=b"")
        except ssl.SSLError as err:
            raise WebConfigError(f"tls_server_config: cannot load the certificate and key "
                                 f"({tls.cert_file or 'cert'}, {tls.key_file or 'key'}): {_ssl_reason(err)}") from None
        except OSError as err:
            reason = err.strerror or err
            raise WebConfigError(f"tls_server_config: cannot read the certificate or key: {reason}") from None
    ctx.verify_mode = CLIENT_AUTH[tls.client_auth_type]
    if ctx.verify_mode != ssl.CERT_NONE:
        try:
            if tls.client_ca_file:
                ctx.load_verify_locations(cafile=tls.client_ca_file)
            elif tls.client_ca:
                ctx.load_verify_locations(cadata=tls.client_ca)
            else:
                # Go verifies against the system roots when no client CA is given.
                ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
        except ssl.SSLError as err:
            raise WebConfigError(f"tls_server_config: cannot load the client CA: {_ssl_reason(err)}") from None
        except OSError as err:
            raise WebConfigError(f"tls_server_config: failed to read client_ca_file ({tls.client_ca_file}): "
                                 f"{err.strerror or err}") from None
    tls12 = [suite for name in tls.cipher_suites if (suite := CIPHER_SUITES[name])]
    if tls12:
        try:
            ctx.set_ciphers(":".join(tls12))
        except ssl.SSLError as err:
            raise WebConfigError(f"tls_server_config.cipher_suites: {_ssl_reason(err)}") from None
    if tls.prefer_server_cipher_suites:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if tls.curve_preferences:
        # Python can set one group only: the first preference is used, never a weaker one.
        try:
            ctx.set_ecdh_curve(CURVES[tls.curve_preferences[0]])
        except (ssl.SSLError, ValueError) as err:
            raise WebConfigError(f"tls_server_config.curve_preferences: {err}") from None
    return ctx


def _scratch_file(directory: str, name: str, text: str) -> str:
    # load_cert_chain reads files only; inline PEM goes to a private file that is deleted at once.
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def allowed_san(peercert: Mapping[str, Any] | None, allowed: tuple[str, ...]) -> bool:
    """Whether the verified client certificate names one of ALLOWED among its DNS, IP, email or URI SANs."""
    if not peercert:
        return False
    wanted = {_normal_san(value) for value in allowed}
    for kind, value in peercert.get("subjectAltName", ()):
        if kind in ("DNS", "IP Address", "email", "URI") and _normal_san(value) in wanted:
            return True
    return False


def _normal_san(value: str) -> str:
    # Python prints IPv6 SANs uncompressed and in upper case (sometimes with a newline); Go compressed.
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


class _ReloadingContext(ssl.SSLContext):
    """What the listeners are given: each new connection is wrapped by the current configuration's
    context, so new certificates, CAs and versions apply to new connections without a restart."""

    source: Callable[[], ssl.SSLContext]

    def wrap_bio(self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO, server_side: bool = False,
                 server_hostname: str | None = None, session: ssl.SSLSession | None = None) -> ssl.SSLObject:
        return self.source().wrap_bio(incoming, outgoing, server_side=server_side,
                                      server_hostname=server_hostname, session=session)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        return self.source().wrap_socket(*args, **kwargs)


# ---- the file while running ----------------------------------------------------------------------


def _signature(paths: tuple[str, ...]) -> tuple[Any, ...]:
    result: list[Any] = []
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
        ctx = _ReloadingContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.source = self.ssl_context
        return ctx


# ---- basic auth and rate limit ----------------------------------------------------------------------


def _checkpw(password: bytes, hashed: bytes) -> bool:
    import bcrypt  # imported here: only servers with basic_auth_users need it

    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        # bcrypt refuses passwords over 72 bytes; such a password matches nothing.
        return False


class BasicAuth:
    """Checks `Authorization: Basic` against bcrypt hashes, as exporter-toolkit does.

    bcrypt (about 60 ms at cost 10) runs on its own single thread, so it neither blocks the event
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


class TokenBucket:
    """exporter-toolkit's rate_limit (golang.org/x/time/rate): one token per interval, up to burst."""

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
