from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import run_collector, sample, samples, write_tree

N = "sys/class/nvme/nvme0/"
NS = N + "nvme0c0n1/"
TREE = {
    N + "model": "Disk\n", N + "serial": "S1\n", N + "state": "live\n", N + "firmware_rev": "F1\n",
    N + "cntlid": "7\n", NS + "size": "100\n", NS + "nuse": "10\n",
    NS + "queue/logical_block_size": "512\n", NS + "ana_state": "optimized\n",
}


def test_nvme(tmp_path: Path) -> None:
    fams = run_collector("nvme", write_tree(tmp_path, TREE))
    assert sample(fams, "node_nvme_info", device="nvme0", firmware_revision="F1", model="Disk",
                  serial="S1", state="live", cntlid="7") == 1
    assert sample(fams, "node_nvme_namespace_size_bytes", device="nvme0", nsid="1") == 51200
    assert sample(fams, "node_nvme_namespace_capacity_bytes", device="nvme0", nsid="1") == 51200
    assert sample(fams, "node_nvme_namespace_used_bytes", device="nvme0", nsid="1") == 5120
    assert sample(fams, "node_nvme_namespace_logical_block_size_bytes", device="nvme0", nsid="1") == 512
    assert sample(fams, "node_nvme_namespace_info", device="nvme0", nsid="1", ana_state="optimized") == 1


def test_nvme_absent(tmp_path: Path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("nvme", Paths.under(str(tmp_path)))


def test_nvme_namespace_pattern(tmp_path: Path) -> None:
    """sysfs parseNVMeDevice: nvmeNamespacePattern, searched in each entry's name: the plain
    name (nvme0n2, upstream's fixture) and the multipath one (nvme0c3n12) are namespaces,
    other entries (power, nvme0-not-a-ns) are not."""
    tree = {k.replace("nvme0c0n1", "nvme0n2"): v for k, v in TREE.items()}
    tree.update({k.replace("nvme0c0n1", "nvme0c3n12"): v for k, v in TREE.items()})
    tree[N + "power/control"] = "auto\n"
    got = samples(run_collector("nvme", write_tree(tmp_path, tree)))
    assert {dict(labels)["nsid"] for name, labels in got if name == "node_nvme_namespace_info"} == {"2", "12"}


def test_nvme_no_ana_state(tmp_path: Path) -> None:
    """parseNVMeDevice: ana_state may not exist: `unknown`."""
    tree = {k: v for k, v in TREE.items() if not k.endswith("ana_state")}
    fams = run_collector("nvme", write_tree(tmp_path, tree))
    assert sample(fams, "node_nvme_namespace_info", device="nvme0", nsid="1", ana_state="unknown") == 1


@pytest.mark.parametrize("missing", ["model", "serial", "state", "firmware_rev", "cntlid", "nvme0c0n1/size",
                                     "nvme0c0n1/nuse", "nvme0c0n1/queue/logical_block_size"])
def test_nvme_required_files(tmp_path: Path, missing: str) -> None:
    """parseNVMeDevice: the controller's attributes and a namespace's sizes must be readable."""
    tree = {k: v for k, v in TREE.items() if k != N + missing}
    with pytest.raises(CollectorError):
        run_collector("nvme", write_tree(tmp_path, tree))


def test_nvme_sizes_as_parse_uint(tmp_path: Path) -> None:
    # parseNVMeDevice: SysReadFile (trimmed), then strconv.ParseUint(x, 10, 64).
    fams = run_collector("nvme", write_tree(tmp_path, {**TREE, NS + "size": " 1099511627776\u2003\n"}))
    assert sample(fams, "node_nvme_namespace_size_bytes", device="nvme0", nsid="1") == 2**40 * 512


@pytest.mark.parametrize("text", [
    "-1\n", "+1\n", "1_0\n", "0x10\n", "\u0661\n", "18446744073709551616\n", "\n", "1\n2\n", "big\n",
])
def test_nvme_sizes_not_numbers_read_as_zero(tmp_path: Path, text: str) -> None:
    """parseNVMeDevice ignores a ParseUint error: the value stays 0."""
    fams = run_collector("nvme", write_tree(tmp_path, {**TREE, NS + "nuse": text}))
    assert sample(fams, "node_nvme_namespace_used_bytes", device="nvme0", nsid="1") == 0


def test_nvme_bytes_wrap_as_uint64(tmp_path: Path) -> None:
    """SizeBlocks * LogicalBlockSize is a uint64 product."""
    fams = run_collector("nvme", write_tree(tmp_path, {**TREE, NS + "size": f"{2**63 + 1}\n",
                                                       NS + "queue/logical_block_size": "2\n"}))
    assert sample(fams, "node_nvme_namespace_size_bytes", device="nvme0", nsid="1") == 2
