import pytest

from pyexporter.collectors.cpu_vulnerabilities import Vulnerability, parse_vulnerability
from pyexporter.toolkit.collector import CollectorError


@pytest.mark.parametrize(
    ("text", "state", "mitigation"),
    [
        ("Not affected\n", "not affected", ""),
        ("Vulnerable\n", "vulnerable", ""),
        ("Vulnerable: Clear CPU buffers attempted, no microcode; SMT vulnerable\n", "vulnerable",
         "Clear CPU buffers attempted, no microcode; SMT vulnerable"),
        ("Mitigation: Retpolines, IBPB: conditional,  STIBP: always-on", "mitigation",
         "Retpolines, IBPB: conditional, STIBP: always-on"),
        ("Unknown: Dependent on hypervisor status", "unknown", "Dependent on hypervisor status"),
    ],
)
def test_states(text: str, state: str, mitigation: str) -> None:
    assert parse_vulnerability("x", text) == Vulnerability("x", state, mitigation)


@pytest.mark.parametrize("text", ["", "  \n", "Processor vulnerable"])
def test_malformed_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_vulnerability("x", text)


@pytest.mark.parametrize(
    ("text", "state", "mitigation"),
    [
        ("Vulnerable; SMT vulnerable", "vulnerable", "SMT vulnerable"),
        ("Mitigation: PTE Inversion; VMX: conditional cache flushes, SMT vulnerable", "mitigation",
         "PTE Inversion; VMX: conditional cache flushes, SMT vulnerable"),
        ("vulnerable: lower case", "vulnerable", "lower case"),
    ],
)
def test_mitigation_is_the_words_after_the_state(text: str, state: str, mitigation: str) -> None:
    # procfs parseVulnerability: the state matched on the lower-cased text, the mitigation
    # strings.Join(strings.Fields(text)[1:], " ").
    assert parse_vulnerability("x", text) == Vulnerability("x", state, mitigation)
