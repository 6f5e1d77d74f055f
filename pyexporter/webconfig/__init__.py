"""`--web.config.file`: exporter-toolkit's web configuration (TLS, basic auth, headers, rate limit).

At start-up any error in the file refuses to start (exit 2); the exporter never falls back to
serving unprotected. Like exporter-toolkit, the file (and the certificate, key and CA files it
names) is re-read while running, and nothing is ever served with weaker protection than the file
asks for.

- `config`: the file format, read as strictly as exporter-toolkit reads it, and its types.
- `tls`: the server SSLContext a configuration asks for, and the client SAN check.
- `auth`: `Authorization: Basic` against bcrypt hashes.
- `ratelimit`: the rate_limit token bucket.
- `reload`: `WatchedConfig`, the configuration in force, re-read when its files change.
"""
