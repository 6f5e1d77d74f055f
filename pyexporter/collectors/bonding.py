"""bonding: configured and active slaves of Linux bonding interfaces, from /sys/class/net, as
node_exporter's bonding collector (collector/bonding_linux.go: Update, readBondingStats).

Every file is required, but a missing one (bonding_masters, a master's bonding/slaves, a slave's
mii_status under lower_<slave> and under the older slave_<slave>) is node_exporter's ErrNoData:
no sample at all, for any master. Any other read error fails the collector. A master listed
twice in bonding_masters is one series (readBondingStats keeps a map).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, NoDataError
from pyexporter.toolkit.families import GaugeMetricFamily
from pyexporter.toolkit.files import read_text


def read_mii_status(master_dir: str, slave: str) -> str:
    """A slave's MII status; older kernels link slaves as slave_<name> rather than lower_<name>."""
    try:
        return read_text(os.path.join(master_dir, f"lower_{slave}", "bonding_slave", "mii_status"))
    except FileNotFoundError:
        return read_text(os.path.join(master_dir, f"slave_{slave}", "bonding_slave", "mii_status"))


def count_slaves(master_dir: str) -> tuple[int, int]:
    """(configured slaves, slaves whose MII status is up) of one bonding master."""
    slaves = read_text(os.path.join(master_dir, "bonding", "slaves")).split()
    up = sum(1 for slave in slaves if read_mii_status(master_dir, slave).strip() == "up")
    return len(slaves), up


def read_bonding_stats(net: str) -> dict[str, tuple[int, int]]:
    """readBondingStats: {master: (configured, up)}; FileNotFoundError when any file is missing."""
    masters = read_text(os.path.join(net, "bonding_masters")).split()
    return {master: count_slaves(os.path.join(net, master)) for master in masters}


@collector("bonding")
class BondingCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        net = self.paths.sys("class", "net")
        try:
            stats = read_bonding_stats(net)
        except FileNotFoundError as err:
            raise NoDataError(f"bonding statistics not found: {err}") from None
        slaves = GaugeMetricFamily(
            "node_bonding_slaves", "Number of configured slaves per bonding interface.",
            labels=["master"],
        )
        active = GaugeMetricFamily(
            "node_bonding_active", "Number of active slaves per bonding interface.",
            labels=["master"],
        )
        for master, (configured, up) in stats.items():
            slaves.add_metric([master], configured)
            active.add_metric([master], up)
        yield slaves
        yield active
