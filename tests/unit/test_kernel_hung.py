import pytest

from pyexporter.collectors.kernel_hung import parse_hung_task_count
from pyexporter.toolkit.collector import CollectorError


def test_count() -> None:
    assert parse_hung_task_count("42\n") == 42


@pytest.mark.parametrize("text", ["", "\n", "-1", "abc", "1 2"])
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_hung_task_count(text)
