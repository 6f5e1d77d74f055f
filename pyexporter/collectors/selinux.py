"""selinux: SELinux status from selinuxfs, as node_exporter's selinux collector (via go-selinux)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_optional, read_text

# go-selinux's modes: enforcing 1, permissive 0, disabled -1.
_MODES = {"enforcing": 1, "permissive": 0, "disabled": -1}


def parse_enforce(text: str) -> int:
    value = text.strip()
    if value not in ("0", "1"):
        raise CollectorError(f"unexpected selinuxfs enforce content: {text[:40]!r}")
    return int(value)


def parse_config_mode(text: str) -> int:
    """The SELINUX= setting of /etc/selinux/config; anything else counts as disabled, as go-selinux does."""
    mode = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if key.strip() == "SELINUX":
            mode = value.strip().strip('"')
    return _MODES.get(mode, -1)


@collector("selinux")
class SelinuxCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        enforce = read_optional(self.paths.sys("fs", "selinux", "enforce"))
        # A loaded policy shows as a mounted selinuxfs; a process context of "kernel" means
        # no policy is loaded, which go-selinux also reports as disabled.
        context = read_optional(self.paths.proc("self", "attr", "current"))
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
