import pytest

from pyexporter.collectors.kernel_hung import parse_hung_task_count
from pyexporter.toolkit.collector import CollectorError


def test_count() -> None:
    assert parse_hung_task_count("42\n") == 42
    # procfs: strconv.ParseUint(strings.TrimSpace(text), 10, 64).
    assert parse_hung_task_count(" 18446744073709551615\u2003\n") == 2**64 - 1


@pytest.mark.parametrize("text", [
    "", "\n", "-1", "abc", "1 2", "+1", "1_000", "0x10", "\u00b2", "\u0661",
    "18446744073709551616", "\x1c1\n", "1\n2\n",
])
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_hung_task_count(text)
