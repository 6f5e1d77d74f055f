
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import run_collector, sample, samples, write_tree

H = "sys/class/fc_host/host0/"
TREE = {
    H + "port_name": "0x10\n", H + "speed": "16 Gbit\n", H + "port_state": "Online\n",
    H + "statistics/rx_frames": "0x3\n", H + "statistics/dumped_frames": "0xffffffffffffffff\n",
}


def test_fibrechannel(tmp_path) -> None:
    fams = run_collector("fibrechannel", write_tree(tmp_path, TREE))
    got = samples(fams)
    assert sample(fams, "node_fibrechannel_rx_frames_total", fc_host="host0") == 3
    assert not any(name == "node_fibrechannel_dumped_frames_total" for name, _ in got)
    info = next(labels for name, labels in got if name == "node_fibrechannel_info")
    assert ("port_name", "10") in info and ("speed", "16 Gbit") in info and ("port_id", "") in info


def test_fibrechannel_absent(tmp_path) -> None:
    assert run_collector("fibrechannel", Paths.under(str(tmp_path))) == []


def test_fibrechannel_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("fibrechannel", write_tree(tmp_path, {**TREE, H + "statistics/rx_frames": "zz\n"}))
