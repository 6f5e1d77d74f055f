import pytest

from pyexporter.collectors.rapl import parse_uint, sanitize_metric_name, zone_index_and_name
from pyexporter.toolkit.collector import CollectorError


def test_zone_index_and_name() -> None:
    assert zone_index_and_name("package-1", {}) == (1, "package")
    assert zone_index_and_name("dram", {"dram": 2}) == (2, "dram")
    assert zone_index_and_name("psys", {}) == (0, "psys")
    assert zone_index_and_name("a-b-1", {}) == (0, "a-b-1")


def test_sanitize_metric_name() -> None:
    assert sanitize_metric_name("uncore.x") == "uncore_x"


@pytest.mark.parametrize("text", ["", "x", "-1", "1.5"])
def test_parse_uint_rejects(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_uint(text, "energy_uj")
