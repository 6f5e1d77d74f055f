"""cpu_vulnerabilities: /sys/devices/system/cpu/vulnerabilities/*, as node_exporter's collector
(collector/cpu_vulnerabilities_linux.go over procfs sysfs/vulnerability.go: CPUVulnerabilities,
parseVulnerability matching the lower-cased state prefixes and joining the words after the
first as the mitigation, VulnerabilityHumanEncoding's lower-case state labels)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import NamedTuple

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import list_dir, read_text

HELP = (
    "Details of each CPU vulnerability reported by sysfs. The value of the series is an int encoded "
    "state of the vulnerability. The same state is stored as a string in the label"
)
# Prefixes of the kernel's text, lower-cased, which are also the state labels node_exporter gives.
_STATES = ("not affected", "vulnerable", "mitigation", "unknown")


class Vulnerability(NamedTuple):
    codename: str
    state: str
    mitigation: str


def parse_vulnerability(codename: str, text: str) -> Vulnerability:
    """`Not affected`, `Vulnerable[: detail]`, `Mitigation: detail` or `Unknown: detail`."""
    content = text.strip()
    if not content:
        raise CollectorError(f"empty CPU vulnerability file {codename!r}")
    lowered = content.lower()
    for state in _STATES:
        if lowered.startswith(state):
            if state == "not affected":
                return Vulnerability(codename, state, "")
            return Vulnerability(codename, state, " ".join(content.split()[1:]))
    raise CollectorError(f"unknown vulnerability state for {codename}: {content[:80]!r}")


@collector("cpu_vulnerabilities", default=False)
class CPUVulnerabilitiesCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        folder = self.paths.sys("devices", "system", "cpu", "vulnerabilities")
        family = GaugeMetricFamily(
            "node_cpu_vulnerabilities_info", HELP, labels=["codename", "state", "mitigation"]
        )
        for name in list_dir(folder):
            vuln = parse_vulnerability(name, read_text(os.path.join(folder, name)))
            family.add_metric([vuln.codename, vuln.state, vuln.mitigation], 1.0)
        if family.samples:
            yield family
