import pytest

from pyexporter.collectors.fibrechannel import read_host
from pyexporter.toolkit.numbers import NumberError


def _host(tmp_path, value: str) -> str:
    (tmp_path / "host0" / "statistics").mkdir(parents=True)
    (tmp_path / "host0" / "statistics" / "rx_frames").write_text(value)
    return str(tmp_path / "host0")


@pytest.mark.parametrize(
    ("text", "value"),
    [("0x13\n", 19), ("0xffffffffffffffff\n", 2**64 - 1), ("13\n", 13), ("013\n", 11), ("0b11\n", 3),
     ("0x1_0\n", 16)],
)
def test_counters_are_parse_uint_base_0(tmp_path, text: str, value: int) -> None:
    # procfs's ValueParser.PUInt64 is strconv.ParseUint(x, 0, 64): the prefix picks the base, and
    # a bare number is decimal (int(x, 16) read "13" as 19).
    assert read_host(_host(tmp_path, text)).counters["rx_frames"] == value


@pytest.mark.parametrize("text", ["", "nope\n", "zz\n", "-0x1\n", "0x10000000000000000\n", "0x\n", "08\n"])
def test_malformed_counters_are_refused(tmp_path, text: str) -> None:
    with pytest.raises(NumberError):
        read_host(_host(tmp_path, text))


def test_absent_counters_are_left_out(tmp_path) -> None:
    (tmp_path / "host0").mkdir()
    assert read_host(str(tmp_path / "host0")).counters == {}
