"""/proc/[pid]/stat as procfs v0.19.0's Stat reads it (fmt.Fscan of the state and 41 numbers),
for current node_exporter.

Every accepted or refused field below up to the 39th number was checked against node_exporter
1.5.0's processes collector on a one-process tree, which fails exactly where parse_stat raises;
its procfs (v0.8.0) reads processor, the 36th, as signed and stops after the 39th."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.procpid import (
    _KERNEL_STAT,
    _OPERANDS,
    ProcStat,
    parse_stat,
    parse_state_and_threads,
    scan_operands,
)

# A kernel's line: 52 fields, RLIM_INFINITY for rsslim.
KERNEL = (
    "1 (init) S 0 1 1 0 -1 4194560 54870 2548011 115 2214 128 371 5227 1591 20 0 1 0 3 170618880 3184 "
    "18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 1 0 0 0 0 0 0 0 0 0 0\n"
)
FIELDS = KERNEL.split(" ")
# Operands by position after the ")" (0 is the state), of each kind.
PPID, FLAGS, NUM_THREADS, UNSIGNED_IGNORED, EXIT_SIGNAL, PROCESSOR, LAST = 1, 6, 17, 24, 35, 36, 41


def with_operand(position: int, value: str) -> bytes:
    fields = list(FIELDS)
    fields[position + 2] = value
    return " ".join(fields).encode()


def test_kernel_line() -> None:
    assert parse_stat(KERNEL.encode()) == ProcStat(
        comm="init", state="S", minflt=54870, majflt=115, utime=128, stime=371, num_threads=1,
        starttime=3, vsize=170618880, rss=3184,
    )


def test_thread_line_with_exit_signal_minus_one() -> None:
    """A thread's exit_signal is -1, in one of the two signed operands after the unsigned run
    (a live host's threads failed a layout that had them one place later)."""
    line = (
        b"59 (vsock-console) S 0 0 0 0 -1 4194624 2113 370588270 0 158367 5 53 3411008 1077677 20 0 13 0 45 "
        b"40230912 2634 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 -1 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    )
    stat = parse_stat(line)
    assert (stat.comm, stat.num_threads, stat.rss) == ("vsock-console", 13, 2634)


@pytest.mark.parametrize("position", range(1, 42))
def test_signedness_of_every_operand(position: int) -> None:
    """Which operands take "-1" and "+5" (signed) and which refuse both (unsigned): as node_exporter
    1.5.0 does operand by operand up to the 39th, but for processor (the 36th)."""
    signed = position in (*range(1, 6), *range(13, 19), 21, 35, 40, 41)
    for value in ("-1", "+5"):
        if signed:
            parse_stat(with_operand(position, value))
        else:
            with pytest.raises(CollectorError):
                parse_stat(with_operand(position, value))


def test_command_with_spaces_and_parentheses() -> None:
    stat = parse_stat(KERNEL.replace("(init)", "(a (b) c)").encode())
    assert (stat.comm, stat.state, stat.num_threads) == ("a (b) c", "S", 1)


def test_forty_two_operands_are_read_and_what_follows_is_not() -> None:
    operands = " ".join(FIELDS[:44])
    assert parse_stat(operands.encode()).rss == 3184
    assert parse_stat((operands + " x y").encode()).rss == 3184
    for fewer in (43, 42, 24):  # 24: the 22 operands older procfs versions read
        with pytest.raises(CollectorError, match="EOF"):
            parse_stat(" ".join(FIELDS[:fewer]).encode())


@pytest.mark.parametrize(("value", "threads"), [("0x10", 16), ("010", 8), ("1_0", 10), ("+5", 5), ("-1", -1)])
def test_signed_operand_as_strconv_base_zero(value: str, threads: int) -> None:
    assert parse_stat(with_operand(NUM_THREADS, value)).num_threads == threads


@pytest.mark.parametrize("position", [PPID, NUM_THREADS, EXIT_SIGNAL, LAST])
@pytest.mark.parametrize("value", ["0x10", "010", "1_0", "+5", "-1"])
def test_signed_operands_take(position: int, value: str) -> None:
    parse_stat(with_operand(position, value))


@pytest.mark.parametrize("position", [PPID, NUM_THREADS, EXIT_SIGNAL, LAST])
@pytest.mark.parametrize("value", ["abc", "9223372036854775808", "18446744073709551616", "١"])
def test_signed_operands_refuse(position: int, value: str) -> None:
    with pytest.raises(CollectorError):
        parse_stat(with_operand(position, value))


@pytest.mark.parametrize("position", [FLAGS, UNSIGNED_IGNORED, PROCESSOR])
@pytest.mark.parametrize("value", ["0x10", "010", "1_0", "9223372036854775808", "18446744073709551615"])
def test_unsigned_operands_take(position: int, value: str) -> None:
    parse_stat(with_operand(position, value))


@pytest.mark.parametrize("position", [FLAGS, UNSIGNED_IGNORED, PROCESSOR])
@pytest.mark.parametrize("value", ["+5", "-1", "abc", "1.5", "18446744073709551616", "0x"])
def test_unsigned_operands_refuse(position: int, value: str) -> None:
    with pytest.raises(CollectorError):
        parse_stat(with_operand(position, value))


def test_a_number_ends_where_its_digits_do() -> None:
    """Fscan needs nothing between two operands: "1.5" is 1, then ".5", which no number starts
    with; only after the last operand is the rest left unread."""
    with pytest.raises(CollectorError, match="expected integer"):
        parse_stat(with_operand(FLAGS, "1.5"))
    assert parse_stat(with_operand(LAST, "1.5")).state == "S"
    assert parse_stat(with_operand(LAST, "7abc")).state == "S"
    # "09": the octal 0, then 9 as the next operand; every later field moves up one, and here
    # the tpgid's -1 lands in the unsigned flags.
    with pytest.raises(CollectorError, match="field 7: expected integer"):
        parse_stat(with_operand(PPID, "09"))


@pytest.mark.parametrize("blank", ["\t", "\n", "\u00a0", "\u3000", "  "])
def test_any_go_space_separates(blank: str) -> None:
    text = KERNEL.replace(" 20 0 1 ", f" 20{blank}0{blank}7 ")
    assert parse_stat(text.encode()).num_threads == 7


def test_the_byte_after_the_command_is_skipped() -> None:
    """procfs scans from the second byte after ")": without a blank there the state's first
    character is lost and every operand moves; on this line that puts rsslim in rss."""
    with pytest.raises(CollectorError):
        parse_stat(KERNEL.replace("(init) S", "(init)S").encode())
    assert parse_stat(KERNEL.replace("(init) S", "(init)  S").encode()).state == "S"


@pytest.mark.parametrize("text", [b"", b"1 systemd S 0", b"1 )init( S" + b" 0" * 40, b"1 (init)", b"1 (init) "])
def test_no_command_or_nothing_after_it(text: bytes) -> None:
    with pytest.raises(CollectorError):
        parse_stat(text)


_SIGNED = st.integers(-(10**17), 10**17).map(str)
_UNSIGNED = st.one_of(st.integers(0, 10**18).map(str), st.just("18446744073709551615"))


@given(st.data())
def test_kernel_form_read_as_fscan_reads_it(data: st.DataObject) -> None:
    """The shortcut for the kernel's form gives what the scanner gives."""
    operands = [data.draw(st.sampled_from("RSDZTtWXxKPI"))] + [
        data.draw(_SIGNED if kind == "i" else _UNSIGNED) for kind in _OPERANDS[1:]
    ]
    line = f"42 (x) {' '.join(operands)} 0 0\n".encode()
    assert _KERNEL_STAT.match(line, line.index(b")") + 2) is not None
    scanned = scan_operands(line.decode()[line.index(b")") + 2:], _OPERANDS)
    stat = parse_stat(line)
    assert (stat.state, stat.minflt, stat.num_threads, stat.starttime, stat.vsize, stat.rss) == (
        scanned[0], scanned[7], scanned[17], scanned[19], scanned[20], scanned[21]
    )


@pytest.mark.parametrize("text", [
    KERNEL, KERNEL.replace(" 20 0 1 ", " 20\t0\t0x10 "), KERNEL.replace("(init)", "(a (b) c)"),
    " ".join(FIELDS[:44]), " ".join(FIELDS[:43]), KERNEL.replace(" 4194560 ", " -1 "), "",
])
def test_state_and_threads_as_parse_stat(text: str) -> None:
    """What the processes collector reads: parse_stat's two fields, or its error."""
    data = text.encode()
    try:
        stat = parse_stat(data)
    except CollectorError as err:
        with pytest.raises(CollectorError, match=re.escape(str(err))):
            parse_state_and_threads(data)
    else:
        assert parse_state_and_threads(data) == (stat.state, stat.num_threads)
