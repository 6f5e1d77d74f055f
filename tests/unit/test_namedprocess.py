import pytest

from pyexporter.collectors.namedprocess import (
    ProcIO,
    ProcStatus,
    parse_io,
    parse_status,
)
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.procpid import ProcStat, parse_boot_time, parse_stat

STAT = (
    b"1 (systemd) S 0 1 1 0 -1 4194560 9061 9416027 94 2620 36 98 54406 13885 20 0 1 0 29 109604864 2507 "
    b"18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 0 0 0\n"
)

STATUS = b"""Name:\tpython3
Umask:\t0022
State:\tS (sleeping)
Tgid:\t4242
VmPeak:\t   30000 kB
VmSize:\t   29000 kB
VmRSS:\t   12000 kB
VmSwap:\t     256 kB
Threads:\t3
Cpus_allowed_list:\t0-1
voluntary_ctxt_switches:\t150
nonvoluntary_ctxt_switches:\t7
"""

KTHREAD_STATUS = (
    b"Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\nvoluntary_ctxt_switches:\t9\nnonvoluntary_ctxt_switches:\t0\n"
)

IO = b"""rchar: 323934931
wchar: 323929600
syscr: 632687
syscw: 632675
read_bytes: 4096
write_bytes: 323932160
cancelled_write_bytes: 8192
"""


def test_stat() -> None:
    assert parse_stat(STAT) == ProcStat(
        comm="systemd", state="S", minflt=9061, majflt=94, utime=36, stime=98, num_threads=1,
        starttime=29, vsize=109604864, rss=2507,
    )


def test_stat_comm_with_spaces_and_parentheses() -> None:
    text = b"7 (a (b) c) R 1 7 7 0 -1 0 11 0 2 0 5 6 0 0 20 0 12 0 290 4096 3" + b" 0" * 20 + b"\n"
    stat = parse_stat(text)
    assert (stat.comm, stat.state, stat.minflt, stat.majflt, stat.utime, stat.stime) == ("a (b) c", "R", 11, 2, 5, 6)
    assert (stat.num_threads, stat.starttime, stat.vsize, stat.rss) == (12, 290, 4096, 3)


def test_stat_comm_not_utf8() -> None:
    # Kept as read (a lone surrogate for the stray byte); the exposition serves it as U+FFFD.
    assert parse_stat(b"7 (caf\xe9) S " + b"0 " * 41 + b"\n").comm == "caf\udce9"


@pytest.mark.parametrize(
    "text",
    [b"", b"1 systemd S 0", b"1 (systemd) S 0 1 1", STAT.replace(b" 2507 ", b" x "), b"1 )systemd( S" + b" 0" * 30],
)
def test_malformed_stat(text: bytes) -> None:
    with pytest.raises(CollectorError):
        parse_stat(text)


def test_status() -> None:
    assert parse_status(STATUS) == ProcStatus(256 * 1024, 150, 7)


def test_status_of_kernel_thread_has_no_swap_line() -> None:
    assert parse_status(KTHREAD_STATUS) == ProcStatus(0, 9, 0)


def test_status_missing_or_garbage_switches() -> None:
    assert parse_status(b"Name:\tx\nVmSwap:\t1 kB\n") == ProcStatus(1024, None, None)
    assert parse_status(b"voluntary_ctxt_switches:\tmany\nnonvoluntary_ctxt_switches:\n") == ProcStatus(0, None, None)
    assert parse_status(b"") == ProcStatus(0, None, None)


def test_status_field_on_first_line_and_without_newline() -> None:
    assert parse_status(b"voluntary_ctxt_switches:\t3\nnonvoluntary_ctxt_switches:\t4") == ProcStatus(0, 3, 4)


def test_io() -> None:
    # storage bytes (read_bytes, write_bytes), not rchar/wchar, and never cancelled_write_bytes
    assert parse_io(IO) == ProcIO(4096, 323932160)


def test_io_missing_fields() -> None:
    assert parse_io(b"rchar: 1\nwchar: 2\n") == ProcIO(None, None)
    assert parse_io(b"cancelled_write_bytes: 5\nread_bytes: 1\n") == ProcIO(1, None)


def test_boot_time() -> None:
    assert parse_boot_time("cpu  1 2 3\nintr 0\nbtime 1700000000\nprocesses 5\n") == 1700000000


@pytest.mark.parametrize("text", ["", "cpu 1 2 3\n", "btime soon\n", "btime\n"])
def test_malformed_boot_time(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_boot_time(text)


def _stat_with(**fields: bytes) -> bytes:
    """STAT with some fields (after the comm, 0-based) replaced."""
    head, _, rest = STAT.partition(b") ")
    values = rest.split()
    for index, value in fields.items():
        values[int(index[1:])] = value
    return head + b") " + b" ".join(values) + b"\n"


@pytest.mark.parametrize(("field", "text", "value"), [
    # procfs's fmt.Fscan: strconv.ParseUint(x, 0, 64) for minflt, utime, starttime, vsize...
    ("f7", b"0x10", 16), ("f7", b"010", 8), ("f7", b"1_0", 10), ("f7", b"18446744073709551615", 2**64 - 1),
    ("f11", b"0", 0), ("f20", b"0b11", 3),
    # ...and ParseInt(x, 0, 64) for num_threads and rss.
    ("f21", b"-1", -1), ("f21", b"+7", 7), ("f17", b"0o7", 7), ("f21", b"9223372036854775807", 2**63 - 1),
])
def test_stat_numbers_as_go_reads_them(field: str, text: bytes, value: int) -> None:
    stat = parse_stat(_stat_with(**{field: text}))
    assert stat[{"f7": 2, "f11": 4, "f17": 6, "f20": 8, "f21": 9}[field]] == value


@pytest.mark.parametrize(("field", "text"), [
    ("f7", b"-1"), ("f7", b"+1"), ("f7", b"18446744073709551616"), ("f7", b"\xd9\xa1"), ("f7", b"1__0"),
    ("f21", b"9223372036854775808"), ("f21", b"--1"), ("f17", b"1.5"),
])
def test_stat_numbers_go_refuses(field: str, text: bytes) -> None:
    with pytest.raises(CollectorError):
        parse_stat(_stat_with(**{field: text}))


def test_status_and_io_numbers_as_go_reads_them() -> None:
    # procfs: strconv.ParseUint(x, 10, 64); what it refuses is not counted.
    assert parse_status(b"voluntary_ctxt_switches:\t-5\nnonvoluntary_ctxt_switches:\t+5\n") == ProcStatus(0, None, None)
    assert parse_status(b"voluntary_ctxt_switches:\t007\nnonvoluntary_ctxt_switches:\t0x5\n") == ProcStatus(0, 7, None)
    assert parse_io(b"read_bytes: 18446744073709551616\nwrite_bytes: 18446744073709551615\n") == ProcIO(None, 2**64 - 1)


def test_boot_time_fields() -> None:
    # procfs: the second field of the `btime` line, strconv.ParseUint(x, 10, 64).
    assert parse_boot_time("btime\t1700000000\n") == 1700000000
    assert parse_boot_time("btime 17 18\n") == 17
    for text in ("btime -1\n", "btime +1\n", "btime 0x10\n"):
        with pytest.raises(CollectorError):
            parse_boot_time(text)
