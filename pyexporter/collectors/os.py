"""os: node_os_info / node_os_version from os-release under the rootfs, as node_exporter's os
collector (collector/os_release.go, parsing with github.com/hashicorp/go-envparse v0.1.0's
Parse/parseLine)."""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext, CollectorError, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode
from pyexporter.toolkit.numbers import go_trim_space, parse_float
from pyexporter.toolkit.static import FileCache

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
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
class OSRelease(NamedTuple):
    info: tuple[str, ...]  # values in INFO_LABELS order
    id: str
    id_like: str
    name: str
    version: float  # major.minor of VERSION_ID, 0 when it has none
    support_end: float | None  # SUPPORT_END as a Unix timestamp


# go-envparse's escapes inside double quotes (JSON's, \\uXXXX apart), by byte.
_DOUBLE_QUOTED_ESCAPES = {ord(k): v for k, v in
                          {'"': b'"', "\\": b"\\", "/": b"/", "b": b"\b", "f": b"\f", "r": b"\r", "n": b"\n",
                           "t": b"\t"}.items()}
_KEY_START = re.compile(r"[A-Za-z_]")
_KEY_REST = re.compile(r"[A-Za-z0-9_]*")
_EXPORT = "export "
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")


def _hex_rune(data: bytes, lineno: int) -> int:
    """h2r: four hex digits."""
    if len(data) < 4:
        raise CollectorError(f"os-release line {lineno}: incomplete hex sequence")
    if not _HEX4.match(data):
        raise CollectorError(f"os-release line {lineno}: invalid hex character")
    return int(data[:4], 16)


def _encode_rune(rune: int) -> bytes:
    """utf8.EncodeRune: a surrogate half is written as U+FFFD."""
    return ("\ufffd" if 0xD800 <= rune < 0xE000 else chr(rune)).encode()


def _envparse_value(text: str, lineno: int) -> str:
    """The value of one line, as go-envparse v0.1.0's parseLine reads it, byte by byte: unquoted
    text is taken as is (backslashes included, inner blanks kept; a `#` starts a comment and
    the blanks before it go), single quotes are literal, double quotes know JSON's escapes; a
    control byte (a tab too) anywhere is an error, as is an unmatched quote or an unknown
    escape. Bytes past 0x7f pass through; before a comment the last of them is cut off, as Go
    marks the position before each such byte, not after it."""
    value = text.encode("utf-8", "surrogateescape")
    out = bytearray()
    last_sig = 0
    mode = "normal"
    i, n = 0, len(value)
    while i < n:
        byte = value[i]
        if byte < 32:
            raise CollectorError(f"os-release line {lineno}: 0x{byte:02x} is an invalid value character")
        if byte > 127:
            if mode == "escape":
                raise CollectorError(f"os-release line {lineno}: multibyte characters disallowed in escape sequences")
            last_sig = len(out)
            out.append(byte)
            i += 1
            continue
        ch = chr(byte)
        if mode == "normal":
            if ch == '"':
                mode = "double"
            elif ch == "'":
                mode = "single"
            elif ch == "#":
                return decode(bytes(out[:last_sig]))
            elif ch in " \t":
                out.append(byte)
            else:
                out.append(byte)
                last_sig = len(out)
        elif mode == "double":
            if ch == '"':
                mode = "normal"
            elif ch == "\\":
                mode = "escape"
            else:
                out.append(byte)
                last_sig = len(out)
        elif mode == "escape":
            if byte in _DOUBLE_QUOTED_ESCAPES:
                out += _DOUBLE_QUOTED_ESCAPES[byte]
            elif ch == "u":
                rune = _hex_rune(value[i + 1:], lineno)
                i += 4
                if 0xD800 <= rune < 0xE000:
                    if n < i + 6 or value[i + 1:i + 3] != b"\\u":
                        raise CollectorError(f"os-release line {lineno}: incomplete Unicode surrogate pair")
                    low = _hex_rune(value[i + 3:], lineno)
                    i += 6
                    # utf16.DecodeRune: U+FFFD unless a high then a low surrogate.
                    if rune < 0xDC00 and 0xDC00 <= low < 0xE000:
                        rune = 0x10000 + ((rune - 0xD800) << 10) + (low - 0xDC00)
                    else:
                        rune = 0xFFFD
                out += _encode_rune(rune)
            else:
                raise CollectorError(f"os-release line {lineno}: invalid escape sequence: {ch!r}")
            last_sig = len(out)
            mode = "double"
        else:  # single
            if ch == "'":
                mode = "normal"
            else:
                out.append(byte)
                last_sig = len(out)
        i += 1
    if mode != "normal":
        raise CollectorError(f"os-release line {lineno}: unmatched quote or incomplete escape")
    return decode(bytes(out))


def parse_env(text: str) -> dict[str, str]:
    """KEY=VALUE lines as hashicorp/go-envparse v0.1.0 (the parser node_exporter uses) reads
    them: each line trimmed (strings.TrimSpace), blank and `#` lines skipped, a line without `=`
    an error; the key trimmed, an `export ` prefix dropped when a name follows it, and it must
    match [A-Za-z_][A-Za-z0-9_]*; the value trimmed and read by _envparse_value. A later line
    replaces an earlier one with the same key. CollectorError on a malformed line."""
    env: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, raw_line in enumerate(lines, 1):
        # bufio.ScanLines drops one \r before the \n.
        line = go_trim_space(raw_line.removesuffix("\r"))
        if not line or line.startswith("#"):
            continue
        key, sep, raw = line.partition("=")
        if not sep:
            raise CollectorError(f"os-release line {lineno}: missing =")
        key = go_trim_space(key)
        if len(key) > len(_EXPORT):
            key = key.removeprefix(_EXPORT)
        if not key:
            raise CollectorError(f"os-release line {lineno}: empty key")
        if not _KEY_START.match(key[0]) or not _KEY_REST.fullmatch(key[1:]):
            raise CollectorError(f"os-release line {lineno}: key must be [A-Za-z_][A-Za-z0-9_]*, got {key[:60]!r}")
        value = go_trim_space(raw)
        env[key] = _envparse_value(value, lineno) if value else ""
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
            # time.Parse(time.DateOnly): exactly four digits, two and two.
            if not _DATE_ONLY.fullmatch(env["SUPPORT_END"]):
                raise ValueError(env["SUPPORT_END"])
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


def _parse_raw(raw: bytes) -> OSRelease:
    return parse_os_release(decode(raw))


@collector("os")
class OSCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        self.candidates = tuple(self.paths.root(name) for name in OS_RELEASE_FILES)
        # os-release changes only when a package upgrade replaces or rewrites it; FileCache
        # re-reads it whenever the file behind the path (symlinks followed) or its size, mtime
        # or ctime differ, which (unlike node_exporter's name and mtime, see toolkit/static.py)
        # every such change alters.
        self._files = tuple(FileCache(path, _parse_raw) for path in self.candidates)
        self._built: tuple[OSRelease, list[Metric]] | None = None

    def _release(self) -> OSRelease | None:
        for cache in self._files:
            try:
                return cache.get()
            except FileNotFoundError:
                continue
        return None

    def collect(self) -> Iterable[Metric]:
        release = self._release()
        if release is None:
            raise NoDataError("no os-release file found")
        # FileCache hands out the same record until the file changes, and families are not
        # changed once built (dmi serves one family for the whole run the same way).
        if self._built is None or self._built[0] is not release:
            self._built = (release, self._families(release))
        return self._built[1]

    @staticmethod
    def _families(release: OSRelease) -> list[Metric]:
        info = GaugeMetricFamily("node_os_info", INFO_HELP, labels=list(INFO_LABELS))
        info.add_metric(list(release.info), 1.0)
        families: list[Metric] = [info]
        if release.version > 0:
            version = GaugeMetricFamily(
                "node_os_version",
                "Metric containing the major.minor part of the OS version.",
                labels=["id", "id_like", "name"],
            )
            version.add_metric([release.id, release.id_like, release.name], release.version)
            families.append(version)
        if release.support_end is not None:
            families.append(GaugeMetricFamily(
                "node_os_support_end_timestamp_seconds",
                "Metric containing the end-of-life date timestamp of the OS.",
                value=release.support_end,
            ))
        return families
