from pathlib import Path

import pytest

from pyexporter.toolkit.collector import CollectorError, NoDataError
from tests.helpers import by_name, fixture_paths, run_collector, sample, write_tree


def test_drbd_from_fixture() -> None:
    families = run_collector("drbd", fixture_paths("drbd"))
    assert sample(families, "node_drbd_network_sent_bytes_total", device="drbd0") == 10 * 1024
    assert sample(families, "node_drbd_network_received_bytes_total", device="drbd0") == 20
    assert sample(families, "node_drbd_disk_written_bytes_total", device="drbd0") == 30 * 1024
    assert sample(families, "node_drbd_disk_read_bytes_total", device="drbd0") == 40 * 1024
    assert sample(families, "node_drbd_activitylog_writes_total", device="drbd0") == 5
    assert sample(families, "node_drbd_bitmap_writes_total", device="drbd0") == 6
    assert sample(families, "node_drbd_local_pending", device="drbd0") == 1
    assert sample(families, "node_drbd_remote_pending", device="drbd0") == 2
    assert sample(families, "node_drbd_remote_unacknowledged", device="drbd0") == 3
    assert sample(families, "node_drbd_application_pending", device="drbd0") == 4
    assert sample(families, "node_drbd_epochs", device="drbd2") == 1
    assert sample(families, "node_drbd_out_of_sync_bytes", device="drbd0") == 7 * 1024
    assert sample(families, "node_drbd_connected", device="drbd0") == 1
    assert sample(families, "node_drbd_connected", device="drbd2") == 0
    assert sample(families, "node_drbd_node_role_is_primary", device="drbd0", node="local") == 1
    assert sample(families, "node_drbd_node_role_is_primary", device="drbd0", node="remote") == 0
    assert sample(families, "node_drbd_disk_state_is_up_to_date", device="drbd0", node="local") == 1
    assert sample(families, "node_drbd_disk_state_is_up_to_date", device="drbd2", node="local") == 0
    named = by_name(families)
    assert named["node_drbd_network_sent_bytes_total"].type == "counter"
    assert named["node_drbd_out_of_sync_bytes"].type == "gauge"
    assert len(named) == 15


def test_drbd_absent(tmp_path: Path) -> None:
    with pytest.raises(NoDataError):  # node_exporter: ErrNoData
        run_collector("drbd", write_tree(tmp_path, {"proc/stat": ""}))


@pytest.mark.parametrize("text", [" 0: ns:many\n", " 0: ro:Primary\n"])
def test_drbd_malformed(tmp_path: Path, text: str) -> None:
    with pytest.raises(CollectorError):
        run_collector("drbd", write_tree(tmp_path, {"proc/drbd": text}))
