import os
import shutil

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import FIXTURES, fixture_paths, run_collector, sample, samples


def _get(families, metric: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    # helpers.sample() cannot take a label called `name`.
    return samples(families)[(metric, frozenset(labels.items()))]


def test_os_from_etc() -> None:
    families = run_collector("os", fixture_paths("os"))
    assert _get(
        families, "node_os_info", build_id="", id="debian", id_like="", image_id="", image_version="",
        name="Debian GNU/Linux", pretty_name="Debian GNU/Linux 12 (bookworm)", variant="", variant_id="",
        version="12 (bookworm)", version_codename="bookworm", version_id="12",
    ) == 1
    assert _get(families, "node_os_version", id="debian", id_like="", name="Debian GNU/Linux") == 12
    assert sample(families, "node_os_support_end_timestamp_seconds") == 1845936000


def test_fallback_to_usr_lib(tmp_path) -> None:
    shutil.copytree(os.path.join(FIXTURES, "os", "usr"), tmp_path / "usr")
    families = run_collector("os", Paths(rootfs=str(tmp_path)))
    assert _get(families, "node_os_version", id="fallback", id_like="", name="Fallback") == 1.2
    assert "node_os_support_end_timestamp_seconds" not in {k[0] for k in samples(families)}


def test_absent(tmp_path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("os", Paths(rootfs=str(tmp_path)))


def test_malformed(tmp_path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "os-release").write_text('NAME="unterminated\n')
    with pytest.raises(CollectorError):
        run_collector("os", Paths(rootfs=str(tmp_path)))


def test_cached_until_mtime_changes(tmp_path) -> None:
    from pyexporter.collectors import load_all

    (tmp_path / "etc").mkdir()
    path = tmp_path / "etc" / "os-release"
    path.write_text("ID=a\nVERSION_ID=1\n")
    os.utime(path, (1000, 1000))
    coll = load_all()["os"].build(Paths(rootfs=str(tmp_path)))
    assert _get(list(coll.collect()), "node_os_version", id="a", id_like="", name="") == 1
    path.write_text("ID=b\nVERSION_ID=2\n")
    os.utime(path, (1000, 1000))
    assert _get(list(coll.collect()), "node_os_version", id="a", id_like="", name="") == 1
    os.utime(path, (2000, 2000))
    assert _get(list(coll.collect()), "node_os_version", id="b", id_like="", name="") == 2
