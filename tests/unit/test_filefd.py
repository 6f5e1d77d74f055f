import pytest

from pyexporter.collectors.filefd import FileNr, parse_file_nr
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError


def test_parse_file_nr() -> None:
    assert parse_file_nr("1024\t0\t1631329\n") == FileNr(1024.0, 1631329.0)


@pytest.mark.parametrize("text", ["", "1024\t0\n", "1024 0 1631329\n", "a\t0\tb\n"])
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_file_nr(text)


@pytest.mark.parametrize("text", ["1024\t0\t1e400\n", "٣\t0\t5\n", "1024 \t0\t5\n", "+nan\t0\t5\n"])
def test_values_are_go_parse_float(text: str) -> None:
    # strconv.ParseFloat refuses the overflow, the Arabic digit, the blank and the signed NaN
    # that Python's float() took.
    with pytest.raises(NumberError):
        parse_file_nr(text)


def test_go_float_forms_are_accepted() -> None:
    assert parse_file_nr("0x1p4\t0\t1_000\n") == FileNr(16.0, 1000.0)
