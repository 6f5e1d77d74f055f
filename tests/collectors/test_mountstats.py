import shutil

import pytest

from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples, write_tree

LABELS = {"export": "srv:/export", "protocol": "tcp", "mountaddr": "10.0.0.9"}


def test_mountstats_from_fixture() -> None:
    families = run_collector("mountstats", fixture_paths("mountstats"))
    p = "node_mountstats_nfs_"
    assert sample(families, p + "age_seconds_total", **LABELS) == 100
    assert sample(families, p + "mountpoint_info", **LABELS, mountpoint="/mnt/a") == 1
    assert sample(families, p + "mountpoint_info", **LABELS, mountpoint="/mnt/b") == 1
    assert sample(families, p + "read_bytes_total", **LABELS) == 10
    assert sample(families, p + "write_pages_total", **LABELS) == 80
    assert sample(families, p + "event_inode_revalidate_total", **LABELS) == 1
    assert sample(families, p + "event_vfs_file_release_total", **LABELS) == 18
    assert sample(families, p + "event_truncation_total", **LABELS) == 20
    assert sample(families, p + "event_pnfs_write_total", **LABELS) == 27
    xprt = {**LABELS, "transport": "0"}
    assert sample(families, p + "transport_bind_total", **xprt) == 1
    assert sample(families, p + "transport_connect_total", **xprt) == 2
    assert sample(families, p + "transport_idle_time_seconds", **xprt) == 5
    assert sample(families, p + "transport_sends_total", **xprt) == 300
    assert sample(families, p + "transport_maximum_rpc_slots", **xprt) == 16
    assert sample(families, p + "transport_pending_queue_total", **xprt) == 8
    read = {**LABELS, "operation": "READ"}
    assert sample(families, p + "operations_requests_total", **read) == 10
    assert sample(families, p + "operations_major_timeouts_total", **read) == 1
    assert sample(families, p + "operations_queue_time_seconds_total", **read) == 1.5
    assert sample(families, p + "operations_request_time_seconds_total", **read) == 4.0
    assert sample(families, p + "operations_errors_total", **read) == 3
    named = by_name(families)
    assert named[p + "transport_idle_time_seconds"].type == "gauge"
    assert named[p + "age_seconds_total"].type == "counter"
    # The second mount of the same export is a duplicate: only its mountpoint_info is kept.
    assert len(named[p + "age_seconds_total"].samples) == 1
    assert len(named[p + "operations_requests_total"].samples) == 2


def test_real_proc_self_directory(tmp_path) -> None:
    root = tmp_path / "root"
    shutil.copytree(fixture_paths("mountstats").procfs + "/7", root / "proc" / "self")
    families = run_collector("mountstats", write_tree(root, {}))
    assert sample(families, "node_mountstats_nfs_age_seconds_total", **LABELS) == 100


def test_no_mountstats_fails_the_collector(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        run_collector("mountstats", write_tree(tmp_path, {"proc/stat": ""}))


def test_no_nfs_mounts(tmp_path) -> None:
    paths = write_tree(tmp_path, {
        "proc/self/mountstats": "device rootfs mounted on / with fstype rootfs\n",
        "proc/self/mountinfo": "1 0 0:5 / / rw shared:1 - rootfs rootfs rw\n",
    })
    assert samples(run_collector("mountstats", paths)) == {}


def test_malformed_mountstats(tmp_path) -> None:
    paths = write_tree(tmp_path, {
        "proc/self/mountstats": "device x mounted on /m with fstype nfs statvers=9.9\n\txprt:\ttcp 1 2\n",
        "proc/self/mountinfo": "",
    })
    with pytest.raises(CollectorError):
        run_collector("mountstats", paths)
