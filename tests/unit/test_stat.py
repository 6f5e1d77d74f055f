import pytest

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.procstat import SOFTIRQ_VECTORS, KernelStat
from pyexporter.toolkit.procstat import parse_kernel_stat as parse_stat


def test_parse_stat() -> None:
    text = (
        "cpu  1 2 3 4\nintr 99 1 2 3\nctxt 7\nbtime 1418183276\nprocesses 11\n"
        "procs_running 2\nprocs_blocked 1\nsoftirq 55 1 2 3 4 5 6 7 8 9 10\n"
    )
    stat = parse_stat(text)
    assert (stat.interrupts, stat.context_switches, stat.boot_time, stat.forks) == (99, 7, 1418183276, 11)
    assert (stat.procs_running, stat.procs_blocked) == (2, 1)
    assert stat.softirqs == dict(zip(SOFTIRQ_VECTORS, range(1, 11), strict=True))


def test_empty_and_truncated_lines_read_as_zero() -> None:
    assert parse_stat("") == KernelStat()
    assert parse_stat("ctxt\nbtime\n") == KernelStat()


@pytest.mark.parametrize(
    "text", ["ctxt x\n", "btime -\n", "softirq 5 1 2 3\n", "softirq 5 1 2 3 4 5 6 7 8 9 z\n"]
)
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_stat(text)


# procfs's parseStat: strconv.ParseUint(x, 10, 64) for btime, intr, ctxt, processes, procs_running,
# procs_blocked; Sscanf `%d` into uint64 for the softirq total and vectors.
@pytest.mark.parametrize("value", ["-1", "+1", "1_000", "١", "18446744073709551616", "1.5", "0x10"])
@pytest.mark.parametrize("key", ["btime", "intr", "ctxt", "processes", "procs_running", "procs_blocked"])
def test_scalars_refuse_what_parse_uint_refuses(key: str, value: str) -> None:
    with pytest.raises(CollectorError, match=rf"\({key}\) in /proc/stat: strconv\.ParseUint"):
        parse_stat(f"{key} {value}\n")


def test_scalars_take_the_whole_uint64_range() -> None:
    assert parse_stat("ctxt 18446744073709551615\nbtime 007\n") == KernelStat(context_switches=2**64 - 1, boot_time=7)


@pytest.mark.parametrize("total", ["-1", "x", "+1"])
def test_softirq_total_must_parse(total: str) -> None:
    with pytest.raises(CollectorError, match=r"\(softirq\)"):
        parse_stat(f"softirq {total} 1 2 3 4 5 6 7 8 9 10\n")


def test_softirq_extra_fields_ignored() -> None:
    stat = parse_stat("softirq 55 1 2 3 4 5 6 7 8 9 10 11 x\n")
    assert stat.softirqs == dict(zip(SOFTIRQ_VECTORS, range(1, 11), strict=True))


def test_every_per_irq_count_is_parsed_as_procfs_does() -> None:
    assert parse_stat("intr 10 4 6\n").interrupts == 10
    with pytest.raises(CollectorError, match="intr"):
        parse_stat("intr 10 4 x6\n")
    with pytest.raises(CollectorError, match="intr"):
        parse_stat("intr 10 4 -6\n")


@pytest.mark.parametrize("counts", [
    "5 0 3 0", "5", "5 0 18446744073709551615", "5 0 18446744073709551616", "5 0 99999999999999999999",
    "5 0  3", "5 0 3 ", "5\t0 3", "5 0 +3", "5 0 -0", "5 0 ٣", "5 0 1_0", "5 0 x", "0005 0 3",
    "1" + " 0" * 5000,
])
def test_intr_counts_are_checked_as_procfs_parses_each(counts: str) -> None:
    from pyexporter.toolkit.numbers import NumberError, check_uints, parse_uint
    text = f"intr {counts}\nctxt 7\n"
    values = counts.split()
    try:
        total = parse_uint(values[0])
        check_uints(values[1:])
    except NumberError:
        with pytest.raises(CollectorError, match="intr"):
            parse_stat(text)
        return
    stat = parse_stat(text)
    assert stat.interrupts == total and stat.context_switches == 7
