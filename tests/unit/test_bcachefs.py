from pathlib import Path

import pytest

from pyexporter.collectors.bcachefs import (
    parse_btree_write_stats,
    parse_compression_stats,
    parse_counter,
    parse_errors,
    parse_human_bytes,
    parse_io_done,
    parse_io_errors,
    read_device,
)
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError


def test_human_bytes() -> None:
    assert parse_human_bytes("720") == 720
    assert parse_human_bytes("2.05G") == int(2.05 * 1024**3)
    assert parse_human_bytes("62.5k") == 64000
    for bad in ("", "G", "abc"):
        with pytest.raises(CollectorError):
            parse_human_bytes(bad)


def test_tables() -> None:
    assert parse_compression_stats("hdr\nlz4  1k  2k  1k\nshort\n") == {"lz4": (1024, 2048)}
    assert parse_btree_write_stats("   nr size\ninitial: 3 100k\n") == {"initial": (3, 102400)}
    assert parse_errors("a 2 17\nb 5\nc\n") == {"a": 2, "b": 5}


def test_counter() -> None:
    assert parse_counter("since mount: 3\nsince filesystem creation: 1.5k\n") == 1536
    with pytest.raises(CollectorError):
        parse_counter("garbage\n")


def test_io_done_and_errors() -> None:
    assert parse_io_done("read:\nsb : 1\nwrite:\nuser: 2\n") == {"read": {"sb": 1}, "write": {"user": 2}}
    text = "IO errors since filesystem creation\n  read: 3\n  write:1\nIO errors since 8 y ago\n  read: 9\n"
    assert parse_io_errors(text) == {"read": 3, "write": 1}
    with pytest.raises(CollectorError):
        parse_io_done("read:\nsb: x\n")


@pytest.mark.parametrize(("text", "value"), [(" 1k\n", 1024), ("0x1p4", 16), ("1_0K", 10240), ("2 k", 2048)])
def test_human_bytes_are_trimmed_go_floats(text: str, value: int) -> None:
    # parseHumanReadableBytes trims, cuts a unit, trims again and hands the rest to ParseFloat.
    assert parse_human_bytes(text) == value


@pytest.mark.parametrize("text", ["1e400", "٣k", "+nan", "1,5k"])
def test_human_bytes_refuse_what_parse_float_refuses(text: str) -> None:
    with pytest.raises(NumberError):
        parse_human_bytes(text)


@pytest.mark.parametrize("count", ["+2", "-2", "2_0", "٢", "18446744073709551616"])
def test_counts_are_go_parse_uint(count: str) -> None:
    # procfs reads every count with strconv.ParseUint(x, 10, 64); Python's int() took the first four.
    for parse, text in (
        (parse_errors, f"a {count}\n"),
        (parse_btree_write_stats, f"hdr\ninitial: {count} 1k\n"),
        (parse_io_done, f"read:\nsb: {count}\n"),
        (parse_io_errors, f"IO errors since filesystem creation\n  read: {count}\n"),
    ):
        with pytest.raises(NumberError):
            parse(text)


def test_columns_procfs_parses_but_node_exporter_does_not_export_must_parse() -> None:
    # procfs reads the error timestamp (ParseUint) and the average extent size (human bytes).
    with pytest.raises(NumberError):
        parse_errors("a 2 yesterday\n")
    with pytest.raises(NumberError):
        parse_compression_stats("hdr\nlz4 1k 2k big\n")
    assert parse_compression_stats("hdr\nlz4 1k 2k 1k extra\n") == {"lz4": (1024, 2048)}


def test_device_numbers_are_read_uint_file_or_zero(tmp_path: Path) -> None:
    # procfs's readUintFile: absent means 0, present must be a trimmed base-10 uint64.
    (tmp_path / "nbuckets").write_text(" 10\n")
    dev = read_device(str(tmp_path))
    assert (dev.buckets, dev.durability) == (10, 0)
    (tmp_path / "durability").write_text("+1\n")
    with pytest.raises(NumberError):
        read_device(str(tmp_path))
