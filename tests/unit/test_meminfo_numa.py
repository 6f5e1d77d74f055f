import pytest

from pyexporter.collectors.meminfo_numa import NumaValue, parse_node_meminfo, parse_numastat
from pyexporter.toolkit.collector import CollectorError


def test_meminfo_lines() -> None:
    text = "Node 3 MemTotal:  10 kB\nNode 3 Inactive(file):  2 kB\n\nNode 3 HugePages_Free:  4\n"
    assert parse_node_meminfo(text) == [
        NumaValue("MemTotal", "3", 10240.0, False),
        NumaValue("Inactive_file", "3", 2048.0, False),
        NumaValue("HugePages_Free", "3", 4.0, False),
    ]


def test_numastat_lines() -> None:
    assert parse_numastat("numa_hit 5\n\nlocal_node 6\n", "2") == [
        NumaValue("numa_hit_total", "2", 5.0, True),
        NumaValue("local_node_total", "2", 6.0, True),
    ]


def test_empty() -> None:
    assert parse_node_meminfo("") == []
    assert parse_numastat("", "0") == []


@pytest.mark.parametrize(
    "text", ["Node 0 MemTotal:", "Node 0 MemTotal: x kB", "Node 0 MemTotal: 1 MB", "Node 0 A: 1 kB extra"]
)
def test_meminfo_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_node_meminfo(text)


@pytest.mark.parametrize("text", ["numa_hit", "numa_hit 1 2", "numa_hit x"])
def test_numastat_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_numastat(text, "0")


def test_values_as_go_parse_float_reads_them() -> None:
    # meminfo_numa_linux.go: strconv.ParseFloat(value, 64), which takes hexadecimal floats and `_`.
    assert parse_node_meminfo("Node 0 A: 0x1p4 kB")[0].value == 16384.0
    assert parse_numastat("numa_hit 1_0", "0")[0].value == 10.0


@pytest.mark.parametrize("value", ["\u0661", "+nan", "1e400", "1__0", "0x10"])
def test_values_go_refuses(value: str) -> None:
    with pytest.raises(CollectorError):
        parse_node_meminfo(f"Node 0 MemTotal: {value} kB")
    with pytest.raises(CollectorError):
        parse_numastat(f"numa_hit {value}", "0")
