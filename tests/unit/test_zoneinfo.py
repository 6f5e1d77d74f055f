import pytest

from pyexporter.collectors.zoneinfo import parse_zoneinfo
from pyexporter.toolkit.collector import CollectorError

TEXT = """Node 0, zone      DMA
  per-node stats
      nr_active_anon 11
  pages free     5
        min      1
        protection: (0, 2039, 31932)
      nr_free_pages 5
      numa_hit     0x10
  pagesets
    cpu: 0
              high:  99
Node 1, zone   Normal
        min      017
        protection: (0, bad)
      numa_miss    nope
"""


def test_blocks_fields_and_protection() -> None:
    dma, normal = parse_zoneinfo(TEXT)
    assert (dma.node, dma.zone) == ("0", "DMA")
    # Per-node stats belong to the node's first zone; pageset `high:` is not the watermark.
    assert dma.values == {"nr_active_anon": 11, "min": 1, "nr_free_pages": 5, "numa_hit": 16}
    assert dma.protection == [0, 2039, 31932]
    assert (normal.node, normal.zone) == ("1", "Normal")
    # Go-style integer parsing: a leading 0 is octal; unparseable values are left out.
    assert normal.values == {"min": 15}
    assert normal.protection == []


def test_empty_and_truncated() -> None:
    assert [z.values for z in parse_zoneinfo("")] == [{}]
    (zone,) = parse_zoneinfo("Node 0, zone DMA\n        min")
    assert (zone.node, zone.zone, zone.values) == ("0", "DMA", {})


def test_values_outside_any_zone_are_a_collector_error() -> None:
    with pytest.raises(CollectorError):
        parse_zoneinfo("garbage\n  min 5\n")


# zoneinfo.go: each field through util.ValueParser.PInt64, strconv.ParseInt(x, 0, 64), left out when
# refused; the protection array through util.ParsePInt64s, ParseInt(x, 10, 64), kept only whole.
@pytest.mark.parametrize(("text", "value"), [
    ("0x10", 16), ("0b11", 3), ("0o17", 15), ("0_7", 7), ("1_000", 1000), ("-5", -5), ("+5", 5),
    ("9223372036854775807", 2**63 - 1),
])
def test_values_as_go(text: str, value: int) -> None:
    (zone,) = parse_zoneinfo(f"Node 0, zone DMA\n  min {text}\n")
    assert zone.values == {"min": value}


@pytest.mark.parametrize("text", ["08", "1_", "١", "9223372036854775808", "0x"])
def test_values_go_refuses_are_left_out(text: str) -> None:
    (zone,) = parse_zoneinfo(f"Node 0, zone DMA\n  min {text}\n")
    assert zone.values == {}


@pytest.mark.parametrize(("text", "protection"), [
    ("(0, +5, -1)", [0, 5, -1]), ("(0, 010)", [0, 10]), ("(0, 0x10)", []), ("(0, 1_0)", []), ("(0, ١)", []),
    ("(0, 9223372036854775808)", []),
])
def test_protection_as_go(text: str, protection: list[int]) -> None:
    (zone,) = parse_zoneinfo(f"Node 0, zone DMA\n  protection: {text}\n")
    assert zone.protection == protection


def test_node_and_zone_header_is_ascii_only() -> None:
    with pytest.raises(CollectorError):
        parse_zoneinfo("Node ١, zone DMA\n  min 5\n")
