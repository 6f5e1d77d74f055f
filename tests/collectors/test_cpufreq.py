import threading
import time

import pytest

from pyexporter.collectors import load_all
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.files import KeptAttributes
from pyexporter.toolkit.static import ListingCache
from tests.helpers import fixture_paths, run_collector, sample, samples


def test_cpufreq_from_fixture() -> None:
    families = run_collector("cpufreq", fixture_paths("cpufreq"))
    assert sample(families, "node_cpu_frequency_hertz", cpu="0") == 2.2e9
    assert sample(families, "node_cpu_frequency_min_hertz", cpu="0") == 8e8
    assert sample(families, "node_cpu_frequency_max_hertz", cpu="0") == 4.2e9
    assert sample(families, "node_cpu_scaling_frequency_hertz", cpu="0") == 2.199999e9
    assert sample(families, "node_cpu_scaling_frequency_min_hertz", cpu="0") == 1e9
    assert sample(families, "node_cpu_scaling_frequency_max_hertz", cpu="0") == 3.9e9
    assert sample(families, "node_cpu_scaling_frequency_hertz", cpu="3") == 1.5e9
    assert sample(families, "node_cpu_scaling_governor", cpu="0", governor="schedutil") == 1.0
    assert sample(families, "node_cpu_scaling_governor", cpu="0", governor="performance") == 0.0
    assert sample(families, "node_cpu_scaling_governor", cpu="3", governor="performance") == 1.0
    assert sample(families, "node_cpu_scaling_governor", cpu="3", governor="powersave") == 0.0
    # cpu1 is offline and cpu2 has no cpufreq directory; cpu3 has no cpuinfo_* files.
    cpus = {dict(labels)["cpu"] for _, labels in samples(families)}
    assert cpus == {"0", "3"}
    assert len([k for k in samples(families) if k[0] == "node_cpu_frequency_hertz"]) == 1
    assert {f.type for f in families} == {"gauge"}


def test_absent_cpu_directories_fail_as_system_cpufreq(tmp_path) -> None:
    # SystemCpufreq: the `offline` file is read unconditionally, and no cpuN left is an error.
    with pytest.raises(FileNotFoundError):
        run_collector("cpufreq", Paths(sysfs=str(tmp_path)))
    cpu = tmp_path / "devices" / "system" / "cpu"
    cpu.mkdir(parents=True)
    (cpu / "offline").write_text("\n")
    with pytest.raises(CollectorError):
        run_collector("cpufreq", Paths(sysfs=str(tmp_path)))
    (cpu / "cpu0").mkdir()
    (cpu / "offline").write_text("0\n")
    with pytest.raises(CollectorError):
        run_collector("cpufreq", Paths(sysfs=str(tmp_path)))


def test_cpus_without_cpufreq_give_nothing(tmp_path) -> None:
    # SystemCpufreq: a CPU without a cpufreq directory leaves an empty entry, no error.
    cpu = tmp_path / "devices" / "system" / "cpu"
    (cpu / "cpu0").mkdir(parents=True)
    (cpu / "offline").write_text("\n")
    assert run_collector("cpufreq", Paths(sysfs=str(tmp_path))) == []


def _cpu0(tmp_path):
    cpu = tmp_path / "devices" / "system" / "cpu"
    cpufreq = cpu / "cpu0" / "cpufreq"
    cpufreq.mkdir(parents=True)
    (cpu / "offline").write_text("\n")
    for name, text in (("scaling_available_governors", "performance\n"), ("scaling_driver", "x\n"),
                       ("scaling_governor", "performance\n"), ("related_cpus", "0\n"),
                       ("scaling_setspeed", "<unsupported>\n")):
        (cpufreq / name).write_text(text)
    return cpu, cpufreq


def test_malformed_frequency_is_a_collector_error(tmp_path) -> None:
    _, cpufreq = _cpu0(tmp_path)
    (cpufreq / "scaling_cur_freq").write_text("fast\n")
    with pytest.raises(CollectorError):
        run_collector("cpufreq", Paths(sysfs=str(tmp_path)))


def test_malformed_offline_list_is_a_collector_error(tmp_path) -> None:
    cpu, _ = _cpu0(tmp_path)
    (cpu / "offline").write_text("x\n")
    with pytest.raises(CollectorError):
        run_collector("cpufreq", Paths(sysfs=str(tmp_path)))


def test_governor_with_empty_available_list(tmp_path) -> None:
    # cpuFreqCollector.Update splits "" into one empty governor name.
    _, cpufreq = _cpu0(tmp_path)
    (cpufreq / "scaling_available_governors").write_text("\n")
    families = run_collector("cpufreq", Paths(sysfs=str(tmp_path)))
    assert sample(families, "node_cpu_scaling_governor", cpu="0", governor="") == 0.0


def test_cpus_read_in_parallel_once_a_read_sleeps(tmp_path, monkeypatch) -> None:
    # Kernels 4.15-5.17 on x86 sleep 10 ms in each CPU's scaling_cur_freq read: the CPUs after
    # the first sleeping one are read at once, with the same results as read one by one.
    from pyexporter.collectors import cpufreq

    quick = run_collector("cpufreq", fixture_paths("cpufreq"))
    real = cpufreq.read_cpufreq
    threads: set[str] = set()

    def sleeping(cpufreq_dir: str, cpu: str, kept: KeptAttributes | None = None,
                 listings: ListingCache | None = None) -> cpufreq.CpufreqStats | None:
        threads.add(threading.current_thread().name)
        time.sleep(0.02)
        # The collector's kept descriptors and listings, from parallel threads.
        return real(cpufreq_dir, cpu, kept, listings)

    monkeypatch.setattr(cpufreq, "read_cpufreq", sleeping)
    collector = load_all()["cpufreq"].build(fixture_paths("cpufreq"), None)
    for _ in range(2):  # the second time through the descriptors the first kept, from parallel threads
        assert list(collector.collect()) == quick
    assert any(name.startswith("cpufreq") for name in threads)


def test_scrapes_read_fresh_values_and_let_go_of_cpus_gone_offline(tmp_path) -> None:
    # One collector, scrape after scrape: each CPU's attributes are read again through descriptors
    # kept from the last scrape (toolkit.files.KeptAttributes), and an offline CPU's are closed.
    import os
    import shutil

    shutil.copytree(fixture_paths("cpufreq").sysfs, tmp_path / "sys")
    cpus = tmp_path / "sys" / "devices" / "system" / "cpu"
    collector = load_all()["cpufreq"].build(Paths(sysfs=str(tmp_path / "sys")), None)

    def current() -> dict[str, float]:
        return {dict(labels)["cpu"]: value for (name, labels), value in samples(list(collector.collect())).items()
                if name == "node_cpu_scaling_frequency_hertz"}

    first = current()
    assert set(first) == {"0", "3"}  # cpu1 is offline, cpu2 has no cpufreq directory
    (cpus / "cpu0" / "cpufreq" / "scaling_cur_freq").write_text("1234567\n")  # rewritten in place
    assert current() == {**first, "0": 1234567000.0}
    held = len(collector._kept)
    assert held > 0
    (cpus / "offline").write_text("0-1\n")
    opened = len(os.listdir("/proc/self/fd"))
    assert set(current()) == {"3"}
    assert len(collector._kept) < held
    assert len(os.listdir("/proc/self/fd")) == opened - (held - len(collector._kept))
