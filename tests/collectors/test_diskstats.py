import re

import pytest

from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, fixture_paths, run_collector, sample, samples

PATHS = fixture_paths("diskstats")


def test_counters_scaled_as_node_exporter() -> None:
    families = run_collector("diskstats", PATHS)
    assert sample(families, "node_disk_reads_completed_total", device="sda") == 100
    assert sample(families, "node_disk_reads_merged_total", device="sda") == 5
    assert sample(families, "node_disk_read_bytes_total", device="sda") == 2048 * 512
    assert sample(families, "node_disk_read_time_seconds_total", device="sda") == 1.5
    assert sample(families, "node_disk_writes_completed_total", device="sda") == 200
    assert sample(families, "node_disk_writes_merged_total", device="sda") == 10
    assert sample(families, "node_disk_written_bytes_total", device="sda") == 4096 * 512
    assert sample(families, "node_disk_write_time_seconds_total", device="sda") == 2.5
    assert sample(families, "node_disk_io_now", device="sda") == 3
    assert sample(families, "node_disk_io_time_seconds_total", device="sda") == 3.0
    assert sample(families, "node_disk_io_time_weighted_seconds_total", device="sda") == 4.5
    assert sample(families, "node_disk_discards_completed_total", device="sda") == 40
    assert sample(families, "node_disk_discards_merged_total", device="sda") == 1
    assert sample(families, "node_disk_discarded_sectors_total", device="sda") == 800
    assert sample(families, "node_disk_discard_time_seconds_total", device="sda") == 0.25
    assert sample(families, "node_disk_flush_requests_total", device="sda") == 60
    assert sample(families, "node_disk_flush_requests_time_seconds_total", device="sda") == 0.125
    types = {name: f.type for name, f in by_name(families).items()}
    assert types["node_disk_io_now"] == "gauge"
    assert types["node_disk_reads_completed_total"] == "counter"


def test_only_the_fields_the_kernel_gave() -> None:
    got = samples(run_collector("diskstats", PATHS))
    devices = {dict(labels)["device"] for (name, labels) in got if name == "node_disk_discards_completed_total"}
    assert devices == {"sda", "dm-0"}
    devices = {dict(labels)["device"] for (name, labels) in got if name == "node_disk_flush_requests_total"}
    assert devices == {"sda"}
    assert sample(run_collector("diskstats", PATHS), "node_disk_reads_completed_total", device="vdb") == 7


def test_default_exclude_drops_partitions_and_loops_and_short_lines() -> None:
    got = samples(run_collector("diskstats", PATHS))
    devices = {dict(labels)["device"] for (name, labels) in got if name == "node_disk_info"}
    assert devices == {"sda", "dm-0", "vdb"}


def test_info_from_udev_and_queue() -> None:
    families = run_collector("diskstats", PATHS)
    assert sample(
        families, "node_disk_info", device="sda", major="8", minor="0", path="pci-0000:00:1f.2-ata-1",
        wwn="0x5000c500aaaabbbb", model="EXAMPLE_DISK", serial="SHORT1234", revision="1.0A", rotational="1",
    ) == 1
    # vdb's queue directory holds only `rotational` (which says 1): SysBlockDeviceQueueStats fails
    # on the first file missing, and node_exporter reports the empty record's 0.
    assert sample(
        families, "node_disk_info", device="vdb", major="254", minor="16", path="", wwn="", model="",
        serial="virtio-serial-9", revision="", rotational="0",
    ) == 1
    assert sample(
        families, "node_disk_filesystem_info", device="sda", type="LVM2_member", usage="raid", uuid="aBcD-1234",
        version="LVM2 001",
    ) == 1
    dm_labels = {"device": "dm-0", "name": "vg0-root", "uuid": "LVM-abcdef", "vg_name": "vg0", "lv_name": "root",
                 "lv_layer": ""}
    assert samples(families)[("node_disk_device_mapper_info", frozenset(dm_labels.items()))] == 1
    # Upstream's e2e output has no family for a device mapper device's slaves (some forks do).
    assert not any(f.name.startswith("node_disk_device_mapper_backing") for f in families)


def test_ata_gauges() -> None:
    families = run_collector("diskstats", PATHS)
    assert sample(families, "node_disk_ata_write_cache", device="sda") == 1
    assert sample(families, "node_disk_ata_write_cache_enabled", device="sda") == 0
    assert sample(families, "node_disk_ata_rotation_rate_rpm", device="sda") == 7200
    # vdb's rotation rate does not parse: left out, as node_exporter does.
    assert ("node_disk_ata_rotation_rate_rpm", frozenset({("device", "vdb")})) not in samples(families)


def test_device_include_alone_replaces_default_exclude() -> None:
    got = samples(run_collector("diskstats", PATHS, {"device-include": "^sda"}))
    devices = {dict(labels)["device"] for (name, labels) in got if name == "node_disk_info"}
    assert devices == {"sda", "sda1"}


def test_device_exclude() -> None:
    got = samples(run_collector("diskstats", PATHS, {"device-exclude": "^(sda|dm-)"}))
    devices = {dict(labels)["device"] for (name, labels) in got if name == "node_disk_info"}
    assert devices == {"vdb", "loop0"}


def test_include_and_exclude_are_mutually_exclusive() -> None:
    with pytest.raises(FlagValueError):
        run_collector("diskstats", PATHS, {"device-include": "sda", "device-exclude": re.compile("vd")})


def test_no_sysfs_or_udev_still_reports_counters(tmp_path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "diskstats").write_text("8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n")
    families = run_collector("diskstats", Paths.under(str(tmp_path)))
    assert sample(
        families, "node_disk_info", device="sda", major="8", minor="0", path="", wwn="", model="", serial="",
        revision="", rotational="0",
    ) == 1
    names = set(by_name(families))
    assert "node_disk_filesystem_info" not in names
    # A family without samples is not printed at all by node_exporter: an 11-counter line
    # declares no discard or flush family.
    assert "node_disk_discards_completed_total" not in names


def test_no_block_devices_at_all(tmp_path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "diskstats").write_text("")
    assert samples(run_collector("diskstats", Paths.under(str(tmp_path)))) == {}


def test_missing_diskstats_raises(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("diskstats", Paths.under(str(tmp_path)))


def test_malformed_diskstats_is_a_collector_error(tmp_path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "diskstats").write_text("8 0 sda 1 2 three 4 5 6 7 8 9 10 11\n")
    with pytest.raises(CollectorError):
        run_collector("diskstats", Paths.under(str(tmp_path)))


def test_no_disks_gives_no_families(tmp_path) -> None:
    # ProcDiskstats finds no line of 14+ fields: node_exporter sends no metric at all.
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "diskstats").write_text("   7       0 loop0 1 2 3\n")
    assert run_collector("diskstats", Paths.under(str(tmp_path))) == []


def _one_disk(tmp_path, udev: str) -> Paths:
    (tmp_path / "proc").mkdir(exist_ok=True)
    (tmp_path / "proc" / "diskstats").write_text("8 0 sda " + " ".join(["1"] * 11) + "\n")
    (tmp_path / "udev" / "data").mkdir(parents=True, exist_ok=True)
    entry = tmp_path / "udev" / "data" / "b8:0.tmp"
    entry.write_text(udev)
    entry.replace(tmp_path / "udev" / "data" / "b8:0")  # as udev writes its database
    return Paths.under(str(tmp_path))


def test_udev_entry_and_devices_followed_from_scrape_to_scrape(tmp_path) -> None:
    from pyexporter.collectors import load_all

    paths = _one_disk(tmp_path, "E:ID_MODEL=one\n")
    collector = load_all()["diskstats"].build(paths, None)
    assert sample(list(collector.collect()), "node_disk_info", device="sda", major="8", minor="0", path="", wwn="",
                  model="one", serial="", revision="", rotational="0") == 1
    _one_disk(tmp_path, "E:ID_MODEL=two\n")
    assert sample(list(collector.collect()), "node_disk_info", device="sda", major="8", minor="0", path="", wwn="",
                  model="two", serial="", revision="", rotational="0") == 1
    (tmp_path / "udev" / "data" / "b8:0").unlink()
    assert sample(list(collector.collect()), "node_disk_info", device="sda", major="8", minor="0", path="", wwn="",
                  model="", serial="", revision="", rotational="0") == 1
    # What is kept for a device goes with it.
    (tmp_path / "proc" / "diskstats").write_text("8 16 sdb " + " ".join(["1"] * 11) + "\n")
    list(collector.collect())
    assert list(collector._udev_entries) == [(8, 16)] and list(collector._queues) == ["sdb"]
