import pytest

from pyexporter.collectors.slabinfo import Slab, parse_slabinfo
from pyexporter.toolkit.collector import CollectorError

HEADER = (
    "slabinfo - version: 2.1\n"
    "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
    "<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n"
)


def test_parse() -> None:
    line = "kmem_cache   320    320    256   32    2 : tunables    0    0    0 : slabdata     10     10      0"
    text = HEADER + line + "\n"
    assert parse_slabinfo(text) == [Slab("kmem_cache", 320, 320, 256, 32, 2)]


def test_header_only_and_empty() -> None:
    assert parse_slabinfo(HEADER) == []
    assert parse_slabinfo("") == []


@pytest.mark.parametrize(
    "line",
    [
        "kmem_cache 320 320 256 32 2 : tunables 0 0 0 : slabdata 10 10",
        "kmem_cache 320 x 256 32 2 : tunables 0 0 0 : slabdata 10 10 0",
        "garbage",
    ],
)
def test_garbage(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_slabinfo(HEADER + line + "\n")


# procfs's parseV21SlabEntry: strconv.ParseInt(x, 10, 64) on every count, tunable and slabdata field.
@pytest.mark.parametrize(("position", "text"), [(1, "-5"), (3, "+256"), (15, "007")])
def test_numbers_go_accepts(position: int, text: str) -> None:
    fields = "kmem_cache 320 320 256 32 2 : tunables 0 0 0 : slabdata 10 10 0".split()
    fields[position] = text
    assert len(parse_slabinfo(HEADER + " ".join(fields) + "\n")) == 1


@pytest.mark.parametrize(("position", "text"), [(1, "١"), (2, "1_000"), (8, "9223372036854775808"), (15, "0x1")])
def test_numbers_go_refuses(position: int, text: str) -> None:
    fields = "kmem_cache 320 320 256 32 2 : tunables 0 0 0 : slabdata 10 10 0".split()
    fields[position] = text
    with pytest.raises(CollectorError, match=r"strconv\.ParseInt"):
        parse_slabinfo(HEADER + " ".join(fields) + "\n")
