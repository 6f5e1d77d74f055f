import pytest

from pyexporter.collectors.edac import EdacCollector, format_dimm_label
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError
from tests.helpers import run_collector, sample, write_tree


def test_count(tmp_path) -> None:
    (tmp_path / "ue_count").write_text(" 5\n")
    assert EdacCollector._count(str(tmp_path), "ue_count") == 5


@pytest.mark.parametrize("text", ["", "-1", "x", "1.0", "+1", "1_0", "²", "٣", "18446744073709551616"])
def test_count_malformed(tmp_path, text: str) -> None:
    # readUintFromFile: strconv.ParseUint(TrimSpace(text), 10, 64); Python's int() took the
    # sign, `_` and the Arabic digit. The error names the file, as node_exporter's does.
    (tmp_path / "ce_count").write_text(text)
    with pytest.raises(CollectorError, match="ce_count") as raised:
        EdacCollector._count(str(tmp_path), "ce_count")
    assert isinstance(raised.value.__cause__, NumberError)


def test_collector_fails_on_a_malformed_count(tmp_path) -> None:
    mc = "sys/devices/system/edac/mc/mc0/"
    tree = {mc + "ce_count": "1\n", mc + "ce_noinfo_count": "0\n", mc + "ue_count": "+2\n",
            mc + "ue_noinfo_count": "0\n"}
    with pytest.raises(CollectorError, match="ue_count"):
        run_collector("edac", write_tree(tmp_path, tree))
    write_tree(tmp_path, {mc + "ue_count": "2\n"})
    assert sample(run_collector("edac", Paths.under(str(tmp_path))), "node_edac_uncorrectable_errors_total",
                  controller="0") == 2


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("mc0csrow0channel0\n", "mc0_csrow0_channel0"),
        ("CPU#1_DIMM_A1", "CPU1_DIMM_A1"),
        ("", ""),
    ],
)
def test_dimm_label(raw: str, label: str) -> None:
    assert format_dimm_label(raw) == label
