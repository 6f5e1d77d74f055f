import pytest

from pyexporter.collectors.fibrechannel import parse_hex_counter
from pyexporter.toolkit.collector import CollectorError


def test_hex_counter() -> None:
    assert parse_hex_counter("0x13") == 19
    assert parse_hex_counter("0xffffffffffffffff") == 2**64 - 1
    for bad in ("", "nope"):
        with pytest.raises(CollectorError):
            parse_hex_counter(bad)
