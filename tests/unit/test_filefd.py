import pytest

from pyexporter.collectors.filefd import FileNr, parse_file_nr
from pyexporter.toolkit.collector import CollectorError


def test_parse_file_nr() -> None:
    assert parse_file_nr("1024\t0\t1631329\n") == FileNr(1024.0, 1631329.0)


@pytest.mark.parametrize("text", ["", "1024\t0\n", "1024 0 1631329\n", "a\t0\tb\n"])
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_file_nr(text)
