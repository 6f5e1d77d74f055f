import pytest

from pyexporter.collectors.vmstat import parse_vmstat
from pyexporter.toolkit.collector import CollectorError


def test_parse_vmstat() -> None:
    assert parse_vmstat("pgpgin 7\n\noom_kill 0\n") == [("pgpgin", 7.0), ("oom_kill", 0.0)]


def test_empty() -> None:
    assert parse_vmstat("") == []


@pytest.mark.parametrize("text", ["pgpgin\n", "pgpgin many\n"])
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_vmstat(text)
