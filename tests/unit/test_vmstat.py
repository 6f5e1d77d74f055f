import math

import pytest

from pyexporter.collectors.vmstat import parse_vmstat
from pyexporter.toolkit.collector import CollectorError


def test_parse_vmstat() -> None:
    assert parse_vmstat("pgpgin 7\n\noom_kill 0\n") == (["pgpgin", "oom_kill"], [7.0, 0.0])


def test_empty() -> None:
    assert parse_vmstat("") == ([], [])


@pytest.mark.parametrize("text", ["pgpgin\n", "pgpgin many\n"])
def test_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_vmstat(text)


# node_exporter's vmstat collector: strconv.ParseFloat(value, 64) on every line.
@pytest.mark.parametrize(("text", "value"), [("1_000", 1000.0), ("0x1p4", 16.0), ("-1e3", -1000.0), ("+Inf", math.inf)])
def test_values_as_go(text: str, value: float) -> None:
    assert parse_vmstat(f"pgpgin {text}\n") == (["pgpgin"], [value])


@pytest.mark.parametrize("text", ["1e400", "١", "0x10", "+nan", "1__0", "infinit"])
def test_values_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError, match=r"strconv\.ParseFloat"):
        parse_vmstat(f"pgpgin {text}\n")


@pytest.mark.parametrize("text", [
    "pgpgin 7\noom_kill 0\n",  # the kernel's shape: one split for the whole file
    "pgpgin 7\noom_kill 0",  # no final newline
    "pgpgin  7\noom_kill 0 extra\n",  # two spaces, a third field
    " pgpgin 7\noom_kill 0\n",
    "pgpgin\t7\noom_kill 0\n",
    "a\tb c\nd\ne  f\n",  # as many spaces as lines and two fields a line on average, but not each
    "a\n1 c 2\n",  # as many spaces as lines and single separators, but one line has both spaces
    "",
    "pgpgin 7\n",
    "pgpgin 7\r\noom_kill 0\r\n",
    "pgpgin 7\x1coom_kill 0\n",  # a separator str.split takes that is no line break for the kernel
    "pgpgin 7\noom_kill\u00a00\n",
    "pgpgin 7\n\noom_kill 0\n",
])
def test_one_split_for_the_file_reads_what_line_by_line_reads(text: str) -> None:
    expected = []
    for line in text.splitlines():
        parts = line.split()
        if parts:
            expected.append((parts[0], float(parts[1])) if len(parts) > 1 and parts[1].isdigit() else None)
    if None in expected:
        with pytest.raises(CollectorError):
            parse_vmstat(text)
    else:
        names, values = parse_vmstat(text)
        assert list(zip(names, values, strict=True)) == expected
