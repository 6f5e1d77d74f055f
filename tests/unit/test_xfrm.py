import pytest

from pyexporter.collectors.xfrm import XFRM_COUNTERS, parse_xfrm_stat
from pyexporter.toolkit.collector import CollectorError


def test_parse_xfrm_stat() -> None:
    assert parse_xfrm_stat("XfrmInError   1\nXfrmAcquireError\t24532\n\n") == {
        "XfrmInError": 1,
        "XfrmAcquireError": 24532,
    }


def test_parse_xfrm_stat_empty() -> None:
    assert parse_xfrm_stat("") == {}


@pytest.mark.parametrize("text", ["XfrmInError\n", "XfrmInError 1 2\n", "XfrmInError x\n"])
def test_parse_xfrm_stat_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_xfrm_stat(text)


def test_every_counter_is_named_once() -> None:
    assert len(XFRM_COUNTERS) == 28
    assert len({key for key, _, _ in XFRM_COUNTERS}) == 28
