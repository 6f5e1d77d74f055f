"""The web configuration file: parsing as strictly as exporter-toolkit, TLS contexts, reloads,
basic auth, the rate limit and the connection deadlines."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import ssl
from pathlib import Path

import bcrypt
import pytest

from pyexporter.web import ConnectionGuard
from pyexporter.webconfig import auth as auth_module
from pyexporter.webconfig import reload as reload_module
from pyexporter.webconfig.auth import BasicAuth
from pyexporter.webconfig.config import RateLimit, TLSConfig, WebConfig, WebConfigError, load, parse
from pyexporter.webconfig.ratelimit import TokenBucket
from pyexporter.webconfig.reload import WatchedConfig
from pyexporter.webconfig.tls import allowed_san, build_ssl_context
from tests.web.test_security import PKI, make_pki

HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


def error(text: str) -> str:
    with pytest.raises(WebConfigError) as err:
        parse(text, "/etc/pyexporter")
    message = str(err.value)
    assert "\n" not in message
    return message


# ---- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "---\n", "# nothing\n", "tls_server_config:\nhttp_server_config:\n"])
def test_empty_file_is_plain_http(text: str) -> None:
    config = parse(text)
    assert not config.tls.enabled
    assert config.users == {}
    assert config.headers == {}
    assert config.http2 is True
    assert config.rate_limit is None


def test_full_file() -> None:
    config = parse(f"""
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [scraper.example]
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: sameorigin
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: {HASH}
rate_limit:
  interval: 100ms
  burst: 5
""", "/etc/pyexporter")
    tls = config.tls
    assert tls.enabled
    # Relative to the file's directory, as exporter-toolkit's SetDirectory.
    assert (tls.cert_file, tls.key_file, tls.client_ca_file) == (
        "/etc/pyexporter/server.crt", "/abs/server.key", "/etc/pyexporter/ca.crt")
    assert (tls.min_version, tls.max_version) == ("TLS13", "TLS13")
    assert tls.client_allowed_sans == ("scraper.example",)
    assert tls.prefer_server_cipher_suites is False
    assert config.http2 is False
    assert config.headers == {"X-Frame-Options": "sameorigin", "Strict-Transport-Security": "max-age=31536000"}
    assert config.users == {"alice": HASH.encode()}
    assert config.rate_limit == RateLimit(0.1, 5)
    assert config.files() == ("/etc/pyexporter/server.crt", "/abs/server.key", "/etc/pyexporter/ca.crt")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tls_server_config: [\n", "invalid YAML at line 2"),
        ("- a\n- b\n", "expected a mapping, got a list"),
        ("basic_auth_users:\n  a: x\n  a: y\n", "duplicate key 'a'"),
        ("bogus: 1\n", "bogus: unknown key"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n",
         "tls_server_config.certfile: unknown key"),
        ("http_server_config:\n  http3: true\n", "http_server_config.http3: unknown key"),
        ("rate_limit:\n  interval: 1s\n  bucket: 3\n", "rate_limit.bucket: unknown key"),
        ("http_server_config:\n  http2: 'yes'\n", "http_server_config.http2: expected true or false"),
        ("http_server_config:\n  headers: [a]\n", "expected a mapping of strings to strings"),
        ("tls_server_config:\n  cert_file: [a]\n", "tls_server_config.cert_file: expected a string"),
        ("tls_server_config:\n  cipher_suites: TLS_AES_128_GCM_SHA256\n", "expected a list of strings"),
        ("tls_server_config: 3\n", "tls_server_config: expected a mapping, got int"),
        ("tls_server_config:\n  key_file: k\n", "missing one of cert or cert_file"),
        ("tls_server_config:\n  cert_file: c\n", "missing one of key or key_file"),
        ("tls_server_config:\n  cert_file: c\n  cert: x\n  key_file: k\n", "set cert or cert_file, not both"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n",
         "a client CA is configured but client_auth_type does not ask for client certificates"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: VerifyClientCertIfGiven\n"
         "  client_allowed_sans: [x]\n", "client_allowed_sans: requires client_auth_type RequireAndVerifyClientCert"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Sometimes\n",
         "client_auth_type: invalid value 'Sometimes'"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequestClientCert\n",
         "RequestClientCert (a client certificate that is not verified) is not supported"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n",
         "min_version TLS13 is above max_version TLS12"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: SSL3\n", "unknown TLS version 'SSL3'"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n",
         "unknown cipher 'TLS_RSA_WITH_RC4_128_SHA'"),
        ("tls_server_config:\n  cert_file: c\n  key_file: k\n  curve_preferences: [P-256]\n", "unknown curve 'P-256'"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "invalid value for X-Frame-Options: 'allow'"),
        ("http_server_config:\n  headers:\n    Server: x\n", "HTTP header 'Server' can not be configured"),
        ("basic_auth_users:\n  alice: correct-horse\n", "the password of user 'alice' is not a bcrypt hash"),
        ("basic_auth_users:\n  alice: 1234\n", "expected a mapping of strings to strings"),
        ("basic_auth_users:\n  alice: '$2b$03$" + "a" * 53 + "'\n", "is not a bcrypt hash"),  # cost below 4
        ("basic_auth_users:\n  alice: '" + HASH[:-1] + "'\n", "is not a bcrypt hash"),  # truncated
        ("rate_limit:\n  interval: soon\n", "rate_limit.interval: invalid duration"),
        ("rate_limit:\n  interval: 1s\n  burst: -1\n", "rate_limit.burst"),
    ],
)
def test_bad_files_are_one_clear_line(text: str, message: str) -> None:
    assert message in error(text)


def test_plaintext_password_is_never_echoed() -> None:
    assert "correct-horse" not in error("basic_auth_users:\n  alice: correct-horse\n")


def test_bcrypt_variants_accepted() -> None:
    for prefix in ("$2a$", "$2b$", "$2y$"):
        hashed = prefix + HASH[4:]
        assert parse(f"basic_auth_users:\n  alice: '{hashed}'\n").users["alice"] == hashed.encode()


def test_rate_limit_forms() -> None:
    assert parse("rate_limit:\n  interval: 1s\n  burst: 2\n").rate_limit == RateLimit(1.0, 2)
    # yaml.v2 decodes an integer time.Duration as nanoseconds.
    assert parse("rate_limit:\n  interval: 500000000\n  burst: 1\n").rate_limit == RateLimit(0.5, 1)
    assert parse("rate_limit:\n  interval: 0\n  burst: 5\n").rate_limit is None


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "web.yml"
    path.write_text("bogus: 1\n")
    with pytest.raises(WebConfigError, match=rf"^--web.config.file={path}: bogus: unknown key$"):
        load(str(path))
    with pytest.raises(WebConfigError, match="cannot read: No such file or directory"):
        load(str(tmp_path / "missing.yml"))
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(WebConfigError, match="cannot read"):
        load(str(path))


# ---- TLS contexts ------------------------------------------------------------------------------


def tls(pki: PKI, extra: str = "") -> TLSConfig:
    return parse(f"tls_server_config:\n  cert_file: {pki.server.cert}\n  key_file: {pki.server.key}\n" + extra).tls


def test_context_from_files(pki: PKI) -> None:
    ctx = build_ssl_context(tls(pki, "  min_version: TLS13\n"))
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3
    assert ctx.maximum_version == ssl.TLSVersion.TLSv1_3
    assert ctx.verify_mode == ssl.CERT_NONE
    assert ctx.options & ssl.OP_CIPHER_SERVER_PREFERENCE


def test_context_from_inline_pem(pki: PKI) -> None:
    indent = "\n    "
    text = (f"tls_server_config:\n  cert: |{indent}{indent.join(pki.server.cert.read_text().splitlines())}\n"
            f"  key: |{indent}{indent.join(pki.server.key.read_text().splitlines())}\n"
            f"  client_auth_type: RequireAndVerifyClientCert\n"
            f"  client_ca: |{indent}{indent.join(pki.ca.cert.read_text().splitlines())}\n")
    ctx = build_ssl_context(parse(text).tls)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert len(ctx.get_ca_certs()) == 1


def test_client_auth_modes(pki: PKI) -> None:
    ca = f"  client_ca_file: {pki.ca.cert}\n"
    assert build_ssl_context(tls(pki, "  client_auth_type: VerifyClientCertIfGiven\n" + ca)).verify_mode == \
        ssl.CERT_OPTIONAL
    assert build_ssl_context(tls(pki, "  client_auth_type: RequireAndVerifyClientCert\n" + ca)).verify_mode == \
        ssl.CERT_REQUIRED


def test_cipher_and_curve_settings(pki: PKI) -> None:
    ctx = build_ssl_context(tls(pki, "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n"
                                     "  curve_preferences: [CurveP384]\n  prefer_server_cipher_suites: false\n"))
    tls12 = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12 == ["ECDHE-ECDSA-AES128-GCM-SHA256"]
    assert not ctx.options & ssl.OP_CIPHER_SERVER_PREFERENCE


@pytest.mark.parametrize(
    ("extra_files", "message"),
    [
        ("mismatch", "cannot load the certificate and key"),
        ("missing-key", "failed to read key_file"),
        ("encrypted", "cannot load the certificate and key"),
        ("bad-ca", "cannot load the client CA"),
        ("missing-ca", "failed to read client_ca_file"),
    ],
)
def test_context_errors(pki: PKI, tmp_path: Path, extra_files: str, message: str) -> None:
    from cryptography.hazmat.primitives import serialization

    cert, key, ca, auth = pki.server.cert, pki.server.key, None, ""
    if extra_files == "mismatch":
        key = pki.client.key
    elif extra_files == "missing-key":
        key = tmp_path / "nope.key"
    elif extra_files == "encrypted":
        private = serialization.load_pem_private_key(pki.server.key.read_bytes(), password=None)
        key = tmp_path / "encrypted.key"
        key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.BestAvailableEncryption(b"secret")))
    elif extra_files == "bad-ca":
        ca = tmp_path / "ca.pem"
        ca.write_text("not a certificate\n")
    elif extra_files == "missing-ca":
        ca = tmp_path / "missing-ca.pem"
    if ca is not None:
        auth = f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {ca}\n"
    config = parse(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n" + auth).tls
    with pytest.raises(WebConfigError) as err:
        build_ssl_context(config)  # an encrypted key must fail, never prompt on the terminal
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_allowed_san_matches_go_spelling() -> None:
    peer = {"subjectAltName": (("DNS", "scraper.example"), ("IP Address", "0:0:0:0:0:0:0:1\n"),
                               ("email", "ops@example.com"), ("URI", "spiffe://x/y"))}
    assert allowed_san(peer, ("::1",))
    assert allowed_san(peer, ("scraper.example",))
    assert allowed_san(peer, ("ops@example.com",))
    assert allowed_san(peer, ("spiffe://x/y",))
    assert not allowed_san(peer, ("other.example", "127.0.0.1"))
    assert not allowed_san({}, ("scraper.example",))
    assert not allowed_san(None, ("scraper.example",))


# ---- the file while running ---------------------------------------------------------------------


def edit(path: Path, text: str) -> None:
    """Rewrite in place (same inode) and move the mtime on, as a quick second save might not."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_reload_on_change_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "web.yml"
    path.write_text("basic_auth_users: {}\n")
    watched = WatchedConfig(str(path))
    reads: list[str] = []

    def counted_load(p: str) -> WebConfig:
        reads.append(p)
        return load(p)

    monkeypatch.setattr(reload_module, "load", counted_load)
    for _ in range(5):
        assert watched.current() is not None
    assert reads == []  # unchanged: stat only
    edit(path, f"basic_auth_users:\n  alice: {HASH}\n")
    for _ in range(2):
        config = watched.current()
        assert config is not None and config.users == {"alice": HASH.encode()}
    assert len(reads) == 1


def test_broken_file_keeps_failing_closed_and_logs_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "web.yml"
    path.write_text(f"basic_auth_users:\n  alice: {HASH}\n")
    watched = WatchedConfig(str(path))
    edit(path, "basic_auth_users:\n  alice: plain\n")
    with caplog.at_level(logging.ERROR, logger="pyexporter.webconfig"):
        assert watched.current() is None
        assert watched.current() is None
    assert [r.getMessage() for r in caplog.records].count(
        "Unable to parse configuration, answering 500 until it is fixed") == 1
    path.unlink()
    assert watched.current() is None
    path.write_text(f"basic_auth_users:\n  bob: {HASH}\n")
    config = watched.current()
    assert config is not None and config.users == {"bob": HASH.encode()}


def test_tls_reload(pki: PKI, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "web.yml"
    cert = tmp_path / "server.pem"
    cert.write_bytes(pki.server.cert.read_bytes())
    good = f"tls_server_config:\n  cert_file: {cert}\n  key_file: {pki.server.key}\n"
    path.write_text(good)
    watched = WatchedConfig(str(path))
    assert watched.tls_enabled
    first = watched.ssl_context()
    assert watched.ssl_context() is first  # nothing changed, nothing rebuilt
    edit(cert, pki.server.cert.read_text())  # the certificate file changed, the config did not
    second = watched.ssl_context()
    assert second is not first
    edit(path, "basic_auth_users: {}\n")  # TLS taken out while running: refuse rather than downgrade
    with caplog.at_level(logging.ERROR, logger="pyexporter.webconfig"):
        refused = watched.ssl_context()
    assert refused is not second
    assert "TLS config is not present" in caplog.text
    assert watched.current() is not None  # requests on open connections still follow the file
    edit(path, good)
    assert watched.ssl_context() not in (refused, second)


def test_tls_added_after_start_needs_a_restart(pki: PKI, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "web.yml"
    path.write_text("")
    watched = WatchedConfig(str(path))
    assert not watched.tls_enabled
    edit(path, f"tls_server_config:\n  cert_file: {pki.server.cert}\n  key_file: {pki.server.key}\n")
    with caplog.at_level(logging.WARNING, logger="pyexporter.webconfig"):
        assert watched.current() is not None
    assert "TLS needs a restart" in caplog.text


def test_start_up_loads_certificates(tmp_path: Path) -> None:
    path = tmp_path / "web.yml"
    path.write_text(f"tls_server_config:\n  cert_file: {tmp_path}/c.pem\n  key_file: {tmp_path}/k.pem\n")
    with pytest.raises(WebConfigError, match=rf"^--web.config.file={path}: tls_server_config: failed to read"):
        WatchedConfig(str(path))


# ---- basic auth, rate limit, deadlines ----------------------------------------------------------------


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_basic_auth_checks_and_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    users = {"alice": HASH.encode()}
    calls: list[bytes] = []
    real = auth_module._checkpw

    def counted_checkpw(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(auth_module, "_checkpw", counted_checkpw)
    auth = BasicAuth()
    try:
        assert await auth.verify(users, header("alice", "pw"))
        assert await auth.verify(users, header("alice", "pw"))
        assert len(calls) == 1  # the second time from the cache
        assert not await auth.verify(users, header("alice", "wrong"))
        assert not await auth.verify(users, header("mallory", "pw"))
        assert calls[-1] == auth_module._FAKE_HASH  # unknown users cost a bcrypt too
        assert not await auth.verify(users, header("alice", "p" * 100))  # over bcrypt's 72 bytes
        # The cache holds no password: its keys are HMACs.
        assert all(isinstance(key, bytes) and len(key) == 32 and b"pw" not in key for key in auth._cache)
        for bad in (None, "", "Basic", "Basic %%%", "Digest abc", "Basic " + base64.b64encode(b"nocolon").decode(),
                    "Basic " + base64.b64encode(b"\xff:pw").decode()):
            assert not await auth.verify(users, bad)
        assert await auth.verify(users, "basic  " + base64.b64encode(b"alice:pw").decode())  # scheme is case-blind
    finally:
        auth.close()


def test_fake_hash_is_a_real_hash() -> None:
    assert bcrypt.checkpw(b"fakepassword", auth_module._FAKE_HASH)


def test_token_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("pyexporter.webconfig.ratelimit.time.monotonic", lambda: now[0])
    bucket = TokenBucket(RateLimit(interval=1.0, burst=2))
    assert [bucket.allow() for _ in range(3)] == [True, True, False]
    now[0] += 1.0
    assert [bucket.allow() for _ in range(2)] == [True, False]
    now[0] += 10.0
    assert [bucket.allow() for _ in range(3)] == [True, True, False]  # never more than the burst
    assert not TokenBucket(RateLimit(interval=1.0, burst=0)).allow()


class FakeConnection:
    def __init__(self) -> None:
        self.closed = 0

    def force_close(self) -> None:
        self.closed += 1


async def test_connection_guard_deadlines() -> None:
    guard = ConnectionGuard(header_timeout=0.01, idle_timeout=0.01)
    idle, busy, served = FakeConnection(), FakeConnection(), FakeConnection()
    assert guard.reap([idle, busy, served]) == 0  # first seen: the header clock starts
    guard.begin(busy)
    guard.begin(served)
    guard.end(served)
    await asyncio.sleep(0.05)
    assert guard.reap([idle, busy, served]) == 2
    assert (idle.closed, busy.closed, served.closed) == (1, 0, 1)
    guard.end(busy)
    assert guard.reap([busy]) == 0  # its idle clock starts at the end of its response
    await asyncio.sleep(0.05)
    assert guard.reap([busy]) == 1
    assert guard.reap([]) == 0
    assert guard._state == {}
