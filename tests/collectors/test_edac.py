import shutil

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import fixture_paths, run_collector, samples


def L(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def test_edac_from_fixture() -> None:
    families = run_collector("edac", fixture_paths("edac"))
    assert samples(families) == {
        ("node_edac_correctable_errors_total", L(controller="0")): 3.0,
        ("node_edac_correctable_errors_total", L(controller="1")): 0.0,
        ("node_edac_uncorrectable_errors_total", L(controller="0")): 1.0,
        ("node_edac_uncorrectable_errors_total", L(controller="1")): 0.0,
        ("node_edac_csrow_correctable_errors_total", L(controller="0", csrow="unknown")): 2.0,
        ("node_edac_csrow_correctable_errors_total", L(controller="0", csrow="0")): 1.0,
        ("node_edac_csrow_correctable_errors_total", L(controller="1", csrow="unknown")): 0.0,
        ("node_edac_csrow_uncorrectable_errors_total", L(controller="0", csrow="unknown")): 0.0,
        ("node_edac_csrow_uncorrectable_errors_total", L(controller="0", csrow="0")): 1.0,
        ("node_edac_csrow_uncorrectable_errors_total", L(controller="1", csrow="unknown")): 0.0,
        (
            "node_edac_channel_correctable_errors_total",
            L(controller="0", csrow="0", channel="0", dimm_label="CPU1__csrow0__channel0"),
        ): 1.0,
        (
            "node_edac_channel_correctable_errors_total",
            L(controller="0", csrow="0", channel="1", dimm_label="unknown"),
        ): 0.0,
        (
            "node_edac_channel_uncorrectable_errors_total",
            L(controller="0", csrow="0", channel="0", dimm_label="CPU1__csrow0__channel0"),
        ): 1.0,
    }
    assert {f.type for f in families} == {"counter"}


def test_absent_edac_yields_nothing(tmp_path) -> None:
    # edac_linux.go globs the controllers: none is no error (node_exporter 1.5.0 agrees on a
    # host without EDAC, tests/e2e/test_reference_live.py).
    assert run_collector("edac", Paths(sysfs=str(tmp_path))) == []


def test_malformed_count(tmp_path) -> None:
    shutil.copytree(fixture_paths("edac").sys(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "devices" / "system" / "edac" / "mc" / "mc0" / "csrow0" / "ce_count").write_text("lots\n")
    with pytest.raises(CollectorError):
        run_collector("edac", Paths(sysfs=str(tmp_path)))


def test_missing_controller_count_raises(tmp_path) -> None:
    shutil.copytree(fixture_paths("edac").sys(), tmp_path, dirs_exist_ok=True)
    (tmp_path / "devices" / "system" / "edac" / "mc" / "mc1" / "ue_count").unlink()
    with pytest.raises(OSError):
        run_collector("edac", Paths(sysfs=str(tmp_path)))


def test_channel_ue_count_unreadable_or_malformed_is_skipped(tmp_path) -> None:
    # edac_linux.go: a channel's ch*_ue_count that fails to read is logged and skipped (only
    # it: some hardware has ch*_ce_count alone); the ce series stays.
    csrow = tmp_path / "devices" / "system" / "edac" / "mc" / "mc0" / "csrow0"
    csrow.mkdir(parents=True)
    for name, text in (("ce_count", "1"), ("ce_noinfo_count", "0"), ("ue_count", "0"), ("ue_noinfo_count", "0")):
        (csrow.parent / name).write_text(text + "\n")
    for name, text in (("ce_count", "1"), ("ue_count", "0"), ("ch0_ce_count", "4"), ("ch1_ce_count", "5"),
                       ("ch1_ue_count", "garbage"), ("ch0_dimm_label", " DIMM#A1\u2003\n")):
        (csrow / name).write_text(text + "\n")
    got = samples(run_collector("edac", Paths(sysfs=str(tmp_path))))
    assert got[("node_edac_channel_correctable_errors_total",
                L(controller="0", csrow="0", channel="0", dimm_label="DIMMA1"))] == 4.0
    assert got[("node_edac_channel_correctable_errors_total",
                L(controller="0", csrow="0", channel="1", dimm_label="unknown"))] == 5.0
    assert not [k for k in got if k[0] == "node_edac_channel_uncorrectable_errors_total"]
