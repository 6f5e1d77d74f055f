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


def _text(families) -> bytes:  # type: ignore[no-untyped-def]
    from pyexporter.exposition import encode_openmetrics, encode_text

    return encode_text(families) + encode_openmetrics(families)


def test_cached_families_are_those_of_a_fresh_read(tmp_path, monkeypatch) -> None:
    from pyexporter.collectors import load_all
    from pyexporter.toolkit import static

    monkeypatch.setattr(static, "RACY_NS", 0)  # every file old enough to keep
    shutil.copytree(os.path.join(FIXTURES, "os", "etc"), tmp_path / "etc")
    coll = load_all()["os"].build(Paths(rootfs=str(tmp_path)))
    first, second = list(coll.collect()), list(coll.collect())
    assert second[0] is first[0]  # served from the cache
    fresh = list(load_all()["os"].build(Paths(rootfs=str(tmp_path))).collect())
    assert _text(second) == _text(fresh)


def test_nixos_upgrade_switches_the_link_to_a_file_of_the_same_mtime(tmp_path, monkeypatch) -> None:
    # node_exporter #2981: keyed on file name and mtime, its cache kept the old release.
    from pyexporter.collectors import load_all
    from pyexporter.toolkit import static

    monkeypatch.setattr(static, "RACY_NS", 0)
    store = tmp_path / "nix" / "store"
    store.mkdir(parents=True)
    (store / "a-os-release").write_text("ID=nixos\nVERSION_ID=1\n")
    (store / "b-os-release").write_text("ID=nixos\nVERSION_ID=2\n")
    for name in ("a-os-release", "b-os-release"):
        os.utime(store / name, (1, 1))
    (tmp_path / "etc").mkdir()
    link = tmp_path / "etc" / "os-release"
    link.symlink_to(store / "a-os-release")
    coll = load_all()["os"].build(Paths(rootfs=str(tmp_path)))
    assert _get(list(coll.collect()), "node_os_version", id="nixos", id_like="", name="") == 1
    link.unlink()
    link.symlink_to(store / "b-os-release")
    assert _get(list(coll.collect()), "node_os_version", id="nixos", id_like="", name="") == 2


def test_rewritten_with_size_and_mtime_restored(tmp_path) -> None:
    from pyexporter.collectors import load_all

    (tmp_path / "etc").mkdir()
    path = tmp_path / "etc" / "os-release"
    path.write_text("ID=a\nVERSION_ID=1\n")
    os.utime(path, (1000, 1000))
    coll = load_all()["os"].build(Paths(rootfs=str(tmp_path)))
    assert _get(list(coll.collect()), "node_os_version", id="a", id_like="", name="") == 1
    path.write_text("ID=b\nVERSION_ID=2\n")
    os.utime(path, (1000, 1000))
    assert _get(list(coll.collect()), "node_os_version", id="b", id_like="", name="") == 2


def test_etc_file_appearing_takes_over_from_usr_lib(tmp_path) -> None:
    from pyexporter.collectors import load_all

    shutil.copytree(os.path.join(FIXTURES, "os", "usr"), tmp_path / "usr")
    coll = load_all()["os"].build(Paths(rootfs=str(tmp_path)))
    assert _get(list(coll.collect()), "node_os_version", id="fallback", id_like="", name="Fallback") == 1.2
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "os-release").write_text("ID=etc\nVERSION_ID=3\n")
    assert _get(list(coll.collect()), "node_os_version", id="etc", id_like="", name="") == 3
