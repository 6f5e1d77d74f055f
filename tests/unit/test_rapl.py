import pytest

from pyexporter.collectors.rapl import rapl_zones, sanitize_metric_name, zone_index_and_name
from pyexporter.toolkit.numbers import NumberError


def test_zone_index_and_name() -> None:
    assert zone_index_and_name("package-1", {}) == (1, "package")
    assert zone_index_and_name("dram", {"dram": 2}) == (2, "dram")
    assert zone_index_and_name("psys", {}) == (0, "psys")
    assert zone_index_and_name("a-b-1", {}) == (0, "a-b-1")


@pytest.mark.parametrize(("name", "expected"), [
    # getIndexAndName reads the suffix with strconv.Atoi: a sign is fine, and anything Atoi
    # refuses keeps the whole name, counted: non-ASCII digits, int overflow, blanks, `_`.
    ("package-+2", (2, "package")), ("package--2", (0, "package--2")), ("package-007", (7, "package")),
    ("package-١", (0, "package-١")), ("package-99999999999999999999", (0, "package-99999999999999999999")),
    ("package- 1", (0, "package- 1")), ("package-1_0", (0, "package-1_0")), ("package-", (0, "package-")),
])
def test_zone_index_as_atoi(name: str, expected: tuple[int, str]) -> None:
    assert zone_index_and_name(name, {}) == expected


def test_sanitize_metric_name() -> None:
    assert sanitize_metric_name("uncore.x") == "uncore_x"


@pytest.mark.parametrize("text", ["", "x\n", "-1\n", "1.5\n", "1_000\n", "18446744073709551616\n"])
def test_max_energy_range_must_be_a_uint64(tmp_path, text: str) -> None:
    # util.ReadUintFromFile: the trimmed attribute through strconv.ParseUint(text, 10, 64).
    zone = tmp_path / "intel-rapl:0"
    zone.mkdir()
    (zone / "name").write_text("package-0\n")
    (zone / "max_energy_range_uj").write_text(text)
    with pytest.raises(NumberError, match=r"strconv\.ParseUint"):
        rapl_zones(str(tmp_path))


def test_zone_name_trimmed_whole(tmp_path) -> None:
    zone = tmp_path / "intel-rapl:0"
    zone.mkdir()
    (zone / "name").write_text("\u2003package-0 \n")
    (zone / "max_energy_range_uj").write_text("18446744073709551615\n")
    assert [(z.name, z.index) for z in rapl_zones(str(tmp_path))] == [("package", 0)]


def test_sanitize_metric_name_collapses_runs() -> None:
    # SanitizeMetricName's `_*[^0-9A-Za-z_]+_*`: a run of invalid characters and the
    # underscores around it become one underscore.
    assert sanitize_metric_name("package-0-die-0") == "package_0_die_0"
    assert sanitize_metric_name("psys  x") == "psys_x"
    assert sanitize_metric_name("a_-_b") == "a_b"
    assert sanitize_metric_name("dram__2") == "dram__2"
    assert sanitize_metric_name("mmio (x)") == "mmio_x_"
