
import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import run_collector, sample, write_tree

N = "sys/class/nvme/nvme0/"
TREE = {
    N + "model": "Disk\n", N + "serial": "S1\n", N + "state": "live\n", N + "firmware_rev": "F1\n",
    N + "cntlid": "7\n", N + "nvme0n1/size": "100\n", N + "nvme0n1/nuse": "10\n",
    N + "nvme0n1/queue/logical_block_size": "512\n", N + "nvme0n1/ana_state": "optimized\n",
}


def test_nvme(tmp_path) -> None:
    fams = run_collector("nvme", write_tree(tmp_path, TREE))
    assert sample(fams, "node_nvme_info", device="nvme0", firmware_revision="F1", model="Disk",
                  serial="S1", state="live", cntlid="7") == 1
    assert sample(fams, "node_nvme_namespace_size_bytes", device="nvme0", nsid="1") == 51200
    assert sample(fams, "node_nvme_namespace_used_bytes", device="nvme0", nsid="1") == 5120
    assert sample(fams, "node_nvme_namespace_info", device="nvme0", nsid="1", ana_state="optimized") == 1


def test_nvme_absent(tmp_path) -> None:
    assert run_collector("nvme", Paths.under(str(tmp_path))) == []


def test_nvme_malformed(tmp_path) -> None:
    with pytest.raises(CollectorError):
        run_collector("nvme", write_tree(tmp_path, {**TREE, N + "nvme0n1/size": "big\n"}))


def test_nvme_sizes_as_read_uint_from_file(tmp_path) -> None:
    # sysfs's ReadUintFromFile: the whole file, trimmed, as strconv.ParseUint(x, 10, 64).
    fams = run_collector("nvme", write_tree(tmp_path, {**TREE, N + "nvme0n1/size": " 1099511627776\u2003\n"}))
    assert sample(fams, "node_nvme_namespace_size_bytes", device="nvme0", nsid="1") == 2**40 * 512


@pytest.mark.parametrize("text", [
    "-1\n", "+1\n", "1_0\n", "0x10\n", "\u0661\n", "18446744073709551616\n", "\n", "1\n2\n",
])
def test_nvme_sizes_go_refuses(tmp_path, text: str) -> None:
    with pytest.raises(CollectorError):
        run_collector("nvme", write_tree(tmp_path, {**TREE, N + "nvme0n1/nuse": text}))
