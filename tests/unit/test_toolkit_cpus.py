from pathlib import Path

import pytest

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.cpus import MAX_CPUS, ModeLabels, cpu_dirs, parse_cpu_list
from pyexporter.toolkit.families import CounterMetricFamily
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


def test_mode_labels_are_built_once_per_cpu() -> None:
    labels = ModeLabels(("user", "idle"))
    first = labels.rows(["0", "1"])
    assert first == [({"cpu": "0", "mode": "user"}, {"cpu": "0", "mode": "idle"}),
                     ({"cpu": "1", "mode": "user"}, {"cpu": "1", "mode": "idle"})]
    again = labels.rows(["1", "2"])
    assert again[0] is first[1]  # the same dicts, scrape after scrape
    assert again[1] == ({"cpu": "2", "mode": "user"}, {"cpu": "2", "mode": "idle"})
    # A CPU that was not reported is forgotten: its dicts are new when it returns.
    assert labels.rows(["0"])[0] is not first[0]


def test_mode_labels_add_the_samples_add_metric_adds() -> None:
    labels = ModeLabels(("user", "idle"))
    ours = CounterMetricFamily("node_cpu_seconds_total", "h", labels=["cpu", "mode"])
    theirs = CounterMetricFamily("node_cpu_seconds_total", "h", labels=["cpu", "mode"])
    for cpu, row in zip(("0", "1"), labels.rows(["0", "1"]), strict=True):
        ModeLabels.add(ours, row, (1.5, 2.0))
        theirs.add_metric([cpu, "user"], 1.5)
        theirs.add_metric([cpu, "idle"], 2.0)
    assert ours.samples == theirs.samples
    assert [type(s) for s in ours.samples] == [type(s) for s in theirs.samples]
    with pytest.raises(ValueError, match="labels"):
        ModeLabels.add(CounterMetricFamily("x", "h", labels=["cpu"]), labels.rows(["0"])[0], (1.0, 2.0))
