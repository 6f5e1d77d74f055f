import pytest

from pyexporter.collectors.cgroups import CgroupSummary, parse_cgroups
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError


def test_parse_cgroups_skips_header() -> None:
    text = "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t3\t172\t1\nrdma\t4\t1\t0\n"
    assert parse_cgroups(text) == [CgroupSummary("cpu", 3, 172, 1), CgroupSummary("rdma", 4, 1, 0)]


def test_parse_cgroups_empty() -> None:
    assert parse_cgroups("") == []
    assert parse_cgroups("#subsys_name\thierarchy\tnum_cgroups\tenabled\n") == []


@pytest.mark.parametrize("text", ["cpu 3 172\n", "cpu x 172 1\n", "cpu 3 172 yes\n"])
def test_parse_cgroups_malformed(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_cgroups(text)


@pytest.mark.parametrize("value", ["1_0", "٣", "99999999999999999999"])
def test_numbers_are_go_atoi(value: str) -> None:
    # procfs reads the numbers with strconv.Atoi: no `_`, ASCII digits only, int64.
    with pytest.raises(NumberError):
        parse_cgroups(f"cpu 3 {value} 1\n")


def test_signed_numbers_are_accepted_as_atoi_does() -> None:
    assert parse_cgroups("cpu +3 -1 1\n") == [CgroupSummary("cpu", 3, -1, 1)]


@pytest.mark.parametrize(
    "text",
    [
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t3\t172\t1\n\n",
        "cpu\t3\t172\t1\n\nrdma\t4\t1\t0\n",
        "cpu\t3\t172\t1\n \t\n",
        " #subsys_name\thierarchy\tnum_cgroups\tenabled\n",
    ],
)
def test_blank_lines_and_indented_comments_are_refused_as_procfs(text: str) -> None:
    # parseCgroupSummary skips only lines that begin with `#`; any other line goes to
    # parseCgroupSummaryString, which wants four fields, and numbers in the second to fourth.
    with pytest.raises(CollectorError):
        parse_cgroups(text)
