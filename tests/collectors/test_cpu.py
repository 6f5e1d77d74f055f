import shutil

import pytest

from pyexporter.collectors import load_all
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, collect_as_scrape, fixture_paths, run_collector, sample, samples

INFO = {"info": True, "info.flags-include": "^avx", "info.bugs-include": "spectre_v2"}


def test_cpu_seconds_from_fixture() -> None:
    families = run_collector("cpu", fixture_paths("cpu"))
    assert sample(families, "node_cpu_seconds_total", cpu="0", mode="user") == 10.0
    assert sample(families, "node_cpu_seconds_total", cpu="0", mode="idle") == 1000.0
    assert sample(families, "node_cpu_seconds_total", cpu="0", mode="steal") == 0.05
    # cpu1 is offline: no line in /proc/stat, and cpu2 keeps its own id.
    assert sample(families, "node_cpu_seconds_total", cpu="2", mode="system") == 10.0
    assert sample(families, "node_cpu_seconds_total", cpu="2", mode="iowait") == 2.0
    assert not any(dict(labels).get("cpu") == "1" for name, labels in samples(families)
                   if name == "node_cpu_seconds_total")
    assert sample(families, "node_cpu_guest_seconds_total", cpu="0", mode="user") == 0.07
    assert sample(families, "node_cpu_guest_seconds_total", cpu="0", mode="nice") == 0.03
    assert sample(families, "node_cpu_guest_seconds_total", cpu="2", mode="user") == 0.0
    assert len([k for k in samples(families) if k[0] == "node_cpu_seconds_total"]) == 16


def test_cpu_sysfs_metrics_from_fixture() -> None:
    s = samples(run_collector("cpu", fixture_paths("cpu")))
    assert s[("node_cpu_isolated", frozenset({("cpu", "2")}))] == 1.0
    assert s[("node_cpu_package_throttles_total", frozenset({("package", "0")}))] == 11.0
    core = {k: v for k, v in s.items() if k[0] == "node_cpu_core_throttles_total"}
    # cpu2 shares core 0 with cpu0; the first one read counts, and cpu3 has no topology.
    assert core == {
        ("node_cpu_core_throttles_total", frozenset({("package", "0"), ("core", "0")})): 4.0,
        ("node_cpu_core_throttles_total", frozenset({("package", "0"), ("core", "1")})): 6.0,
    }
    online = {dict(k[1])["cpu"]: v for k, v in s.items() if k[0] == "node_cpu_online"}
    assert online == {"0": 1.0, "1": 0.0, "2": 1.0, "3": 0.0}


def test_info_is_off_by_default_and_guest_can_be_disabled() -> None:
    families = by_name(run_collector("cpu", fixture_paths("cpu"), {"guest": False}))
    assert "node_cpu_guest_seconds_total" not in families
    assert not {"node_cpu_info", "node_cpu_flag_info", "node_cpu_frequency_hertz"} & set(families)


def test_cpu_info_from_fixture() -> None:
    families = run_collector("cpu", fixture_paths("cpu"), INFO)
    assert sample(
        families, "node_cpu_info", package="0", core="0", cpu="2", vendor="AuthenticAMD",
        family="23", model="113", model_name="AMD Ryzen 5 3600 6-Core Processor",
        microcode="0x8701021", stepping="0", cachesize="512 KB",
    ) == 1.0
    assert sample(families, "node_cpu_frequency_hertz", package="0", core="0", cpu="0") == 2.2005e9
    assert sample(families, "node_cpu_frequency_hertz", package="0", core="0", cpu="2") == 3.6e9
    s = samples(families)
    assert {dict(k[1])["flag"] for k in s if k[0] == "node_cpu_flag_info"} == {"avx", "avx2"}
    assert {dict(k[1])["bug"] for k in s if k[0] == "node_cpu_bug_info"} == {"spectre_v2"}
    assert {f.type for f in families if f.name.startswith("node_cpu_info")} == {"gauge"}


def test_include_flag_alone_enables_info() -> None:
    families = by_name(run_collector("cpu", fixture_paths("cpu"), {"info.bugs-include": "."}))
    assert "node_cpu_info" in families and "node_cpu_bug_info" in families
    assert "node_cpu_flag_info" not in families


def test_counters_do_not_go_backwards_between_scrapes(tmp_path) -> None:
    root = tmp_path / "t"
    shutil.copytree(fixture_paths("cpu").rootfs, root)
    paths = Paths.under(str(root))
    cpu = load_all()["cpu"].build(paths)
    list(cpu.collect())
    (root / "proc" / "stat").write_text("cpu0 900 20 500 99900 100 10 20 5 7 3\n")
    families = list(cpu.collect())
    assert sample(families, "node_cpu_seconds_total", cpu="0", mode="user") == 10.0
    assert sample(families, "node_cpu_seconds_total", cpu="0", mode="idle") == 1000.0
    # cpu2 vanished from /proc/stat: updateCPUStats (node_exporter 1.8+) drops it.
    cpus = {s.labels["cpu"] for f in families for s in f.samples if f.name == "node_cpu_seconds"}
    assert cpus == {"0"}


def test_absent_sysfs_gives_only_stat(tmp_path) -> None:
    paths = Paths(procfs=fixture_paths("cpu").procfs, sysfs=str(tmp_path))
    names = set(by_name(run_collector("cpu", paths)))
    assert names == {"node_cpu_seconds_total", "node_cpu_guest_seconds_total"}


def test_missing_proc_stat_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("cpu", Paths(procfs=str(tmp_path), sysfs=str(tmp_path)))


def test_malformed_stat_is_a_collector_error(tmp_path) -> None:
    (tmp_path / "stat").write_text("cpu0 1 2 three\n")
    with pytest.raises(CollectorError):
        run_collector("cpu", Paths(procfs=str(tmp_path), sysfs=str(tmp_path)))


def test_malformed_isolated_is_a_collector_error(tmp_path) -> None:
    (tmp_path / "stat").write_text("cpu0 1 2 3\n")
    cpu_dir = tmp_path / "devices" / "system" / "cpu"
    cpu_dir.mkdir(parents=True)
    (cpu_dir / "isolated").write_text("1-x\n")
    with pytest.raises(CollectorError):
        run_collector("cpu", Paths(procfs=str(tmp_path), sysfs=str(tmp_path)))


def test_a_bad_stat_leaves_the_info_served(tmp_path) -> None:
    """node_exporter sends the cpuinfo families before it reads /proc/stat."""
    shutil.copytree(fixture_paths("cpu").procfs, tmp_path / "proc")
    shutil.copytree(fixture_paths("cpu").sysfs, tmp_path / "sys")
    (tmp_path / "proc" / "stat").write_text("cpu  abc 1 2\ncpu0 1 2 3\n")
    families, err = collect_as_scrape("cpu", Paths.under(str(tmp_path)), INFO)
    assert isinstance(err, CollectorError)
    assert "node_cpu_info" in by_name(families)
    assert "node_cpu_seconds_total" not in by_name(families)


def test_a_bad_intr_line_fails_it_as_procfs_stat_does(tmp_path) -> None:
    """procfs parses the whole of /proc/stat for node_exporter's cpu collector, intr line too."""
    (tmp_path / "stat").write_text("cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5 x\nctxt 7\n")
    with pytest.raises(CollectorError):
        run_collector("cpu", Paths(procfs=str(tmp_path)))
