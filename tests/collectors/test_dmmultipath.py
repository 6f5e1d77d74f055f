
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
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


def test_dmmultipath(tmp_path) -> None:
    fams = run_collector("dmmultipath", write_tree(tmp_path, TREE))
    key = {"device": "mpathA", "sysfs_name": "dm-0"}
    assert sample(fams, "node_dmmultipath_device_size_bytes", **key) == 4096
    assert sample(fams, "node_dmmultipath_device_active", **key) == 1
    assert sample(fams, "node_dmmultipath_device_paths", **key) == 2
    assert sample(fams, "node_dmmultipath_device_paths_failed", **key) == 1
    assert sample(fams, "node_dmmultipath_path_state", device="mpathA", path="sdb", state="offline") == 1
    assert not any(("sysfs_name", "dm-1") in labels for _, labels in samples(fams))


def test_dmmultipath_absent(tmp_path) -> None:
    assert run_collector("dmmultipath", Paths.under(str(tmp_path))) == []


def test_dmmultipath_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("dmmultipath", write_tree(tmp_path, {**TREE, "sys/block/dm-0/size": "x\n"}))


@pytest.mark.parametrize("size", ["+8\n", "8_0\n", "٨\n", "-8\n", "18446744073709551616\n"])
def test_dmmultipath_numbers_are_read_uint_from_file(tmp_path, size: str) -> None:
    # procfs reads size and dm/suspended with ReadUintFromFile: trimmed base-10 uint64 only.
    with pytest.raises(NumberError):
        run_collector("dmmultipath", write_tree(tmp_path, {**TREE, "sys/block/dm-0/size": size}))


def test_dmmultipath_numbers_are_trimmed(tmp_path) -> None:
    fams = run_collector("dmmultipath", write_tree(tmp_path, {**TREE, "sys/block/dm-0/dm/suspended": " 1 \n"}))
    assert sample(fams, "node_dmmultipath_device_active", device="mpathA", sysfs_name="dm-0") == 0
