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
