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


# procfs's NewXfrmStat: strconv.Atoi(value).
@pytest.mark.parametrize(("text", "value"), [("+5", 5), ("-5", -5), ("007", 7), ("9223372036854775807", 2**63 - 1)])
def test_values_as_atoi(text: str, value: int) -> None:
    assert parse_xfrm_stat(f"XfrmInError {text}\n") == {"XfrmInError": value}


@pytest.mark.parametrize("text", ["1_000", "0x10", "١", "9223372036854775808", "1.0"])
def test_values_atoi_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
        parse_xfrm_stat(f"XfrmInError {text}\n")
