import pytest

from pyexporter.collectors.interrupts import Interrupt, parse_interrupts
from pyexporter.toolkit.collector import CollectorError

X86 = """           CPU0       CPU1
  0:         18          0  IR-IO-APIC-edge      timer
 16:     328511     322879  IR-IO-APIC-fasteoi   ehci_hcd:usb1, mmc0
 17:          1          2  IR-IO-APIC-fasteoi
NMI:         47       5031   Non-maskable interrupts
ERR:          0
MIS:          0
"""


def test_numbered_and_named_rows() -> None:
    rows = parse_interrupts(X86)
    assert rows["0"] == Interrupt("0", "IR-IO-APIC-edge", "timer", ("18", "0"))
    assert rows["16"] == Interrupt("16", "IR-IO-APIC-fasteoi", "ehci_hcd:usb1, mmc0", ("328511", "322879"))
    assert rows["17"] == Interrupt("17", "IR-IO-APIC-fasteoi", "", ("1", "2"))
    assert rows["NMI"] == Interrupt("NMI", "Non-maskable interrupts", "", ("47", "5031"))
    assert "ERR" not in rows and "MIS" not in rows


def test_no_space_after_colon() -> None:
    rows = parse_interrupts("  CPU0 CPU1\nIPI1:0 4   Function call interrupts\n")
    assert rows["IPI1"] == Interrupt("IPI1", "Function call interrupts", "", ("0", "4"))


def test_header_only_and_truncated_rows() -> None:
    assert parse_interrupts("   CPU0  CPU1\n") == {}
    assert parse_interrupts("   CPU0  CPU1\n  5:   1\nno colon here\n") == {}


def test_empty_is_an_error() -> None:
    with pytest.raises(CollectorError):
        parse_interrupts("")


def test_garbage_values_are_kept_as_text() -> None:
    # The values are checked when they become samples, as node_exporter does.
    rows = parse_interrupts("CPU0\nNMI: abc Non-maskable\n")
    assert rows["NMI"].values == ("abc",)


@pytest.mark.parametrize(("name", "numbered"), [
    ("16", True), ("+16", True), ("-1", True),
    # strconv.Atoi refuses these, so node_exporter takes the rest of the row as info.
    ("\u0661\u0666", False), ("1_6", False), ("99999999999999999999", False), ("0x10", False),
])
def test_numbered_as_strconv_atoi_decides(name: str, numbered: bool) -> None:
    row = parse_interrupts(f"CPU0\n{name}: 1 IO-APIC timer\n")[name]
    assert (row.info, row.devices) == (("IO-APIC", "timer") if numbered else ("IO-APIC timer", ""))
