
from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import run_collector, sample, samples, write_tree

H = "sys/class/fc_host/host0/"
TREE = {
    H + "port_name": "0x10\n", H + "speed": "16 Gbit\n", H + "port_state": "Online\n",
    H + "statistics/rx_frames": "0x3\n", H + "statistics/dumped_frames": "0xffffffffffffffff\n",
}


def test_fibrechannel(tmp_path: Path) -> None:
    fams = run_collector("fibrechannel", write_tree(tmp_path, TREE))
    got = samples(fams)
    assert sample(fams, "node_fibrechannel_rx_frames_total", fc_host="host0") == 3
    assert not any(name == "node_fibrechannel_dumped_frames_total" for name, _ in got)
    info = next(labels for name, labels in got if name == "node_fibrechannel_info")
    assert ("port_name", "10") in info and ("speed", "16 Gbit") in info and ("port_id", "") in info


def test_fibrechannel_absent(tmp_path: Path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("fibrechannel", Paths.under(str(tmp_path)))


def test_fibrechannel_malformed(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        run_collector("fibrechannel", write_tree(tmp_path, {**TREE, H + "statistics/rx_frames": "zz\n"}))


def test_attribute_prefix_cut_as_sysfs_does(tmp_path: Path) -> None:
    """parseFibreChannelHost: port_id/port_name/fabric_name lose two characters when longer
    than two (`0x0` -> `0`), whatever they are; shorter values stay."""
    tree = {**TREE, H + "fabric_name": "0x0\n", H + "port_id": "ab\n", H + "port_name": "123456\n"}
    got = samples(run_collector("fibrechannel", write_tree(tmp_path, tree)))
    info = dict(next(labels for name, labels in got if name == "node_fibrechannel_info"))
    assert (info["fabric_name"], info["port_id"], info["port_name"]) == ("0", "ab", "3456")


def test_statistics_skips(tmp_path: Path) -> None:
    """parseFibreChannelStatistics: reset_statistics and sub-directories are skipped; names it
    does not know are read but not parsed."""
    tree = {**TREE, H + "statistics/reset_statistics": "junk\n", H + "statistics/lip_count": "junk\n",
            H + "statistics/sub/x": "1\n"}
    fams = run_collector("fibrechannel", write_tree(tmp_path, tree))
    assert sample(fams, "node_fibrechannel_rx_frames_total", fc_host="host0") == 3


def test_missing_statistics_is_no_data(tmp_path: Path) -> None:
    """Update: a host without statistics/ is ErrNoData (os.IsNotExist): nothing at all."""
    tree = {k: v for k, v in TREE.items() if "/statistics/" not in k}
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("fibrechannel", write_tree(tmp_path, tree))
