"""TLS: the server SSLContext a configuration asks for, the context the listeners are given so
that each new connection uses the configuration in force, and the client SAN check."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from pyexporter.webconfig.config import CIPHER_SUITES, CLIENT_AUTH, CURVES, TLS_VERSIONS, TLSConfig, WebConfigError


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
    """Whether the verified client certificate names one of ALLOWED among its DNS, IP, email or URI SANs.

    PEERCERT is what SSLObject.getpeercert() returns, a dict whose values differ in type by key."""
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
    """Each new connection is wrapped by the context `source` gives at that moment."""

    source: Callable[[], ssl.SSLContext]

    def wrap_bio(self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO, server_side: bool = False,
                 server_hostname: str | bytes | None = None, session: ssl.SSLSession | None = None) -> ssl.SSLObject:
        return self.source().wrap_bio(incoming, outgoing, server_side=server_side,
                                      server_hostname=server_hostname, session=session)

    def wrap_socket(self, sock: socket.socket, server_side: bool = False, do_handshake_on_connect: bool = True,
                    suppress_ragged_eofs: bool = True, server_hostname: str | bytes | None = None,
                    session: ssl.SSLSession | None = None) -> ssl.SSLSocket:
        return self.source().wrap_socket(sock, server_side=server_side,
                                         do_handshake_on_connect=do_handshake_on_connect,
                                         suppress_ragged_eofs=suppress_ragged_eofs,
                                         server_hostname=server_hostname, session=session)


def reloading_context(source: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """What the listeners are given: each new connection is wrapped by SOURCE's context of the
    moment, so new certificates, CAs and versions apply to new connections without a restart."""
    ctx = _ReloadingContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.source = source
    return ctx
