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
