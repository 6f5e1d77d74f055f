"""os: node_os_info / node_os_version from os-release under the rootfs, as node_exporter's os
collector (collector/os_release.go)."""

from __future__ import annotations

import calendar
import os
import re
import time
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, open_regular, read_fd
from pyexporter.toolkit.numbers import parse_float

# Looked for in this order under --path.rootfs, as node_exporter does.
OS_RELEASE_FILES = ("etc/os-release", "usr/lib/os-release")

INFO_LABELS = (
    "build_id", "id", "id_like", "image_id", "image_version", "name", "pretty_name",
    "variant", "variant_id", "version", "version_codename", "version_id",
)
INFO_HELP = (
    "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, "
    "name, pretty_name, variant, variant_id, version, version_codename, version_id."
)
_VERSION = re.compile(r"^[0-9]+\.?[0-9]*")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOUBLE_QUOTED_ESCAPES = {"\\": "\\", '"': '"', "$": "$", "`": "`", "\n": ""}


class OSRelease(NamedTuple):
    info: tuple[str, ...]  # values in INFO_LABELS order
    id: str
    id_like: str
    name: str
    version: float  # major.minor of VERSION_ID, 0 when it has none
    support_end: float | None  # SUPPORT_END as a Unix timestamp


def _unquote(raw: str, lineno: int) -> str:
    """A shell-style value: double quotes with backslash escapes, single quotes literal."""
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == "'":
            end = raw.find("'", i + 1)
            if end < 0:
                raise CollectorError(f"os-release line {lineno}: unterminated single quote")
            out.append(raw[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise CollectorError(f"os-release line {lineno}: unterminated double quote")
                c = raw[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and raw[i + 1] in _DOUBLE_QUOTED_ESCAPES:
                    out.append(_DOUBLE_QUOTED_ESCAPES[raw[i + 1]])
                    i += 2
                    continue
                out.append(c)
                i += 1
        elif ch == "\\" and i + 1 < n:
            out.append(raw[i + 1])
            i += 2
        elif ch in " \t":
            # Unquoted whitespace ends the value; only a comment may follow.
            rest = raw[i:].strip()
            if rest and not rest.startswith("#"):
                raise CollectorError(f"os-release line {lineno}: unexpected text after value")
            break
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_env(text: str) -> dict[str, str]:
    """KEY=VALUE lines as os-release(5) writes them; CollectorError on a malformed line."""
    env: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, raw = line.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise CollectorError(f"os-release line {lineno}: expected KEY=VALUE, got {line[:60]!r}")
        env[key] = _unquote(raw.strip(), lineno)
    return env


def parse_os_release(text: str) -> OSRelease:
    env = parse_env(text)
    get = env.get
    match = _VERSION.match(get("VERSION_ID", ""))
    # strconv.ParseFloat: a major.minor too long for a float64 is an error, not infinity.
    version = parse_float(match.group(0)) if match else 0.0
    support_end = None
    if get("SUPPORT_END"):
        try:
            support_end = float(calendar.timegm(time.strptime(env["SUPPORT_END"], "%Y-%m-%d")))
        except ValueError:
            raise CollectorError(f"os-release: invalid SUPPORT_END {env['SUPPORT_END']!r}") from None
    return OSRelease(
        info=tuple(get(label.upper(), "") for label in INFO_LABELS),
        id=get("ID", ""),
        id_like=get("ID_LIKE", ""),
        name=get("NAME", ""),
        version=version,
        support_end=support_end,
    )


@collector("os")
class OSCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.candidates = tuple(self.paths.root(name) for name in OS_RELEASE_FILES)
        # Parsed once per (file, mtime): os-release changes only on upgrades.
        self._cache_key: tuple[str, int] | None = None
        self._cache: OSRelease | None = None

    def _release(self) -> OSRelease | None:
        for path in self.candidates:
            try:
                fd = open_regular(path)
            except FileNotFoundError:
                continue
            try:
                key = (path, os.fstat(fd).st_mtime_ns)
                if key == self._cache_key and self._cache is not None:
                    return self._cache
                release = parse_os_release(decode(read_fd(fd, path)))
            finally:
                os.close(fd)
            self._cache_key, self._cache = key, release
            return release
        return None

    def collect(self) -> Iterable[Metric]:
        release = self._release()
        if release is None:
            return
        info = GaugeMetricFamily("node_os_info", INFO_HELP, labels=list(INFO_LABELS))
        info.add_metric(list(release.info), 1.0)
        yield info
        if release.version > 0:
            version = GaugeMetricFamily(
                "node_os_version",
                "Metric containing the major.minor part of the OS version.",
                labels=["id", "id_like", "name"],
            )
            version.add_metric([release.id, release.id_like, release.name], release.version)
            yield version
        if release.support_end is not None:
            yield GaugeMetricFamily(
                "node_os_support_end_timestamp_seconds",
                "Metric containing the end-of-life date timestamp of the OS.",
                value=release.support_end,
            )
