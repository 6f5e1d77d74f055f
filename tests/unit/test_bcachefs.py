import pytest

from pyexporter.collectors.bcachefs import (
    parse_btree_write_stats,
    parse_compression_stats,
    parse_counter,
    parse_errors,
    parse_human_bytes,
    parse_io_done,
    parse_io_errors,
)
from pyexporter.toolkit.collector import CollectorError


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
