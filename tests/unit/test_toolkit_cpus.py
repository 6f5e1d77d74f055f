from pathlib import Path

import pytest

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.cpus import MAX_CPUS, cpu_dirs, parse_cpu_list
from pyexporter.toolkit.numbers import NumberError


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("1,3-5,9\n", [1, 3, 4, 5, 9]), ("\n", []), ("", []), ("0", [0]), ("2-2", [2]), ("3-1", []),
     ("1,,2\n\n", [1, 2]), ("+1", [1]), ("007", [7])],
)
def test_cpu_list(text: str, cpus: list[int]) -> None:
    assert parse_cpu_list(text) == cpus


@pytest.mark.parametrize("text", ["a", "1-", "1-2-3", "1,,x", "-1"])
def test_malformed_cpu_list_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_cpu_list(text)


@pytest.mark.parametrize("text", ["1, 2", " 1\n", "1\t", "1_0", "٣", "1-2 ", "99999999999999999999"])
def test_cpu_list_numbers_are_go_atoi(text: str) -> None:
    # parseCPURange trims only newlines and hands each entry to strconv.Atoi, which refuses
    # blanks, digit separators, non-ASCII digits and what overflows int64.
    with pytest.raises(NumberError):
        parse_cpu_list(text)


def test_huge_range_is_refused_before_it_is_built() -> None:
    with pytest.raises(CollectorError, match="more than"):
        parse_cpu_list(f"0-{MAX_CPUS}")
    assert len(parse_cpu_list(f"0-{MAX_CPUS - 2}")) == MAX_CPUS - 1


def test_cpu_dirs(tmp_path: Path) -> None:
    for name in ("cpu10", "cpu2", "cpufreq", "cpuidle", "cpu0", "online", "cpux1"):
        (tmp_path / name).mkdir()
    assert cpu_dirs(str(tmp_path)) == ["cpu0", "cpu10", "cpu2"]
    assert cpu_dirs(str(tmp_path / "absent")) == []
