"""uname: node_uname_info from the uname system call, as node_exporter's uname collector
(collector/uname.go, uname_linux.go: unix.Uname, each utsname field up to its first NUL)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorContext
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_optional

LABELS = ("sysname", "release", "version", "machine", "nodename", "domainname")


def uname_labels(uname: os.uname_result, domainname: str | None) -> tuple[str, ...]:
    """Label values in LABELS order; os.uname() has no domainname, so it comes from procfs
    (/proc/sys/kernel/domainname shows the utsname field). The kernel's own value for a domain
    never set is "(none)", used too when procfs has no such file; one set to "" reads "", as
    unix.Uname gives it to node_exporter."""
    return (uname.sysname, uname.release, uname.version, uname.machine, uname.nodename,
            domainname if domainname is not None else "(none)")


@collector("uname")
class UnameCollector(Collector[NoOptions]):
    def __init__(self, ctx: CollectorContext[NoOptions]) -> None:
        super().__init__(ctx)
        # Static for the life of the boot, so read once.
        values = uname_labels(os.uname(), read_optional(self.paths.proc("sys", "kernel", "domainname")))
        self.family = GaugeMetricFamily(
            "node_uname_info",
            "Labeled system information as provided by the uname system call.",
            labels=list(LABELS),
        )
        self.family.add_metric(list(values), 1.0)

    def collect(self) -> Iterable[Metric]:
        yield self.family
