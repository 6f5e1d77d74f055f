import pytest

from pyexporter.collectors.nvmesubsystem import STATES, normalize_controller_state


@pytest.mark.parametrize(("raw", "state"), [
    ("live", "live"), ("connecting", "connecting"), ("resetting", "resetting"), ("dead", "dead"),
    # kept as they are, so that none of the path_state samples is 1
    ("deleting", "deleting"), ("deleting (no IO)", "deleting"), ("new", "new"),
    ("", "unknown"), ("Live", "unknown"), ("live ", "unknown"), ("suspended", "unknown"),
])
def test_normalize_controller_state(raw: str, state: str) -> None:
    """nvmesubsystem_linux.go normalizeControllerState."""
    assert normalize_controller_state(raw) == state


def test_states_in_node_exporter_order() -> None:
    """nvmeMetricStates, the path_state label values: nvmeControllerStateMap's values and unknown,
    sorted."""
    assert STATES == ("connecting", "dead", "deleting", "live", "new", "resetting", "unknown")
