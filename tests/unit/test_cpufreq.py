import pytest

from pyexporter.collectors.cpufreq import CpufreqStats, _read_frequency, governor_states, read_cpufreq
from pyexporter.toolkit.numbers import NumberError


def test_frequency(tmp_path) -> None:
    (tmp_path / "scaling_cur_freq").write_text("1699981\n")
    assert _read_frequency(str(tmp_path / "scaling_cur_freq")) == 1699981
    assert _read_frequency(str(tmp_path / "absent")) is None


@pytest.mark.parametrize(
    "text", ["", "\n", "<unsupported>", "-1", "1.5", "12 kHz", "+5", "1_0", "٣", "18446744073709551616"]
)
def test_malformed_frequency_fails_as_read_uint_from_file(tmp_path, text: str) -> None:
    # procfs reads these with util.ReadUintFromFile: strconv.ParseUint(TrimSpace(text), 10, 64).
    (tmp_path / "scaling_cur_freq").write_text(text)
    with pytest.raises(NumberError):
        _read_frequency(str(tmp_path / "scaling_cur_freq"))


def test_read_cpufreq(tmp_path) -> None:
    (tmp_path / "scaling_cur_freq").write_text(" 800000\n")
    (tmp_path / "cpuinfo_max_freq").write_text("3000000\n")
    (tmp_path / "scaling_governor").write_text("powersave\n")
    assert read_cpufreq(str(tmp_path), "0") == CpufreqStats(
        "0", scaling_cur_freq=800000, cpuinfo_max_freq=3000000, scaling_governor="powersave"
    )


def test_governor_states() -> None:
    stats = CpufreqStats("0", scaling_governor="powersave",
                         scaling_available_governors="performance powersave")
    assert governor_states(stats) == [("performance", 0.0), ("powersave", 1.0)]


def test_no_active_governor_means_no_states() -> None:
    assert governor_states(CpufreqStats("0", scaling_available_governors="performance")) == []


def test_empty_names_in_governor_list_are_skipped() -> None:
    stats = CpufreqStats("0", scaling_governor="performance", scaling_available_governors="")
    assert governor_states(stats) == []
