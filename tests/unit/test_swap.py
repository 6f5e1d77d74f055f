import pytest

from pyexporter.collectors.swap import Swap, _go_int_times_1024, parse_swap_line, parse_swaps
from pyexporter.toolkit.collector import CollectorError

HEADER = b"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"


def test_kernel_layout() -> None:
    """procfs parseSwaps: the header skipped, one Swap per later line."""
    data = HEADER + b"/dev/zram0                              partition\t8388604\t\t76\t\t100\n" \
        b"/swapfile                               file\t\t2097148\t\t0\t\t-2\n"
    assert parse_swaps(data) == [
        Swap("/dev/zram0", "partition", 8388604, 76, 100),
        Swap("/swapfile", "file", 2097148, 0, -2),
    ]


@pytest.mark.parametrize("data", [b"", HEADER, HEADER.rstrip(b"\n"), b"anything at all\n"])
def test_header_only_or_empty(data: bytes) -> None:
    """parseSwaps: the first line is skipped whatever it holds; nothing after it is no swaps."""
    assert parse_swaps(data) == []


def test_last_line_without_newline_and_crlf() -> None:
    """bufio.ScanLines: the last line needs no newline; one \\r before a newline is dropped."""
    data = HEADER + b"/dev/sda2 partition 100 1 -2\r\n/dev/sdb2 partition 200 2 -3"
    assert parse_swaps(data) == [Swap("/dev/sda2", "partition", 100, 1, -2), Swap("/dev/sdb2", "partition", 200, 2, -3)]


def test_extra_fields_ignored() -> None:
    """parseSwapString reads fields 0 to 4 only."""
    assert parse_swap_line("/dev/sda2 partition 100 1 -2 extra 7") == Swap("/dev/sda2", "partition", 100, 1, -2)


def test_go_fields_separators() -> None:
    """strings.Fields splits on Unicode white space (NBSP included) but not on \\x1c."""
    assert parse_swap_line("/dev/sda2\u00a0partition\u2003100 1 -2") == Swap("/dev/sda2", "partition", 100, 1, -2)
    assert parse_swap_line("/dev/sda2\x1cx partition 100 1 -2").filename == "/dev/sda2\x1cx"


@pytest.mark.parametrize("text", ["+100", "0100"])
def test_atoi_accepts(text: str) -> None:
    """strconv.Atoi: a sign, leading zeros (base 10, not octal)."""
    assert parse_swap_line(f"/dev/sda2 partition {text} 1 -2").size_kib == 100


@pytest.mark.parametrize("text", ["1_000", "0x10", "1.5", "", "9223372036854775808", "٣", "-"])
def test_atoi_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match="invalid swap size"):
        parse_swap_line(f"/dev/sda2 partition {text or '?'} 1 -2")


@pytest.mark.parametrize("line", [b"", b"   ", b"/dev/sda2 partition 100 1", b"garbage"])
def test_too_few_fields(line: bytes) -> None:
    """parseSwapString: fewer than five fields, a blank line included, fails the whole file."""
    with pytest.raises(CollectorError, match="too few fields"):
        parse_swaps(HEADER + line + b"\n/dev/sdb2 partition 200 2 -3\n")


def test_garbage_used_and_priority() -> None:
    with pytest.raises(CollectorError, match="invalid swap used"):
        parse_swaps(HEADER + b"/dev/sda2 partition 100 lots -2\n")
    with pytest.raises(CollectorError, match="invalid swap priority"):
        parse_swaps(HEADER + b"/dev/sda2 partition 100 1 high\n")


def test_line_too_long() -> None:
    """bufio.Scanner's ErrTooLong for a line of 64 KiB or more (even the header)."""
    long_name = b"/x" * 40000
    with pytest.raises(CollectorError, match="token too long"):
        parse_swaps(HEADER + long_name + b" file 1 1 1\n")
    with pytest.raises(CollectorError, match="token too long"):
        parse_swaps(b"H" * 65536 + b"\n")
    assert len(parse_swaps(HEADER + b"/" + b"x" * 65000 + b" file 1 1 1\n")) == 1


def test_invalid_utf8_name_kept() -> None:
    (swap,) = parse_swaps(HEADER + b"/swap\xff file 1 1 1\n")
    assert swap.filename.encode("utf-8", "surrogateescape") == b"/swap\xff"


def test_kib_to_bytes_wraps_as_go_int() -> None:
    """swap_linux.go: float64(swap.Size*1024), an int64 product."""
    assert _go_int_times_1024(8388604) == 8589930496
    assert _go_int_times_1024(-1) == -1024
    assert _go_int_times_1024(2**63 - 1) == -1024
    assert _go_int_times_1024(2**53) == -(2**63)
    assert _go_int_times_1024(2**54) == 0
