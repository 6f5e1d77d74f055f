import pytest

from pyexporter.collectors.zoneinfo import parse_zoneinfo

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
    # Go-style integer parsing: a leading 0 is octal; a value ParseInt refuses is 0.
    assert normal.values == {"min": 15, "numa_miss": 0}
    assert normal.protection == []


def test_empty_and_truncated() -> None:
    assert [z.values for z in parse_zoneinfo("")] == [{}]
    (zone,) = parse_zoneinfo("Node 0, zone DMA\n        min")
    assert (zone.node, zone.zone, zone.values) == ("0", "DMA", {})


def test_values_outside_any_zone_have_empty_node_and_zone() -> None:
    (zone,) = parse_zoneinfo("garbage\n  min 5\n")
    assert (zone.node, zone.zone, zone.values) == ("", "", {"min": 5})


@pytest.mark.parametrize(
    "header",
    ["Node abc, zone   DMA", "Node\t0,\tzone\tDMA", "Node 0,\tzone DMA", "Node 0, zone\vDMA", "Node 0, zone"],
)
def test_header_the_regexp_misses_leaves_node_and_zone_empty(header: str) -> None:
    # parseZoneinfo cuts blocks at "\nNode" whatever follows; a block whose header nodeZoneRE
    # does not match keeps Node and Zone empty, and its values are kept all the same. Go's \s
    # has no \v.
    first, second = parse_zoneinfo(header + "\n  min 5\n  protection: (0, 7)\nNode 1, zone Normal\n  min 6\n")
    assert (first.node, first.zone, first.values, first.protection) == ("", "", {"min": 5}, [0, 7])
    assert (second.node, second.zone, second.values) == ("1", "Normal", {"min": 6})


def test_tab_separated_values_are_read() -> None:
    (zone,) = parse_zoneinfo("Node 0, zone DMA\n\tmin\t5\n\tprotection:\t(0,\t7)\n")
    # strings.Fields splits at the tab; the protection array is split at ", " only.
    assert (zone.values, zone.protection) == ({"min": 5}, [])


# zoneinfo.go: each field through util.ValueParser.PInt64, strconv.ParseInt(x, 0, 64), 0 when
# refused; the protection array through util.ParsePInt64s, ParseInt(x, 10, 64), kept only whole.
@pytest.mark.parametrize(("text", "value"), [
    ("0x10", 16), ("0b11", 3), ("0o17", 15), ("0_7", 7), ("1_000", 1000), ("-5", -5), ("+5", 5),
    ("9223372036854775807", 2**63 - 1),
])
def test_values_as_go(text: str, value: int) -> None:
    (zone,) = parse_zoneinfo(f"Node 0, zone DMA\n  min {text}\n")
    assert zone.values == {"min": value}


@pytest.mark.parametrize("text", ["08", "1_", "١", "9223372036854775808", "0x", "abc"])
def test_values_go_refuses_are_zero(text: str) -> None:
    # ValueParser.PInt64 returns a pointer to what int64() gave back, 0 on an error, and
    # parseZoneinfo never checks Err(): node_exporter reports the field as 0.
    (zone,) = parse_zoneinfo(f"Node 0, zone DMA\n  min {text}\n")
    assert zone.values == {"min": 0}


@pytest.mark.parametrize(("text", "protection"), [
    ("(0, +5, -1)", [0, 5, -1]), ("(0, 010)", [0, 10]), ("(0, 0x10)", []), ("(0, 1_0)", []), ("(0, ١)", []),
    ("(0, 9223372036854775808)", []),
])
def test_protection_as_go(text: str, protection: list[int]) -> None:
    (zone,) = parse_zoneinfo(f"Node 0, zone DMA\n  protection: {text}\n")
    assert zone.protection == protection


def test_node_and_zone_header_is_ascii_only() -> None:
    (zone,) = parse_zoneinfo("Node ١, zone DMA\n  min 5\n")
    assert (zone.node, zone.zone) == ("", "")
    (zone,) = parse_zoneinfo("Node 0, zone DMAé\n  min 5\n")
    assert (zone.node, zone.zone) == ("0", "DMA")


def test_a_long_run_of_digits_is_searched_once() -> None:
    """nodeZoneRE searched from the start of a run of digits only: a 100 000-digit line (quadratic
    for Python's backtracking from every digit) is skipped as any line without a header."""
    zones = parse_zoneinfo("Node 0, zone   DMA\n  pages free     3952\n" + "1" * 100_000 + "\n")
    assert [(zone.node, zone.zone) for zone in zones] == [("0", "DMA")]
