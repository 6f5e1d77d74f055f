
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from pyexporter.toolkit.numbers import NumberError
from tests.helpers import run_collector, sample, samples, write_tree

TREE = {
    "sys/block/dm-0/size": "8\n", "sys/block/dm-0/dm/name": "mpathA\n",
    "sys/block/dm-0/dm/suspended": "0\n", "sys/block/dm-0/dm/uuid": "mpath-xyz\n",
    "sys/block/dm-0/slaves/sda": "", "sys/block/dm-0/slaves/sdb": "",
    "sys/block/sda/device/state": "running\n", "sys/block/sdb/device/state": "offline\n",
    "sys/block/dm-1/size": "8\n", "sys/block/dm-1/dm/name": "lvm\n",
    "sys/block/dm-1/dm/suspended": "0\n", "sys/block/dm-1/dm/uuid": "LVM-abc\n",
}


def test_dmmultipath(tmp_path: Path) -> None:
    fams = run_collector("dmmultipath", write_tree(tmp_path, TREE))
    key = {"device": "mpathA", "sysfs_name": "dm-0"}
    assert sample(fams, "node_dmmultipath_device_size_bytes", **key) == 4096
    assert sample(fams, "node_dmmultipath_device_active", **key) == 1
    assert sample(fams, "node_dmmultipath_device_paths", **key) == 2
    assert sample(fams, "node_dmmultipath_device_paths_failed", **key) == 1
    assert sample(fams, "node_dmmultipath_path_state", device="mpathA", path="sdb", state="offline") == 1
    assert not any(("sysfs_name", "dm-1") in labels for _, labels in samples(fams))


def test_dmmultipath_absent(tmp_path: Path) -> None:
    assert run_collector("dmmultipath", Paths.under(str(tmp_path))) == []


def test_dmmultipath_malformed(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        run_collector("dmmultipath", write_tree(tmp_path, {**TREE, "sys/block/dm-0/size": "x\n"}))


@pytest.mark.parametrize("size", ["+8\n", "8_0\n", "٨\n", "-8\n", "18446744073709551616\n"])
def test_dmmultipath_numbers_are_read_uint_from_file(tmp_path: Path, size: str) -> None:
    # procfs reads size and dm/suspended with ReadUintFromFile: trimmed base-10 uint64 only.
    with pytest.raises(NumberError):
        run_collector("dmmultipath", write_tree(tmp_path, {**TREE, "sys/block/dm-0/size": size}))


def test_dmmultipath_numbers_are_trimmed(tmp_path: Path) -> None:
    fams = run_collector("dmmultipath", write_tree(tmp_path, {**TREE, "sys/block/dm-0/dm/suspended": " 1 \n"}))
    assert sample(fams, "node_dmmultipath_device_active", device="mpathA", sysfs_name="dm-0") == 0


@pytest.mark.parametrize("missing", ["sys/block/dm-0/dm/name", "sys/block/dm-0/dm/suspended",
                                     "sys/block/dm-0/size", "sys/block/sdb/device/state"])
def test_dmmultipath_missing_file_is_no_data(tmp_path: Path, missing: str) -> None:
    """DMMultipathDevices wraps the read error with %w; Update: errors.Is(err, os.ErrNotExist)
    is ErrNoData, so nothing is reported (for any map)."""
    tree = {k: v for k, v in TREE.items() if k != missing}
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("dmmultipath", write_tree(tmp_path, tree))


def test_dmmultipath_without_slaves(tmp_path: Path) -> None:
    """dmMultipathPaths: no slaves/ directory is no paths, not an error."""
    tree = {k: v for k, v in TREE.items() if "/slaves/" not in k}
    fams = run_collector("dmmultipath", write_tree(tmp_path, tree))
    assert sample(fams, "node_dmmultipath_device_paths", device="mpathA", sysfs_name="dm-0") == 0


def test_dmmultipath_text_trimmed_whole(tmp_path: Path) -> None:
    """util.SysReadFile: the whole file, strings.TrimSpace'd (a NVMe path is `live`)."""
    tree = {**TREE, "sys/block/sda/device/state": "  live \n"}
    fams = run_collector("dmmultipath", write_tree(tmp_path, tree))
    assert sample(fams, "node_dmmultipath_device_paths_active", device="mpathA", sysfs_name="dm-0") == 1
