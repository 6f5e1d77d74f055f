from pathlib import Path

import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import run_collector, samples


def _tree(tmp_path: Path, available: str) -> Paths:
    random = tmp_path / "sys" / "kernel" / "random"
    random.mkdir(parents=True)
    (random / "entropy_avail").write_text(available)
    (random / "poolsize").write_text("4096\n")
    return Paths(procfs=str(tmp_path))


def test_values_are_trimmed(tmp_path: Path) -> None:
    assert samples(run_collector("entropy", _tree(tmp_path, " 256\n"))) == {
        ("node_entropy_available_bits", frozenset()): 256.0,
        ("node_entropy_pool_size_bits", frozenset()): 4096.0,
    }


@pytest.mark.parametrize("text", ["", "lots\n", "-1\n", "12 13\n", "+256\n", "2_56\n", "٢٥٦\n",
                                  "18446744073709551616\n"])
def test_malformed_is_refused_as_read_uint_from_file(tmp_path: Path, text: str) -> None:
    # util.ReadUintFromFile: strconv.ParseUint(TrimSpace(text), 10, 64) refuses a sign, `_`,
    # non-ASCII digits and what overflows uint64, all of which Python's int() took or would take.
    with pytest.raises(CollectorError, match="entropy_avail"):
        run_collector("entropy", _tree(tmp_path, text))


@pytest.mark.parametrize("name", ["urandom_min_reseed_secs", "write_wakeup_threshold", "read_wakeup_threshold"])
def test_other_kernel_random_files_are_optional(tmp_path: Path, name: str) -> None:
    """procfs FS.KernelRandom skips a missing file (os.IsNotExist) and reads the ones present."""
    paths = _tree(tmp_path, "256\n")
    (tmp_path / "sys" / "kernel" / "random" / name).write_text("64\n")
    assert samples(run_collector("entropy", paths))[("node_entropy_pool_size_bits", frozenset())] == 4096.0


@pytest.mark.parametrize("name", ["urandom_min_reseed_secs", "write_wakeup_threshold", "read_wakeup_threshold"])
def test_garbage_in_an_unreported_file_fails_as_kernel_random(tmp_path: Path, name: str) -> None:
    """procfs FS.KernelRandom returns the ReadUintFromFile error of any of its five files, so
    node_exporter's entropy collector fails on a garbage value it would not even report."""
    paths = _tree(tmp_path, "256\n")
    (tmp_path / "sys" / "kernel" / "random" / name).write_text("soon\n")
    with pytest.raises(CollectorError, match=name):
        run_collector("entropy", paths)


def test_poolsize_missing(tmp_path: Path) -> None:
    """entropyCollector.Update: `couldn't get entropy poolsize` when KernelRandom found no poolsize."""
    paths = _tree(tmp_path, "256\n")
    (tmp_path / "sys" / "kernel" / "random" / "poolsize").unlink()
    with pytest.raises(CollectorError, match="poolsize"):
        run_collector("entropy", paths)
