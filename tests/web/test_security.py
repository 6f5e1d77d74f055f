"""--web.config.file on the real server: TLS, client certificates, basic auth, headers, reload.

Every server here listens on an ephemeral 127.0.0.1 port with certificates made by the test
(the `cryptography` package), and is talked to by real TLS and HTTP clients.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import ipaddress
import os
import ssl
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pyexporter.exporter import Exporter
from pyexporter.server import serving
from pyexporter.settings import ListenAddress, Settings
from pyexporter.webconfig.reload import WatchedConfig
from tests.e2e.conftest import free_port, pyexporter_cmd
from tests.helpers import FIXTURES, fixture_paths

# ---- a small PKI, made fresh for each test module -----------------------------------------------


@dataclass
class Pair:
    cert: Path
    key: Path

    def fingerprint(self) -> str:
        der = x509.load_pem_x509_certificate(self.cert.read_bytes()).public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()


@dataclass
class PKI:
    directory: Path
    ca: Pair
    server: Pair
    client: Pair
    stranger: Pair  # a client certificate from a CA the server does not trust

    def issue(self, name: str, *, server: bool, sans: list[x509.GeneralName], issuer: Pair | None = None) -> Pair:
        return _issue(self.directory, name, issuer or self.ca, server=server, sans=sans)


def _write_pair(directory: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pair:
    pair = Pair(directory / f"{name}.pem", directory / f"{name}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return pair


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return builder.not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))


def _make_ca(directory: Path, name: str) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _validity(x509.CertificateBuilder())
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write_pair(directory, name, cert, key)


def _issue(directory: Path, name: str, issuer: Pair, *, server: bool, sans: list[x509.GeneralName]) -> Pair:
    ca_cert = x509.load_pem_x509_certificate(issuer.cert.read_bytes())
    ca_key = serialization.load_pem_private_key(issuer.key.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    cert = (
        _validity(x509.CertificateBuilder())
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)  # type: ignore[arg-type]
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return _write_pair(directory, name, cert, key)


LOCAL_SANS: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]


def make_pki(directory: Path) -> PKI:
    directory.mkdir(parents=True, exist_ok=True)
    ca = _make_ca(directory, "ca")
    stranger_ca = _make_ca(directory, "stranger-ca")
    return PKI(
        directory=directory,
        ca=ca,
        server=_issue(directory, "server", ca, server=True, sans=LOCAL_SANS),
        client=_issue(directory, "client", ca, server=False,
                      sans=[x509.DNSName("scraper.example"), x509.IPAddress(ipaddress.ip_address("::1"))]),
        stranger=_issue(directory, "stranger", stranger_ca, server=False, sans=[x509.DNSName("scraper.example")]),
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


def client_context(pki: PKI, cert: Pair | None = None, *, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert), str(cert.key))
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


# ---- servers -------------------------------------------------------------------------------------

# Low cost keeps the tests fast; the server treats every cost alike.
def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()


def write_config(path: Path, text: str) -> None:
    """Replace the file as editors and config management do: a new file renamed over the old one."""
    scratch = path.with_suffix(".tmp")
    scratch.write_text(textwrap.dedent(text))
    os.replace(scratch, path)


@asynccontextmanager
async def running(config: Path | None = None, **overrides: Any) -> AsyncIterator[str]:
    """The server as `pyexporter` runs it (server.serving) on an ephemeral port; yields host:port."""
    settings = Settings(paths=overrides.pop("paths", fixture_paths("basic")),
                        enabled_collectors=overrides.pop("enabled_collectors", ("loadavg",)), **overrides)
    watcher = WatchedConfig(str(config)) if config is not None else None
    async with serving(Exporter(settings), watcher, [ListenAddress("127.0.0.1", 0)]) as runner:
        host, port = runner.addresses[0][:2]
        yield f"{host}:{port}"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """start(config_text, **settings) -> (address, config path); servers stop at the end of the test."""
    async with AsyncExitStack() as stack:

        async def start(text: str, **overrides: Any) -> tuple[str, Path]:
            path = tmp_path / "web.yml"
            write_config(path, text)
            address = await stack.enter_async_context(running(path, **overrides))
            return address, path

        yield start


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def fetch(url: str, *, ssl_context: ssl.SSLContext | None = None, auth: tuple[str, str] | None = None,
                ) -> tuple[int, dict[str, str], str]:
    """One request on a new connection (so that each sees the configuration of its own handshake)."""
    connector = aiohttp.TCPConnector(force_close=True, ssl=ssl_context if ssl_context is not None else False)
    headers = {"Authorization": basic_header(*auth)} if auth else {}
    async with aiohttp.ClientSession(connector=connector) as session, session.get(url, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.text()


async def handshake(address: str, ctx: ssl.SSLContext) -> ssl.SSLObject:
    """A TLS connection that sends one request, to see the handshake through (TLS 1.3 reports a
    rejected client certificate only on the first read)."""
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx, server_hostname="localhost")
    try:
        writer.write(b"GET /-/healthy HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        await writer.drain()
        status = await reader.readline()
        if not status:
            raise ConnectionResetError("closed by the server")
        return writer.get_extra_info("ssl_object")
    finally:
        writer.close()


REFUSED = (ssl.SSLError, ConnectionError, aiohttp.ClientError, asyncio.IncompleteReadError)


def tls_config(pki: PKI, extra: str = "") -> str:
    """tls_server_config with the server's pair; EXTRA holds more of its keys, indented by two."""
    return f"tls_server_config:\n  cert_file: {pki.server.cert}\n  key_file: {pki.server.key}\n" + extra


# ---- TLS -----------------------------------------------------------------------------------------


async def test_tls_serves_metrics_and_answers_plain_http_400(server, pki: PKI) -> None:
    address, _ = await server(tls_config(pki))
    status, _, body = await fetch(f"https://localhost:{address.split(':')[1]}/metrics", ssl_context=client_context(pki))
    assert status == 200
    assert "node_load1 0.21" in body
    # As Go's net/http answers plain HTTP sent to a TLS listener; no metrics.
    status, _, body = await fetch(f"http://{address}/metrics")
    assert status == 400
    assert body == "Client sent an HTTP request to an HTTPS server.\n"


async def test_relative_paths_are_relative_to_the_file(server, pki: PKI, tmp_path: Path) -> None:
    # As exporter-toolkit's SetDirectory: not relative to the working directory.
    cert, key = (os.path.relpath(p, tmp_path) for p in (pki.server.cert, pki.server.key))
    address, _ = await server(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
    await handshake(address, client_context(pki))


async def test_min_version_refuses_older_clients(server, pki: PKI) -> None:
    address, _ = await server(tls_config(pki, "  min_version: TLS13\n"))
    with pytest.raises(REFUSED):
        await handshake(address, client_context(pki, maximum=ssl.TLSVersion.TLSv1_2))
    assert (await handshake(address, client_context(pki))).version() == "TLSv1.3"


async def test_max_version_caps_the_protocol(server, pki: PKI) -> None:
    address, _ = await server(tls_config(pki, "  max_version: TLS12\n"))
    assert (await handshake(address, client_context(pki))).version() == "TLSv1.2"


async def test_cipher_suites_apply_to_tls12(server, pki: PKI) -> None:
    address, _ = await server(tls_config(pki, "  max_version: TLS12\n"
                                                "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n"))
    assert (await handshake(address, client_context(pki))).cipher()[0] == "ECDHE-ECDSA-AES256-GCM-SHA384"


async def test_client_certificate_required_and_verified(server, pki: PKI) -> None:
    address, _ = await server(tls_config(pki, f"  client_auth_type: RequireAndVerifyClientCert\n"
                                              f"  client_ca_file: {pki.ca.cert}\n"))
    port = address.split(":")[1]
    with pytest.raises(REFUSED):
        await fetch(f"https://localhost:{port}/metrics", ssl_context=client_context(pki))
    with pytest.raises(REFUSED):
        await fetch(f"https://localhost:{port}/metrics", ssl_context=client_context(pki, pki.stranger))
    status, _, body = await fetch(f"https://localhost:{port}/metrics", ssl_context=client_context(pki, pki.client))
    assert status == 200
    assert "node_load1" in body


async def test_client_allowed_sans(server, pki: PKI) -> None:
    base = tls_config(pki, f"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {pki.ca.cert}\n")
    address, path = await server(base + "  client_allowed_sans: ['0:0::1']\n")  # the client's IPv6 SAN, spelled oddly
    url = f"https://localhost:{address.split(':')[1]}/metrics"
    status, _, _ = await fetch(url, ssl_context=client_context(pki, pki.client))
    assert status == 200
    write_config(path, base + "  client_allowed_sans: [someone.else]\n")
    status, _, _ = await fetch(url, ssl_context=client_context(pki, pki.client))
    assert status == 403


async def test_new_certificate_applies_to_new_connections(server, pki: PKI, tmp_path: Path) -> None:
    live = Pair(tmp_path / "live.pem", tmp_path / "live.key")
    live.cert.write_bytes(pki.server.cert.read_bytes())
    live.key.write_bytes(pki.server.key.read_bytes())
    address, _ = await server(f"tls_server_config:\n  cert_file: {live.cert}\n  key_file: {live.key}\n")
    first = await handshake(address, client_context(pki))
    assert hashlib.sha256(first.getpeercert(binary_form=True)).hexdigest() == pki.server.fingerprint()

    renewed = pki.issue("renewed", server=True, sans=LOCAL_SANS)
    # Certificate rotation as cert-manager or certbot do it: the files change, the config does not.
    live.key.write_bytes(renewed.key.read_bytes())
    live.cert.write_bytes(renewed.cert.read_bytes())
    second = await handshake(address, client_context(pki))
    assert hashlib.sha256(second.getpeercert(binary_form=True)).hexdigest() == renewed.fingerprint()


async def test_broken_tls_after_start_refuses_then_recovers(server, pki: PKI, tmp_path: Path) -> None:
    cert = tmp_path / "live.pem"
    cert.write_bytes(pki.server.cert.read_bytes())
    address, _ = await server(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {pki.server.key}\n")
    await handshake(address, client_context(pki))
    cert.unlink()
    with pytest.raises(REFUSED):  # as exporter-toolkit: a certificate that does not load fails the handshake
        await handshake(address, client_context(pki))
    cert.write_bytes(pki.server.cert.read_bytes())
    await handshake(address, client_context(pki))


# ---- basic auth ----------------------------------------------------------------------------------


async def test_basic_auth(server) -> None:
    address, _ = await server(f"""
        basic_auth_users:
          prometheus: {hash_password("s3cret")}
          other: {hash_password("different")}
        """)
    status, _, body = await fetch(f"http://{address}/metrics", auth=("prometheus", "s3cret"))
    assert status == 200
    assert "node_load1 0.21" in body
    for auth in (("prometheus", "wrong"), ("nobody", "s3cret"), ("other", "s3cret"), ("prometheus", "x" * 100), None):
        status, headers, _ = await fetch(f"http://{address}/metrics", auth=auth)
        assert status == 401, auth
        assert headers["WWW-Authenticate"] == "Basic"
    # Every path is behind the password, as in node_exporter; unknown ones too.
    for path in ("/", "/-/healthy", "/nothing-here"):
        status, _, _ = await fetch(f"http://{address}{path}")
        assert status == 401, path
    status, _, _ = await fetch(f"http://{address}/nothing-here", auth=("prometheus", "s3cret"))
    assert status == 404


async def test_malformed_authorization_is_401(server) -> None:
    address, _ = await server(f"basic_auth_users:\n  prometheus: {hash_password('s3cret')}\n")
    for value in ("Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc", "Basic"):
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session, \
                session.get(f"http://{address}/metrics", headers={"Authorization": value}) as resp:
            assert resp.status == 401, value


async def test_htpasswd_2y_hashes_work(server) -> None:
    hashed = hash_password("s3cret").replace("$2b$", "$2y$", 1)  # what `htpasswd -nBC 10` writes
    address, _ = await server(f"basic_auth_users:\n  prometheus: '{hashed}'\n")
    status, _, _ = await fetch(f"http://{address}/metrics", auth=("prometheus", "s3cret"))
    assert status == 200


async def test_tls_and_basic_auth_together(server, pki: PKI) -> None:
    address, _ = await server(tls_config(pki) + f"basic_auth_users:\n  prometheus: {hash_password('pw')}\n")
    url = f"https://localhost:{address.split(':')[1]}/metrics"
    assert (await fetch(url, ssl_context=client_context(pki)))[0] == 401
    assert (await fetch(url, ssl_context=client_context(pki), auth=("prometheus", "pw")))[0] == 200


async def test_new_password_applies_without_restart(server) -> None:
    address, path = await server(f"basic_auth_users:\n  prometheus: {hash_password('old')}\n")
    url = f"http://{address}/metrics"
    assert (await fetch(url, auth=("prometheus", "old")))[0] == 200
    write_config(path, f"basic_auth_users:\n  prometheus: {hash_password('new')}\n")
    assert (await fetch(url, auth=("prometheus", "old")))[0] == 401
    assert (await fetch(url, auth=("prometheus", "new")))[0] == 200
    # Removing the users opens the exporter again, as the file now says.
    write_config(path, "basic_auth_users: {}\n")
    assert (await fetch(url))[0] == 200


async def test_broken_file_after_start_answers_500_until_fixed(server, caplog) -> None:
    good = f"basic_auth_users:\n  prometheus: {hash_password('pw')}\n"
    address, path = await server(good)
    url = f"http://{address}/metrics"
    assert (await fetch(url, auth=("prometheus", "pw")))[0] == 200
    for broken in ("basic_auth_users: [unclosed\n", "basic_auth_users:\n  prometheus: plain-text\n"):
        write_config(path, broken)
        assert (await fetch(url, auth=("prometheus", "pw")))[0] == 500  # never served unprotected
        assert (await fetch(url))[0] == 500
    assert "Unable to parse configuration" in caplog.text
    write_config(path, good)
    assert (await fetch(url, auth=("prometheus", "pw")))[0] == 200


# ---- headers and rate limit --------------------------------------------------------------------


async def test_configured_headers_on_every_response(server) -> None:
    address, _ = await server(f"""
        http_server_config:
          http2: false
          headers:
            X-Frame-Options: deny
            X-Content-Type-Options: nosniff
            Content-Security-Policy: "default-src 'self'"
        basic_auth_users:
          prometheus: {hash_password("pw")}
        """)
    for auth, path, expected in ((("prometheus", "pw"), "/metrics", 200), (None, "/metrics", 401),
                                 (("prometheus", "pw"), "/missing", 404)):
        status, headers, _ = await fetch(f"http://{address}{path}", auth=auth)
        assert status == expected
        assert headers["X-Frame-Options"] == "deny"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == "default-src 'self'"


async def test_rate_limit_answers_429(server) -> None:
    address, _ = await server("rate_limit:\n  interval: 1h\n  burst: 2\n")
    statuses = [(await fetch(f"http://{address}/-/healthy"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]


# ---- start-up: refuse, one line, exit 2 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tls_server_config: [unclosed\n", "invalid YAML at line"),
        ("tls_server_config:\n  cert_file: {dir}/missing.pem\n  key_file: {dir}/missing.key\n",
         "failed to read cert_file"),
        ("basic_auth_users:\n  prometheus: hunter2\n", "the password of user 'prometheus' is not a bcrypt hash"),
        ("basic_auth_user:\n  prometheus: x\n", "basic_auth_user: unknown key"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", "unknown TLS version 'TLS14'"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n",
         "not supported"),
        ("http_server_config:\n  headers:\n    Server: nginx\n", "HTTP header 'Server' can not be configured"),
    ],
    ids=["malformed-yaml", "missing-cert", "plaintext-password", "unknown-key", "bad-version",
         "unverified-client-auth", "bad-header"],
)
def test_bad_file_refuses_to_start(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "web.yml"
    path.write_text(text.format(dir=tmp_path))
    proc = subprocess.run(
        pyexporter_cmd(f"--web.config.file={path}", f"--web.listen-address=127.0.0.1:{free_port()}",
                       "--collector.disable-defaults", "--collector.loadavg"),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"pyexporter: error: --web.config.file={path}: ")
    assert message in proc.stderr
    assert "hunter2" not in proc.stderr


def test_missing_file_refuses_to_start(tmp_path: Path) -> None:
    proc = subprocess.run(pyexporter_cmd(f"--web.config.file={tmp_path}/nope.yml"), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "cannot read: No such file or directory" in proc.stderr


def test_command_serves_tls_with_basic_auth(run_pyexporter_tls, pki: PKI, tmp_path: Path) -> None:
    """The installed command with a web config: https, a password, and the plain port closed."""
    config = tmp_path / "web.yml"
    config.write_text(tls_config(pki) + f"basic_auth_users:\n  u: {hash_password('p')}\n")
    base = run_pyexporter_tls(config, client_context(pki), ("u", "p"))
    request = urllib.request.Request(f"{base}/metrics")
    request.add_header("Authorization", basic_header("u", "p"))
    with urllib.request.urlopen(request, context=client_context(pki), timeout=10) as resp:
        assert resp.status == 200
        assert b"node_load1 0.21" in resp.read()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/metrics", context=client_context(pki), timeout=10)
    assert err.value.code == 401
    err.value.close()


@pytest.fixture
def run_pyexporter_tls():
    procs: list[subprocess.Popen] = []

    def start(config: Path, ctx: ssl.SSLContext, auth: tuple[str, str]) -> str:
        port = free_port()
        proc = subprocess.Popen(
            pyexporter_cmd(f"--web.listen-address=127.0.0.1:{port}", f"--web.config.file={config}",
                           f"--path.procfs={FIXTURES}/basic/proc", "--collector.disable-defaults",
                           "--collector.loadavg"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        procs.append(proc)
        base = f"https://localhost:{port}"
        request = urllib.request.Request(f"{base}/-/healthy")
        request.add_header("Authorization", basic_header(*auth))
        for _ in range(200):
            try:
                with urllib.request.urlopen(request, context=ctx, timeout=2):
                    return base
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(proc.communicate()[1]) from None
                time.sleep(0.1)
        raise AssertionError("pyexporter did not answer over TLS")

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
        assert proc.wait(timeout=20) == 0
        proc.communicate()
