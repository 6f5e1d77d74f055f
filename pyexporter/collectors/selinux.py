"""selinux: SELinux status from selinuxfs, as node_exporter's selinux collector
(collector/selinux_linux.go over opencontainers/selinux go-selinux: GetEnabled, EnforceMode,
DefaultEnforceMode/readConfig). go-selinux reads the exporter's own /sys/fs/selinux and
/etc/selinux/config whatever --path.* say; here they are read below the configured roots."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import decode, read_attribute, read_optional, read_text
from pyexporter.toolkit.numbers import NumberError, go_trim_space, parse_int

# go-selinux's modes: enforcing 1, permissive 0, disabled -1.
_MODES = {"enforcing": 1, "permissive": 0, "disabled": -1}


def parse_enforce(text: str) -> int:
    """go-selinux's EnforceMode: the whole of selinuxfs's enforce file (the kernel writes the digit
    without a newline) through strconv.Atoi, untrimmed; what Atoi refuses reads as disabled (-1)."""
    try:
        return parse_int(text)
    except NumberError:
        return _MODES["disabled"]


def parse_config_mode(text: str) -> int:
    """go-selinux's DefaultEnforceMode over readConfig("SELINUX"): lines trimmed, blank, `#` and
    `;` lines skipped, the first line whose text before its first `=` is exactly `SELINUX` wins,
    its value with `"` trimmed from both ends; `enforcing` 1, `permissive` 0, anything else
    (or no such line) disabled, -1."""
    for raw in text.split("\n"):
        line = go_trim_space(raw)
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        if sep and key == "SELINUX":
            mode = value.strip('"')
            return _MODES[mode] if mode in ("enforcing", "permissive") else -1
    return -1


@collector("selinux")
class SelinuxCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        try:
            enforce: str | None = decode(read_attribute(self.paths.sys("fs", "selinux", "enforce")))
        except OSError:
            enforce = None
        # A loaded policy shows as a mounted selinuxfs; a process context of "kernel" means
        # no policy is loaded, which go-selinux also reports as disabled.
        # (The context is read only when the enforce file is there: it decides nothing otherwise.)
        context = None if enforce is None else read_optional(self.paths.proc("self", "attr", "current"))
        if enforce is None or (context is not None and context.rstrip("\x00") == "kernel"):
            yield GaugeMetricFamily(
                "node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", value=0
            )
            return
        yield GaugeMetricFamily("node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", value=1)
        try:
            config_mode = parse_config_mode(read_text(self.paths.root("etc", "selinux", "config")))
        except FileNotFoundError:
            config_mode = -1
        yield GaugeMetricFamily(
            "node_selinux_config_mode", "Configured SELinux enforcement mode", value=config_mode
        )
        yield GaugeMetricFamily(
            "node_selinux_current_mode", "Current SELinux enforcement mode", value=parse_enforce(enforce)
        )
