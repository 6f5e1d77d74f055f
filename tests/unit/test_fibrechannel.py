from pathlib import Path

import pytest

from pyexporter.collectors.fibrechannel import read_host
from pyexporter.toolkit.collector import CollectorError


def _host(tmp_path: Path, value: str) -> str:
    (tmp_path / "host0" / "statistics").mkdir(parents=True)
    (tmp_path / "host0" / "statistics" / "rx_frames").write_text(value)
    return str(tmp_path / "host0")


@pytest.mark.parametrize(
    ("text", "value"),
    [("0x13\n", 19), ("0xffffffffffffffff\n", 2**64 - 1), ("13\n", 13), ("013\n", 11), ("0b11\n", 3),
     ("0x1_0\n", 16)],
)
def test_counters_are_parse_uint_base_0(tmp_path: Path, text: str, value: int) -> None:
    # procfs's ValueParser.PUInt64 is strconv.ParseUint(x, 0, 64): the prefix picks the base, and
    # a bare number is decimal (int(x, 16) read "13" as 19).
    assert read_host(_host(tmp_path, text)).counters["rx_frames"] == value


@pytest.mark.parametrize("text", ["", "nope\n", "zz\n", "-0x1\n", "0x10000000000000000\n", "0x\n", "08\n"])
def test_malformed_counters_are_refused(tmp_path: Path, text: str) -> None:
    # parseFibreChannelStatistics: vp.Err() fails the host.
    with pytest.raises(CollectorError):
        read_host(_host(tmp_path, text))


def test_absent_counters_are_left_out(tmp_path: Path) -> None:
    """parseFibreChannelStatistics reads what statistics/ lists; absent counters stay nil."""
    (tmp_path / "host0" / "statistics").mkdir(parents=True)
    assert read_host(str(tmp_path / "host0")).counters == {}


def test_missing_statistics_directory(tmp_path: Path) -> None:
    """parseFibreChannelStatistics: os.ReadDir(statistics) fails; Update turns the
    not-exist error into ErrNoData."""
    (tmp_path / "host0").mkdir()
    with pytest.raises(FileNotFoundError):
        read_host(str(tmp_path / "host0"))
