import time

import pytest

from pyexporter.collectors.diskstats import (
    _QUEUE_FILES,
    _queue_rotational,
    parse_diskstats,
    parse_udev_properties,
    queue_listing,
    udev_info,
)
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.static import RACY_NS, DirectoryCache
from tests.helpers import captured_logs, run_collector, samples


def test_field_counts_of_every_kernel_generation() -> None:
    text = (
        "   8  0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
        "   8 16 sdb 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
        "   8 32 sdc 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
    )
    stats = parse_diskstats(text)
    assert [(s.major, s.minor, s.device, len(s.counters)) for s in stats] == [
        (8, 0, "sda", 11), (8, 16, "sdb", 15), (8, 32, "sdc", 17),
    ]
    assert stats[2].counters[-1] == 17


def test_fields_past_the_twentieth_are_ignored() -> None:
    (stat,) = parse_diskstats("8 0 sda " + " ".join(str(i) for i in range(1, 25)))
    assert stat.counters == tuple(range(1, 18))


@pytest.mark.parametrize("text", ["", "\n\n", "8 0", "8 0 sda 1 2 3 4 5 6 7 8 9 10"])
def test_empty_and_truncated_lines_are_skipped(text: str) -> None:
    assert parse_diskstats(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "8 0 sda 1 2 x 4 5 6 7 8 9 10 11",
        "a 0 sda 1 2 3 4 5 6 7 8 9 10 11",
        "8 0 sda -1 2 3 4 5 6 7 8 9 10 11",
        "8 0 sda 1 x",  # short lines are skipped only when what they hold parses
    ],
)
def test_garbage_is_a_collector_error(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_diskstats(text)


def test_counter_beyond_uint64_is_an_error() -> None:
    with pytest.raises(CollectorError):
        parse_diskstats("8 0 sda " + " ".join(["1"] * 10 + [str(2**64)]))


def test_udev_properties() -> None:
    text = "S:disk/by-id/x\nE:ID_MODEL=Disk One\nE:ID_FS_VERSION=LVM2 001\nE:BROKEN\nE:A=b=c\nI:123\n"
    assert parse_udev_properties(text) == {"ID_MODEL": "Disk One", "ID_FS_VERSION": "LVM2 001", "A": "b=c"}
    assert parse_udev_properties("") == {}


def test_device_numbers_are_uint32() -> None:
    # procfs scans major and minor with %d into uint32s: larger numbers are an error.
    with pytest.raises(CollectorError):
        parse_diskstats(f"{2**32} 0 sda " + " ".join(["1"] * 11))
    (stat,) = parse_diskstats(f"{2**32 - 1} 0 sda " + " ".join(["1"] * 11))
    assert stat.major == 2**32 - 1


@pytest.mark.parametrize("counter", ["+1", "1_0", "٣"])
def test_counters_are_ascii_digits(counter: str) -> None:
    # Sscanf's %d reads ASCII digits only; Python's int() took the sign, `_` and the Arabic digit.
    with pytest.raises(CollectorError):
        parse_diskstats("8 0 sda " + " ".join(["1"] * 10 + [counter]))


@pytest.mark.parametrize(("text", "value"), [("1\n", 1), (" 1 \n", 1), ("0", 0), ("+1\n", 0), ("1_0\n", 0),
                                             ("٣\n", 0), ("18446744073709551616\n", 0), ("", 0)])
def test_rotational_is_read_uint_from_file_or_zero(tmp_path, text: str, value: int) -> None:
    for name in _QUEUE_FILES:
        (tmp_path / name).write_text("0\n")
    (tmp_path / "rotational").write_text(text)
    assert _queue_rotational(queue_listing(str(tmp_path))) == value
    assert _queue_rotational(queue_listing(str(tmp_path / "absent"))) == 0


@pytest.mark.parametrize("missing", ["io_timeout", "write_same_max_bytes", "scheduler", "wbt_lat_usec", "zoned"])
def test_rotational_is_zero_when_a_required_queue_file_is_missing(tmp_path, missing: str) -> None:
    """procfs SysBlockDeviceQueueStats returns an empty record on the first file it cannot read,
    and node_exporter's updateStats then reports rotational 0 for a spinning disk."""
    for name in _QUEUE_FILES | {"throttle_sample_time"}:
        (tmp_path / name).write_text("1\n")
    queue = queue_listing(str(tmp_path))
    assert _queue_rotational(queue) == 1
    (tmp_path / "throttle_sample_time").unlink()  # optional
    assert _queue_rotational(queue) == 1
    (tmp_path / missing).unlink()
    assert _queue_rotational(queue) == 0
    (tmp_path / missing).write_text("1\n")
    assert _queue_rotational(queue) == 1


def test_queue_is_listed_only_for_a_rotational_disk(tmp_path) -> None:
    (tmp_path / "rotational").write_text("0\n")  # every other required file is missing
    listings: list[list[str]] = []
    queue = DirectoryCache(str(tmp_path), lambda names: listings.append(names) or False)
    assert _queue_rotational(queue) == 0
    assert listings == []
    (tmp_path / "rotational").write_text("1\n")
    assert _queue_rotational(queue) == 0
    assert listings == [["rotational"]]


def test_queue_listing_kept_while_the_directory_is_unchanged(tmp_path) -> None:
    for name in _QUEUE_FILES:
        (tmp_path / name).write_text("1\n")
    listings: list[list[str]] = []
    queue = DirectoryCache(str(tmp_path), lambda names: listings.append(names) or _QUEUE_FILES.issubset(names),
                           clock=lambda: time.time_ns() + 10 * RACY_NS)
    assert [_queue_rotational(queue) for _ in range(3)] == [1, 1, 1]
    assert len(listings) == 1
    # rotational is writable (echo 0 > queue/rotational): read on every scrape, never kept.
    (tmp_path / "rotational").write_text("0\n")
    assert _queue_rotational(queue) == 0
    (tmp_path / "rotational").write_text("1\n")
    time.sleep(0.05)  # past the coarse clock's tick that stamped the directory's last change
    (tmp_path / "zoned").unlink()
    assert _queue_rotational(queue) == 0
    assert len(listings) == 2


@pytest.mark.parametrize(("length", "kept"), [(65535, True), (65536, False)])
def test_udev_scan_stops_at_a_line_too_long_for_go_scanner(length: int, kept: bool) -> None:
    # bufio.Scanner's buffer holds 64 KiB: a line of 65536 bytes before its \n ends the scan
    # (ErrTooLong, which node_exporter does not check), so later properties are lost; "é" is 2 bytes.
    value = "é" * ((length - len("E:LONG=")) // 2) + "x" * ((length - len("E:LONG=")) % 2)
    text = f"E:A=1\nE:LONG={value}\nE:B=2\n"
    expected = {"A": "1", "LONG": value, "B": "2"} if kept else {"A": "1"}
    assert parse_udev_properties(text) == expected
    assert parse_udev_properties(text.rstrip("\n")) == (expected if kept else {"A": "1"})


def test_udev_lines_are_cut_as_go_scan_lines() -> None:
    # bufio.ScanLines cuts at \n only and drops one \r before it (also on a last line without \n).
    text = "E:A=1\r\nE:B=x\ry\nE:C=p\x0bq\x1cr\u2028s\x85t\nE:D=\r\r\nE:E=last\r"
    assert parse_udev_properties(text) == {"A": "1", "B": "x\ry", "C": "p\x0bq\x1cr\u2028s\x85t", "D": "\r",
                                           "E": "last"}


def _ata_disk(tmp_path, rpm: str) -> Paths:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "diskstats").write_text("8 0 sda " + " ".join(["1"] * 11) + "\n")
    (tmp_path / "udev" / "data").mkdir(parents=True)
    (tmp_path / "udev" / "data" / "b8:0").write_text(f"E:ID_ATA=1\nE:ID_ATA_ROTATION_RATE_RPM={rpm}\n")
    return Paths(procfs=str(tmp_path / "proc"), sysfs=str(tmp_path / "sys"), udev_data=str(tmp_path / "udev" / "data"))


@pytest.mark.parametrize(("rpm", "value"), [("7200", 7200.0), ("1e3", 1000.0), ("1_0", 10.0), ("0x1p4", 16.0)])
def test_ata_values_are_go_parse_float(tmp_path, rpm: str, value: float) -> None:
    families = run_collector("diskstats", _ata_disk(tmp_path, rpm))
    assert samples(families)[("node_disk_ata_rotation_rate_rpm", frozenset({("device", "sda")}))] == value


@pytest.mark.parametrize("rpm", ["", " 1", "fast", "1e400", "+nan", "٣"])
def test_unparsable_ata_values_are_logged_and_skipped(tmp_path, rpm: str) -> None:
    with captured_logs() as logs:
        families = run_collector("diskstats", _ata_disk(tmp_path, rpm))
    assert not any(name == "node_disk_ata_rotation_rate_rpm" for name, _ in samples(families))
    assert any(r.getMessage() == "Failed to parse ATA value" and r.kv["value"] == rpm  # type: ignore[attr-defined]
               for r in logs.records)


_LOOP = "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
_VDA = " 254       0 vda 1 2 3 4 5 6 7 8 0 9 10 11 12 13 14 15 16\n"


def test_kept_devices_only_but_every_line_checked() -> None:
    names: list[list[str]] = []

    def keep(devices: list[str]) -> list[int]:
        names.append(list(devices))
        return [i for i, d in enumerate(devices) if not d.startswith("loop")]

    (stat,) = parse_diskstats(_LOOP + _VDA + _LOOP.replace("loop0", "loop1"), keep)
    assert names == [["loop0", "vda", "loop1"]]
    assert stat == (254, 0, "vda", (1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 10, 11, 12, 13, 14, 15, 16))
    # A line that is not reported is still parsed, as procfs parses every line.
    with pytest.raises(CollectorError, match="'x'"):
        parse_diskstats(_LOOP.replace(" 0\n", " x\n") + _VDA, keep)
    assert parse_diskstats(_LOOP + _VDA, lambda devices: []) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # The kernel's shape, numbers checked as one batch: a fault goes to the line-by-line parser,
        # which names the first field at fault.
        (_VDA + _LOOP.replace("0 0 0\n", "0 +1 0\n") + _LOOP.replace(" 0\n", " x\n"), "'\\+1'"),
        (_VDA + _LOOP.replace(" 0\n", f" {2**64}\n"), "out of range"),
        (f"{2**32} 0 sda" + " 1" * 17 + "\n" + _VDA, "out of range"),
        # Not the kernel's shape (lines of different lengths), read line by line.
        (_VDA + "8 0 sda" + " 1" * 10 + " -1\n", "'-1'"),
    ],
)
def test_faults_in_the_kernels_shape_are_those_of_the_careful_parser(text: str, error: str) -> None:
    with pytest.raises(CollectorError, match=error):
        parse_diskstats(text)
    with pytest.raises(CollectorError, match=error):
        parse_diskstats(text, lambda devices: [])


def test_long_device_numbers_read_line_by_line() -> None:
    # Majors and minors of more than 9 characters may be beyond 32 bits: the careful parser reads them.
    (stat,) = parse_diskstats("0000000008 0000000016 sdb" + " 1" * 17 + "\n")
    assert (stat.major, stat.minor) == (8, 16)
    (stat,) = parse_diskstats(f"{2**32 - 1} 0 sdb" + " 1" * 17 + "\n" + f"8 0 sda{' 1' * 17}\n",
                              lambda devices: [0])
    assert stat.major == 2**32 - 1


def test_udev_info() -> None:
    info = udev_info({"ID_PATH": "p", "ID_SERIAL": "s", "ID_SERIAL_SHORT": "short", "ID_FS_TYPE": "ext4",
                      "DM_NAME": "dm", "ID_ATA": "1", "ID_ATA_ROTATION_RATE_RPM": "7200"})
    assert info.info == ("p", "", "", "short", "")
    assert info.filesystem == ("ext4", "", "", "")
    assert info.mapper == ("dm", "", "", "", "")
    assert info.ata == ((2, "ID_ATA_ROTATION_RATE_RPM", "7200"),)
    assert udev_info({"ID_ATA_WRITE_CACHE": "1", "ID_FS_TYPE": ""}) == (("", "", "", "", ""), None, None, ())
