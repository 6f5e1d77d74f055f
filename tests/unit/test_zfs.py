import pytest

from pyexporter.collectors.zfs import KstatValue, parse_kstat, parse_objset, parse_pool_io
from pyexporter.toolkit.collector import CollectorError

KSTAT = """6 1 0x01 4 4368 5266997922 97951858082072
name                            type data
hits                            4    8772612
memory_available_bytes          3    -5
small                           1    7
label                           7    text
"""


def test_parse_kstat() -> None:
    assert parse_kstat(KSTAT, "arcstats") == [
        KstatValue("hits", 8772612), KstatValue("memory_available_bytes", -5),
    ]


def test_parse_pool_io() -> None:
    text = "12 3 0x00 1 80 1 2\n" + " ".join(
        ["nread", "nwritten", "reads", "writes", "wtime", "wlentime", "wupdate", "rtime",
         "rlentime", "rupdate", "wcnt", "rcnt"]
    ) + "\n" + " ".join(str(i) for i in range(12)) + "\n"
    values = parse_pool_io(text)
    assert values[0] == KstatValue("nread", 0) and values[-1] == KstatValue("rcnt", 11)
    assert parse_pool_io("") == []


def test_parse_objset_keeps_spaces_in_dataset() -> None:
    text = "23 1 0x01\nname type data\ndataset_name 7    pool/a  b\nwrites 4 5\nother 3 9\n"
    assert parse_objset(text, "x") == ("pool/a  b", [KstatValue("writes", 5)])


@pytest.mark.parametrize(
    "text", ["", "6 1 0x01\nhits 4 5\n", "name type data\nhits 4 many\n", "name type data\nhits 4 -1\n"]
)
def test_malformed_kstat(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_kstat(text, "arcstats")


# zfs_linux.go: strconv.ParseUint(x, 10, 64) for KSTAT_DATA_UINT64 (4), pool io and objset rows,
# strconv.ParseInt(x, 10, 64) for KSTAT_DATA_INT64 (3).
@pytest.mark.parametrize(("kstat_type", "text", "value"), [
    ("4", "18446744073709551615", 2**64 - 1), ("4", "007", 7),
    ("3", "-9223372036854775808", -(2**63)), ("3", "+5", 5), ("3", "9223372036854775807", 2**63 - 1),
])
def test_kstat_numbers_as_go(kstat_type: str, text: str, value: int) -> None:
    assert parse_kstat(f"name type data\nx {kstat_type} {text}\n", "arcstats") == [KstatValue("x", value)]


@pytest.mark.parametrize(("kstat_type", "text"), [
    ("4", "+5"), ("4", "-0"), ("4", "18446744073709551616"), ("4", "1_000"), ("4", "١"), ("4", "0x10"),
    ("3", "9223372036854775808"), ("3", "1_000"), ("3", "٣"),
])
def test_kstat_numbers_go_refuses(kstat_type: str, text: str) -> None:
    kind = "signed" if kstat_type == "3" else "unsigned"
    with pytest.raises(CollectorError, match=rf'expected {kind} integer value for "kstat.zfs.misc.arcstats.x"'):
        parse_kstat(f"name type data\nx {kstat_type} {text}\n", "arcstats")


def test_pool_io_and_objset_refuse_non_uint64() -> None:
    names = "nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt"
    with pytest.raises(CollectorError, match=r"kstat\.zfs\.misc\.io\.wlentime.*ParseUint"):
        parse_pool_io(f"{names}\n1 2 3 4 5 -6 7 8 9 10 11 12\n")
    with pytest.raises(CollectorError, match=r"kstat\.zfs\.misc\.objset\.writes"):
        parse_objset("name type data\nwrites 4 +5\n", "x")
