import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.numbers import NumberError
from tests.helpers import run_collector, samples


def _tree(tmp_path, available: str) -> Paths:
    random = tmp_path / "sys" / "kernel" / "random"
    random.mkdir(parents=True)
    (random / "entropy_avail").write_text(available)
    (random / "poolsize").write_text("4096\n")
    return Paths(procfs=str(tmp_path))


def test_values_are_trimmed(tmp_path) -> None:
    assert samples(run_collector("entropy", _tree(tmp_path, " 256\n"))) == {
        ("node_entropy_available_bits", frozenset()): 256.0,
        ("node_entropy_pool_size_bits", frozenset()): 4096.0,
    }


@pytest.mark.parametrize("text", ["", "lots\n", "-1\n", "12 13\n", "+256\n", "2_56\n", "٢٥٦\n",
                                  "18446744073709551616\n"])
def test_malformed_is_refused_as_read_uint_from_file(tmp_path, text: str) -> None:
    # util.ReadUintFromFile: strconv.ParseUint(TrimSpace(text), 10, 64) refuses a sign, `_`,
    # non-ASCII digits and what overflows uint64, all of which Python's int() took or would take.
    with pytest.raises(NumberError):
        run_collector("entropy", _tree(tmp_path, text))
