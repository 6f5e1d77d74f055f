import pytest

from pyexporter.collectors.entropy import parse_bits
from pyexporter.toolkit.collector import CollectorError


def test_parse_bits() -> None:
    assert parse_bits("poolsize", "4096\n") == 4096


@pytest.mark.parametrize("text", ["", "lots\n", "-1\n", "12 13\n"])
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_bits("entropy_avail", text)
