
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import run_collector, sample, samples, write_tree

D = "sys/class/infiniband/mlx0/"
TREE = {
    D + "board_id": "B\n", D + "fw_ver": "1.0\n", D + "hca_type": "H\n",
    D + "ports/1/state": "4: ACTIVE\n", D + "ports/1/phys_state": "5: LinkUp\n",
    D + "ports/1/rate": "10 Gb/sec (4X)\n", D + "ports/1/counters/port_rcv_data": "10\n",
    D + "ports/1/counters/link_downed": "N/A (no PMA)\n",
}


def test_infiniband(tmp_path) -> None:
    fams = run_collector("infiniband", write_tree(tmp_path, TREE))
    assert sample(fams, "node_infiniband_info", device="mlx0", board_id="B", firmware_version="1.0",
                  hca_type="H") == 1
    assert sample(fams, "node_infiniband_state_id", device="mlx0", port="1") == 4
    assert sample(fams, "node_infiniband_rate_bytes_per_second", device="mlx0", port="1") == 1.25e9
    assert sample(fams, "node_infiniband_port_data_received_bytes_total", device="mlx0", port="1") == 40
    assert not any(n.startswith("node_infiniband_link_downed") for n, _ in samples(fams))


def test_infiniband_absent(tmp_path) -> None:
    assert run_collector("infiniband", Paths.under(str(tmp_path))) == []


def test_infiniband_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("infiniband", write_tree(tmp_path, {**TREE, D + "ports/1/state": "ACTIVE\n"}))


def test_infiniband_garbage_counter_fails(tmp_path) -> None:
    # sysfs fails the whole class on a counter that is neither a number nor `N/A (no PMA)`.
    with pytest.raises(CollectorError):
        run_collector("infiniband", write_tree(tmp_path, {**TREE, D + "ports/1/counters/link_downed": "n/a\n"}))
