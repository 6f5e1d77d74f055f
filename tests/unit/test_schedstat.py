import pytest

from pyexporter.collectors.schedstat import SchedstatCPU, parse_schedstat


def test_cpu_lines() -> None:
    text = (
        "version 15\ntimestamp 15819019232\n"
        "cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 2045936778163039 343796328169361 4767485306\n"
        "domain0 00000000,00000003 212499247 210112015 1861015\n"
        "cpu1 1 0 2 3 4 5 6 7 8\n"
    )
    assert parse_schedstat(text) == [
        SchedstatCPU("0", 2045936778163039, 343796328169361, 4767485306),
        SchedstatCPU("1", 6, 7, 8),
    ]


def test_empty() -> None:
    assert parse_schedstat("") == []
    assert parse_schedstat("version 15\n") == []


@pytest.mark.parametrize(
    "line",
    [
        "cpu0 1 2 3\n",
        "cpu0 a b c d e f g h i\n",
        "cpu0\t1\t0\t2\t3\t4\t5\t6\t7\t8\n",
        "cpu0 1 0 2 3 4 5 6 7\t8\n",
        "cpu0  1 0 2 3 4 5 6 7 8\n",
        "\n",
    ],
)
def test_lines_the_cpu_regexp_misses_are_skipped_as_procfs(line: str) -> None:
    # FS.Schedstat: `cpuLineRE.FindStringSubmatch(line)`, and nothing for a line it does not
    # match; the regexp wants a single space before each counter.
    text = "version 15\n" + line + "cpu1 1 0 2 3 4 5 6 7 8\n"
    assert parse_schedstat(text) == [SchedstatCPU("1", 6, 7, 8)]


def test_cpu_regexp_is_unanchored() -> None:
    assert parse_schedstat("xcpu2 1 0 2 3 4 5 6 7 8 9 extra\n") == [SchedstatCPU("2", 6, 7, 8)]


def test_counter_beyond_uint64_skips_the_cpu_as_procfs() -> None:
    # procfs's Schedstat: strconv.ParseUint(x, 10, 64) on each counter, `continue` on an error.
    text = "cpu0 1 0 2 3 4 5 18446744073709551616 7 8\ncpu1 1 0 2 3 4 5 18446744073709551615 7 8\n"
    assert parse_schedstat(text) == [SchedstatCPU("1", 2**64 - 1, 7, 8)]


def test_only_ascii_digits() -> None:
    # Go's \d is ASCII: a line with another digit does not match, and is skipped.
    assert parse_schedstat("cpu0 1 0 2 3 4 5 ٦ 7 8\n") == []
