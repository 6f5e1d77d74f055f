"""The benchmarks' pure parts, on tiny inputs: statistics, /proc/PID parsing, fixture trees.
Nothing here times anything or compares numbers against a clock."""

from __future__ import annotations

import os

import pytest

from benchmarks.common import (
    count_samples,
    cpu_seconds,
    linear_fit,
    parse_proc_stat_cpu,
    parse_status_rss,
    percentile,
    rss_bytes,
)
from benchmarks.scaling import (
    collector_successes,
    cpu_tree,
    dimensions,
    disk_tree,
    growth,
    measure,
    mount_tree,
    net_tree,
    process_tree,
    tree_flags,
    write_tree,
)
from benchmarks.scrape_bench import _area, interleaved_order
from pyexporter.collectors import load_all
from pyexporter.paths import Paths


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 0) == 1
    assert percentile([1, 2, 3, 4], 100) == 4
    assert percentile([7], 99) == 7
    assert percentile(list(range(101)), 99) == pytest.approx(99)


@pytest.mark.parametrize("values, q", [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_rejects_bad_input(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, q)


def test_linear_fit() -> None:
    assert linear_fit([0, 1, 2], [1, 3, 5]) == pytest.approx((1.0, 2.0))
    assert linear_fit([3, 3], [1, 5]) == (3.0, 0.0)


# A command name with spaces and a ")" of its own; utime 150 and stime 50 ticks.
STAT = "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 12345 1000 200 " + " 0" * 30


def test_proc_stat_cpu_counts_from_the_last_parenthesis() -> None:
    assert parse_proc_stat_cpu(STAT, clk_tck=100) == pytest.approx(2.0)
    assert parse_proc_stat_cpu(STAT, clk_tck=250) == pytest.approx(0.8)


@pytest.mark.parametrize("text", ["", "4242 no parenthesis", "4242 (x) S 1 2 3"])
def test_proc_stat_cpu_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_proc_stat_cpu(text)


def test_status_rss() -> None:
    assert parse_status_rss("Name:\tx\nVmPeak:\t 9 kB\nVmRSS:\t   1234 kB\n") == 1234 * 1024
    with pytest.raises(ValueError):
        parse_status_rss("Name:\tkthreadd\n")


def test_own_process_readings() -> None:
    assert cpu_seconds(os.getpid()) >= 0
    assert rss_bytes(os.getpid()) > 0


def test_count_samples_skips_comments_and_eof() -> None:
    body = b'# HELP a x\n# TYPE a gauge\na 1\na{b="c"} 2\n\n# EOF\n'
    assert count_samples(body) == 2


def test_interleaved_order_alternates() -> None:
    assert interleaved_order(["a", "b"], 0) == ["a", "b"]  # type: ignore[list-item]
    assert interleaved_order(["a", "b"], 1) == ["b", "a"]  # type: ignore[list-item]


def test_profile_areas() -> None:
    assert _area("/x/pyexporter/collectors/cpu.py", "collect") == "collector cpu"
    assert _area("/x/pyexporter/exposition.py", "merge") == "merge"
    assert _area("~", "<built-in method io.open>") == "builtin <built-in method io.open>"


def test_growth_flags_only_super_linear_cost() -> None:
    linear = growth([(10, 1.0), (100, 10.0), (1000, 100.0)])
    assert not linear["super_linear"]
    assert linear["marginal_ratio"] == pytest.approx(1.0)
    quadratic = growth([(10, 0.1), (100, 10.0), (1000, 1000.0)])
    assert quadratic["super_linear"]
    # Below the noise floor nothing is flagged, whatever the ratio.
    assert not growth([(1, 0.001), (2, 0.002), (3, 0.01)])["super_linear"]


def test_trees_have_the_asked_size() -> None:
    stat = cpu_tree(3)["proc/stat"]
    assert [line.split()[0] for line in stat.splitlines()[:4]] == ["cpu", "cpu0", "cpu1", "cpu2"]
    assert len(cpu_tree(3)["proc/net/softnet_stat"].splitlines()) == 3
    assert len(net_tree(4)["proc/net/dev"].splitlines()) == 2 + 4
    assert len(disk_tree(5)["proc/diskstats"].splitlines()) == 5
    assert len(mount_tree(6)["proc/1/mountinfo"].splitlines()) == 6
    procs = process_tree(8)
    assert len([p for p in procs if p.endswith("/stat") and "/task/" not in p and p.count("/") == 2]) == 8


@pytest.mark.parametrize("name", ["cpus", "netdevs", "disks", "mounts", "processes"])
def test_every_collector_reads_its_generated_tree(name: str, tmp_path) -> None:
    """The generated trees must stay valid input for the collectors that read them; a failing
    collector would make the scaling numbers measure an error path."""
    dim = {d.name: d for d in dimensions(set(load_all()))}[name]
    small, larger = [], []
    for size, out in ((2, small), (4, larger)):
        root = tmp_path / f"{name}-{size}"
        write_tree(str(root), dim.tree(size))
        result = measure(Paths.under(str(root)), dim.collectors, dim.options, min_seconds=0.0, max_repeats=3)
        assert result["failed_collectors"] == []
        assert result["samples"] > 0
        out.append(result["samples"])
    if name != "processes":  # process collectors report per state and per name group, not per process
        assert larger[0] > small[0]


def test_collector_successes() -> None:
    body = (b'# HELP node_scrape_collector_success x\nnode_scrape_collector_success{collector="cpu"} 1\n'
            b'node_scrape_collector_success{collector="filesystem"} 0\nnode_load1 0.5\n')
    assert collector_successes(body) == {"cpu": 1.0, "filesystem": 0.0}


def test_tree_flags_name_every_root_and_collector() -> None:
    flags = tree_flags("/t", ["cpu", "stat"], ["--x"])
    assert "--path.procfs=/t/proc" in flags and "--path.udev.data=/t/udev/data" in flags
    assert flags[-3:] == ["--collector.cpu", "--collector.stat", "--x"]
    assert "--collector.disable-defaults" in flags


def test_stress_textfile_runs_small(tmp_path) -> None:
    import json

    from benchmarks import stress_textfile

    assert stress_textfile.main(["--only", "files", "--counts", "5,10", "--no-reference", "--scrapes", "1",
                                 "--results", str(tmp_path), "--name", "smoke"]) == 0
    report = json.loads((tmp_path / "smoke.json").read_text())
    runs = [run for run in report["runs"] if run["exporter"] == "pyexporter"]
    assert [run["scrape_error"] for run in runs] == [0, 0]
    assert runs[0]["samples"] < runs[1]["samples"]
    assert all(run["once_peak_rss_mb"] for run in runs)

