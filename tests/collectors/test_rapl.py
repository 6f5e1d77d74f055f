import os

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample


def _path(zone: str) -> str:
    return os.path.normpath(os.path.join(fixture_paths("rapl").sysfs, "class", "powercap", zone))


def test_rapl_from_fixture() -> None:
    families = run_collector("rapl", fixture_paths("rapl"))
    assert sample(families, "node_rapl_package_joules_total", index="0", path=_path("intel-rapl:0")) == 1.5
    # Two "dram" zones without an index suffix are numbered in order.
    assert sample(families, "node_rapl_dram_joules_total", index="0", path=_path("intel-rapl:0:0")) == 0.25
    assert sample(families, "node_rapl_dram_joules_total", index="1", path=_path("intel-rapl:0:1")) == 0.5
    assert by_name(families)["node_rapl_dram_joules_total"].type == "counter"


def test_rapl_zone_label() -> None:
    families = run_collector("rapl", fixture_paths("rapl"), {"enable-zone-label": True})
    assert sample(families, "node_rapl_joules_total", index="0", path=_path("intel-rapl:0"),
                  rapl_zone="package") == 1.5


def test_rapl_absent(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("rapl", Paths(sysfs=str(tmp_path)))


def test_rapl_malformed_energy(tmp_path) -> None:
    zone = tmp_path / "class" / "powercap" / "intel-rapl:0"
    zone.mkdir(parents=True)
    (zone / "name").write_text("package-0\n")
    (zone / "max_energy_range_uj").write_text("100\n")
    (zone / "energy_uj").write_text("-5\n")
    with pytest.raises(CollectorError):
        run_collector("rapl", Paths(sysfs=str(tmp_path)))
