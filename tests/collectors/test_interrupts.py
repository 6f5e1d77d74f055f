import pytest

from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree


def _value(families, cpu: str, kind: str, info: str, devices: str = "") -> float:
    return sample(families, "node_interrupts_total", cpu=cpu, type=kind, info=info, devices=devices)


def test_interrupts_from_fixture() -> None:
    families = run_collector("interrupts", fixture_paths("interrupts"))
    assert by_name(families)["node_interrupts_total"].type == "counter"
    assert _value(families, "0", "11", "GICv3", "27 Level arch_timer") == 5120
    assert _value(families, "1", "11", "GICv3", "27 Level arch_timer") == 0
    assert _value(families, "1", "14", "GICv3", "33 Level") == 300
    assert _value(families, "0", "40", "IO-APIC", "2-edge timer") == 12
    assert _value(families, "1", "IPI0", "Rescheduling interrupts") == 801
    assert _value(families, "1", "IPI1", "Function call interrupts") == 4
    assert _value(families, "0", "NMI", "Non-maskable interrupts") == 3
    assert len(samples(families)) == 12  # six rows of two CPUs; Err has no per-CPU columns


def test_include_zeros_off_drops_zero_samples() -> None:
    families = run_collector("interrupts", fixture_paths("interrupts"), {"include-zeros": False})
    assert len(samples(families)) == 8
    assert all(value != 0 for value in samples(families).values())


def test_name_filters_see_name_info_and_devices() -> None:
    included = run_collector("interrupts", fixture_paths("interrupts"), {"name-include": "^IPI"})
    assert {dict(labels)["type"] for _, labels in samples(included)} == {"IPI0", "IPI1"}
    excluded = run_collector("interrupts", fixture_paths("interrupts"), {"name-exclude": "timer"})
    assert {dict(labels)["type"] for _, labels in samples(excluded)} == {"14", "IPI0", "IPI1", "NMI"}


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("interrupts", Paths.under(str(tmp_path)))


def test_malformed_value_is_a_collector_error(tmp_path) -> None:
    paths = write_tree(tmp_path, {"proc/interrupts": "  CPU0\nNMI:   1x   Non-maskable interrupts\n"})
    with pytest.raises(CollectorError):
        run_collector("interrupts", paths)


@pytest.mark.parametrize(("text", "value"), [("0x1p4", 16.0), ("1_0", 10.0), ("1e3", 1000.0)])
def test_values_as_go_parse_float_reads_them(tmp_path, text: str, value: float) -> None:
    paths = write_tree(tmp_path, {"proc/interrupts": f"  CPU0\nNMI: {text} Non-maskable interrupts\n"})
    assert _value(run_collector("interrupts", paths), "0", "NMI", "Non-maskable interrupts") == value


@pytest.mark.parametrize("text", ["\u0661", "+nan", "1e400", "1__0"])
def test_values_go_parse_float_refuses_fail(tmp_path, text: str) -> None:
    paths = write_tree(tmp_path, {"proc/interrupts": f"  CPU0\nNMI: {text} Non-maskable interrupts\n"})
    with pytest.raises(CollectorError):
        run_collector("interrupts", paths)
