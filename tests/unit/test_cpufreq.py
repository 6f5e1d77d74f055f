
import pytest

from pyexporter.collectors.cpufreq import CpufreqStats, _read_frequency, governor_states, read_cpufreq
from pyexporter.toolkit.collector import CollectorError
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


def _strings(directory, governor: str = "powersave\n") -> None:
    for name, text in (("scaling_available_governors", "performance powersave\n"),
                       ("scaling_driver", "intel_pstate\n"), ("scaling_governor", governor),
                       ("related_cpus", "0\n"), ("scaling_setspeed", "<unsupported>\n")):
        (directory / name).write_text(text)


def test_read_cpufreq(tmp_path) -> None:
    (tmp_path / "scaling_cur_freq").write_text(" 800000\n")
    (tmp_path / "cpuinfo_max_freq").write_text("3000000\n")
    _strings(tmp_path)
    assert read_cpufreq(str(tmp_path), "0") == CpufreqStats(
        "0", scaling_cur_freq=800000, cpuinfo_max_freq=3000000, scaling_governor="powersave",
        scaling_available_governors="performance powersave",
    )


@pytest.mark.parametrize(
    "name", ["scaling_available_governors", "scaling_driver", "scaling_governor", "related_cpus", "scaling_setspeed"])
def test_string_attributes_are_required(tmp_path, name: str) -> None:
    # parseCpufreqCpuinfo: any error reading one of its five string files fails SystemCpufreq.
    _strings(tmp_path)
    (tmp_path / name).unlink()
    with pytest.raises(FileNotFoundError):
        read_cpufreq(str(tmp_path), "0")


@pytest.mark.parametrize("name", ["cpuinfo_avg_freq", "cpuinfo_transition_latency"])
def test_unexported_uints_are_still_checked(tmp_path, name: str) -> None:
    # parseCpufreqCpuinfo parses cpuinfo_avg_freq and cpuinfo_transition_latency too.
    _strings(tmp_path)
    (tmp_path / name).write_text("n/a\n")
    with pytest.raises(NumberError):
        read_cpufreq(str(tmp_path), "0")


@pytest.mark.parametrize(
    ("name", "text"),
    [("total_trans", "many\n"), ("time_in_state", "800000 1 2\n"), ("time_in_state", "800000 x\n"),
     ("trans_table", "   From  :    To\n         :    800000\n   800000:  y\n")],
)
def test_malformed_stats_fail(tmp_path, name: str, text: str) -> None:
    # parseCpufreqCpuinfo: stats/ files are optional, but parsed when present.
    _strings(tmp_path)
    (tmp_path / "stats").mkdir()
    (tmp_path / "stats" / name).write_text(text)
    with pytest.raises(CollectorError):
        read_cpufreq(str(tmp_path), "0")


def test_well_formed_stats(tmp_path) -> None:
    _strings(tmp_path)
    (tmp_path / "stats").mkdir()
    (tmp_path / "stats" / "total_trans").write_text("7\n")
    (tmp_path / "stats" / "time_in_state").write_text("800000 10\n3000000 20\n")
    (tmp_path / "stats" / "trans_table").write_text(
        "   From  :    To\n         :    800000   3000000 \n   800000:         0         3 \n")
    assert read_cpufreq(str(tmp_path), "0").scaling_governor == "powersave"


def test_governor_states() -> None:
    stats = CpufreqStats("0", scaling_governor="powersave",
                         scaling_available_governors="performance powersave")
    assert governor_states(stats) == [("performance", 0.0), ("powersave", 1.0)]


def test_no_active_governor_means_no_states() -> None:
    assert governor_states(CpufreqStats("0", scaling_available_governors="performance")) == []


def test_governor_list_is_split_on_single_spaces() -> None:
    # cpuFreqCollector.Update: strings.Split(AvailableGovernors, " "), so an empty list is one
    # empty name.
    stats = CpufreqStats("0", scaling_governor="performance", scaling_available_governors="")
    assert governor_states(stats) == [("", 0.0)]


def test_absent_cpufreq_directory_is_skipped_and_a_file_fails(tmp_path) -> None:
    # SystemCpufreq skips a CPU whose cpufreq os.Stat's as not existing; a cpufreq that is a file
    # passes its os.Stat, and reading the attributes below it fails.
    assert read_cpufreq(str(tmp_path / "cpufreq"), "0") is None
    (tmp_path / "cpufreq").write_text("")
    with pytest.raises(NotADirectoryError):
        read_cpufreq(str(tmp_path / "cpufreq"), "0")


def test_attributes_that_are_not_files_fail(tmp_path) -> None:
    # A FIFO or a directory where a listed attribute belongs is refused, not read.
    import os

    from pyexporter.toolkit.files import RefusedFile

    _strings(tmp_path)
    os.mkfifo(tmp_path / "scaling_cur_freq")
    with pytest.raises(RefusedFile):
        read_cpufreq(str(tmp_path), "0")
    (tmp_path / "scaling_cur_freq").unlink()
    (tmp_path / "scaling_driver").unlink()
    (tmp_path / "scaling_driver").mkdir()
    with pytest.raises(RefusedFile):
        read_cpufreq(str(tmp_path), "0")


def test_string_attributes_read_through_links(tmp_path) -> None:
    # Fixture trees may hold attributes as links: followed, and checked as read_text checked them.
    _strings(tmp_path)
    (tmp_path / "scaling_governor").unlink()
    (tmp_path / "governor").write_text("performance\r\n")
    (tmp_path / "scaling_governor").symlink_to("governor")
    assert read_cpufreq(str(tmp_path), "0").scaling_governor == "performance"
