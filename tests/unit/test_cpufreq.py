import pytest

from pyexporter.collectors.cpufreq import CpufreqStats, governor_states, parse_frequency
from pyexporter.toolkit.collector import CollectorError


def test_frequency() -> None:
    assert parse_frequency("scaling_cur_freq", "1699981\n") == 1699981


@pytest.mark.parametrize("text", ["", "\n", "<unsupported>", "-1", "1.5", "12 kHz"])
def test_malformed_frequency_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_frequency("scaling_cur_freq", text)


def test_governor_states() -> None:
    stats = CpufreqStats("0", scaling_governor="powersave",
                         scaling_available_governors="performance powersave")
    assert governor_states(stats) == [("performance", 0.0), ("powersave", 1.0)]


def test_no_active_governor_means_no_states() -> None:
    assert governor_states(CpufreqStats("0", scaling_available_governors="performance")) == []


def test_empty_names_in_governor_list_are_skipped() -> None:
    stats = CpufreqStats("0", scaling_governor="performance", scaling_available_governors="")
    assert governor_states(stats) == []
