import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples


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


def test_absent_cpufreq_gives_nothing(tmp_path) -> None:
    assert run_collector("cpufreq", Paths(sysfs=str(tmp_path))) == []
    (tmp_path / "devices" / "system" / "cpu" / "cpu0").mkdir(parents=True)
    assert run_collector("cpufreq", Paths(sysfs=str(tmp_path))) == []


def test_malformed_frequency_is_a_collector_error(tmp_path) -> None:
    cpufreq = tmp_path / "devices" / "system" / "cpu" / "cpu0" / "cpufreq"
    cpufreq.mkdir(parents=True)
    (cpufreq / "scaling_cur_freq").write_text("fast\n")
    with pytest.raises(CollectorError):
        run_collector("cpufreq", Paths(sysfs=str(tmp_path)))


def test_malformed_offline_list_is_a_collector_error(tmp_path) -> None:
    cpu = tmp_path / "devices" / "system" / "cpu"
    (cpu / "cpu0" / "cpufreq").mkdir(parents=True)
    (cpu / "offline").write_text("x\n")
    with pytest.raises(CollectorError):
        run_collector("cpufreq", Paths(sysfs=str(tmp_path)))


def test_governor_without_available_list(tmp_path) -> None:
    cpufreq = tmp_path / "devices" / "system" / "cpu" / "cpu0" / "cpufreq"
    cpufreq.mkdir(parents=True)
    (cpufreq / "scaling_governor").write_text("performance\n")
    families = by_name(run_collector("cpufreq", Paths(sysfs=str(tmp_path))))
    assert "node_cpu_scaling_governor" not in families
