"""The benchmarks' pure parts, on tiny inputs: statistics, /proc/PID parsing, fixture trees.
Nothing here times anything or compares numbers against a clock."""

from __future__ import annotations

import os
from pathlib import Path

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
    TimingSpec,
    cache_bytes,
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
    collector would make the scaling numbers measure an error path. Timed as scaling.py times them:
    each tree in a process of its own."""
    dim = {d.name: d for d in dimensions(set(load_all()))}[name]
    specs = []
    for size in (2, 4):
        root = tmp_path / f"{name}-{size}"
        write_tree(str(root), dim.tree(size))
        specs.append(TimingSpec(Paths.under(str(root)), dim.collectors, dim.options))
    small, larger = measure(specs, min_seconds=0.0, max_repeats=3)
    for result in (small, larger):
        assert result["failed_collectors"] == []
        assert result["samples"] > 0
        assert result["repeats"] == 3
    if name != "processes":  # process collectors report per state and per name group, not per process
        assert larger["samples"] > small["samples"]


def test_cache_bytes_is_the_largest_listed(tmp_path) -> None:
    for index, size in (("index0", "32K"), ("index2", "1024K"), ("index3", "16384K"), ("index4", "junk")):
        (tmp_path / index).mkdir()
        (tmp_path / index / "size").write_text(size + "\n")
    assert cache_bytes(str(tmp_path)) == 16 << 20
    assert cache_bytes(str(tmp_path / "absent")) == 32 << 20


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



def test_fixed_cost_runs_small(tmp_path) -> None:
    import json

    from benchmarks import fixed_cost

    assert fixed_cost.main(["--rounds", "5", "--warmup", "2", "--no-reference", "--results", str(tmp_path),
                            "--name", "smoke"]) == 0
    results = json.loads((tmp_path / "smoke.json").read_text())["results"]
    assert sorted(results) == ["aiohttp", "served", "waited", "web"]
    assert all(r["failed_scrapes"] == 0 and r["p50_ms"] > 0 for r in results.values())


def test_container_v2_tree_reads_back(tmp_path: Path) -> None:
    """The synthetic unified hierarchy stays valid input: every cgroup reported with every family,
    so that the benchmark does not time an error path or a half-empty scrape."""
    from benchmarks.container_bench import v2_cgroup_path, v2_tree

    write_tree(str(tmp_path), v2_tree(3))
    paths = Paths(procfs=str(tmp_path / "proc"), cgroupfs=str(tmp_path / "cgroupfs"))
    families = list(load_all()["container"].build(paths).collect())
    values = {(s.name, s.labels["id"]): s.value for f in families for s in f.samples}
    ids = [f"/{v2_cgroup_path(n)}" for n in range(3)]
    assert {s.labels["id"] for f in families for s in f.samples} == set(ids)
    # 22 samples a cgroup, and the quota and the three CFS families for one with a quota (n odd).
    assert sum(len(f.samples) for f in families) == 22 + 26 + 22
    assert [values[("container_spec_memory_limit_bytes", i)] for i in ids] == [536870912, 0, 0]
    assert values[("container_spec_cpu_shares", ids[0])] == 2597
    assert ("container_spec_cpu_quota", ids[0]) not in values
    assert values[("container_spec_cpu_quota", ids[1])] == 50000
    assert values[("container_pressure_io_stalled_seconds_total", ids[2])] == pytest.approx(4e-6)


def test_container_per_cgroup_cost() -> None:
    from benchmarks.container_bench import per_cgroup

    runs = [{"cgroups": 1, "wall_ms_p50": 1.0, "cpu_ms_p50": 0.5}, {"cgroups": 101, "wall_ms_p50": 21.0,
                                                                      "cpu_ms_p50": 10.5}]
    assert per_cgroup(runs) == pytest.approx({"wall_us_p50": 200.0, "cpu_us_p50": 100.0})
    assert per_cgroup(runs[:1]) == {"wall_us_p50": None, "cpu_us_p50": None}


def test_container_v1_unavailable_explains(tmp_path: Path) -> None:
    from benchmarks.container_bench import v1_unavailable

    if os.geteuid() != 0:
        assert v1_unavailable(str(tmp_path)) == "not root: cannot create cgroups"
        return
    assert v1_unavailable(str(tmp_path)) == f"no cgroup v1 cpu hierarchy at {tmp_path}/cpu"
    (tmp_path / "cgroup.controllers").write_text("cpu io memory\n")
    assert v1_unavailable(str(tmp_path)) == f"{tmp_path} is a cgroup v2 (unified) hierarchy"


def test_container_bench_runs_small(tmp_path: Path) -> None:
    import json

    from benchmarks import container_bench

    assert container_bench.main(["--no-v1", "--sizes", "1,2", "--min-seconds", "0", "--max-repeats", "5",
                                 "--results", str(tmp_path), "--name", "smoke"]) == 0
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert report["setups"]["v1-live"] == {"skipped": "--no-v1"}
    v2 = report["setups"]["v2-synthetic"]
    assert [(run["cgroups"], run["reported_cgroups"], run["samples"]) for run in v2["runs"]] == [(1, 1, 22), (2, 2, 48)]
    assert all(run["repeats"] >= 5 for run in v2["runs"])


def test_container_bench_v1_live_cleans_up() -> None:
    """On a host where the live part can run (root, writable cgroup v1), two cgroups are made,
    reported, and gone afterwards."""
    from benchmarks.container_bench import PREFIX, V1_CONTROLLERS, V1_ROOT, run_v1, v1_unavailable

    reason = v1_unavailable()
    if reason is not None:
        pytest.skip(f"live cgroup v1 part cannot run here: {reason}")
    result = run_v1([1, 2], min_seconds=0.0, max_repeats=5)
    assert [run["bench_cgroups_reported"] for run in result["runs"]] == [1, 2]
    mine = f"{PREFIX}-{os.getpid()}-"
    left = [name for c in V1_CONTROLLERS for name in os.listdir(os.path.join(V1_ROOT, c)) if name.startswith(mine)]
    assert left == []
