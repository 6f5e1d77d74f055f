from pathlib import Path

import pytest

from pyexporter.collectors.drbd import DrbdValue, parse_drbd
from pyexporter.toolkit.numbers import NumberError
from tests.helpers import run_collector, sample, write_tree


def test_parse_drbd_devices_and_pairs() -> None:
    text = "version: 8.4.3 (api:1/proto:86-101)\n 1: cs:Connected ro:Primary/Secondary\n 10: ns:5 wo:d\n"
    assert parse_drbd(text) == [
        DrbdValue("unknown", "version", ""),
        DrbdValue("drbd1", "cs", "Connected"),
        DrbdValue("drbd1", "ro", "Primary/Secondary"),
        DrbdValue("drbd10", "ns", "5"),
        DrbdValue("drbd10", "wo", "d"),
    ]


def test_parse_drbd_before_any_device_is_unknown() -> None:
    assert parse_drbd("ns:1") == [DrbdValue("unknown", "ns", "1")]


def test_parse_drbd_empty_and_garbage() -> None:
    assert parse_drbd("") == []
    assert parse_drbd("a:b:c r----- (api:1/proto:86-101)") == []
    assert parse_drbd("x:") == [DrbdValue("unknown", "x", "")]


@pytest.mark.parametrize(
    ("word", "device"),
    [("007:", "drbd7"), ("+1:", "unknown"), ("1_0:", "unknown"), ("٣:", "unknown"),
     ("18446744073709551616:", "unknown")],
)
def test_device_numbers_are_go_parse_uint(word: str, device: str) -> None:
    # node_exporter starts a device on a word whose key strconv.ParseUint(x, 10, 64) reads; any
    # other `key:` word is an ordinary key (isdigit() took the Arabic digit, int() the rest).
    assert parse_drbd(f"{word} ns:1")[-1] == DrbdValue(device, "ns", "1")


@pytest.mark.parametrize("value", ["1e400", "٣", "+nan", "-nan"])
def test_numerical_values_are_go_parse_float(tmp_path: Path, value: str) -> None:
    # strconv.ParseFloat refuses the overflow, the Arabic digit and a signed NaN; float() took them.
    with pytest.raises(NumberError):
        run_collector("drbd", write_tree(tmp_path, {"proc/drbd": f" 0: ns:{value}\n"}))


def test_numerical_values_take_go_float_forms(tmp_path: Path) -> None:
    families = run_collector("drbd", write_tree(tmp_path, {"proc/drbd": " 0: ns:0x1p4 lo:1_0\n"}))
    assert sample(families, "node_drbd_network_sent_bytes_total", device="drbd0") == 16 * 1024
    assert sample(families, "node_drbd_local_pending", device="drbd0") == 10
