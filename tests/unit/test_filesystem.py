import errno
import os

import pytest

from pyexporter.collectors.filesystem import (
    error_text,
    fs_stat,
    parse_mountinfo,
    strip_rootfs,
    unescape_mount_point,
)
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.numbers import NumberError

LINE = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"


def test_mountinfo_line() -> None:
    (mount,) = parse_mountinfo(LINE + "\n")
    assert (mount.major, mount.minor, mount.mount_point, mount.fs_type, mount.source) == (
        98, 0, "/mnt2", "ext3", "/dev/root",
    )
    assert mount.options == {"rw", "noatime"}
    assert mount.super_options == {"rw", "errors"}


def test_mountinfo_without_and_with_many_optional_fields() -> None:
    text = (
        "22 1 0:21 / /sys rw,nosuid - sysfs sysfs ro\n"
        "23 1 0:5 / /proc rw shared:1 master:2 unbindable - proc proc rw\n"
    )
    sys_mount, proc_mount = parse_mountinfo(text)
    assert sys_mount.super_options == {"ro"}
    assert (proc_mount.fs_type, proc_mount.source) == ("proc", "proc")


def test_empty_mountinfo() -> None:
    assert parse_mountinfo("") == []


@pytest.mark.parametrize(
    "text",
    [
        "36 35 98:0 /mnt1 /mnt2 rw - ext3",
        "36 35 98:0 /mnt1 /mnt2 rw master:1 x ext3 /dev/root rw",
        "36 35 98-0 /mnt1 /mnt2 rw master:1 - ext3 /dev/root rw",
        "a 35 98:0 /mnt1 /mnt2 rw master:1 - ext3 /dev/root rw",
        LINE + "\n\n" + LINE,
        "\x00garbage",
    ],
)
def test_malformed_mountinfo(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_mountinfo(text)


@pytest.mark.parametrize(
    ("field", "major", "minor"),
    # Sscanf("%d:%d") reads a signed decimal each side and ignores what follows the second.
    [("98:0", 98, 0), ("+8:-1", 8, -1), ("8:1:2", 8, 1), ("8:1x", 8, 1), ("08:01", 8, 1)],
)
def test_major_minor_are_read_as_sscanf_does(field: str, major: int, minor: int) -> None:
    (mount,) = parse_mountinfo(LINE.replace("98:0", field))
    assert (mount.major, mount.minor) == (major, minor)


@pytest.mark.parametrize("field", ["1_0:0", "٣:0", "8:", ":1", "x8:1", "99999999999999999999:0"])
def test_major_minor_that_sscanf_refuses(field: str) -> None:
    with pytest.raises(CollectorError):
        parse_mountinfo(LINE.replace("98:0", field))


@pytest.mark.parametrize("ids", ["3_6 35", "36 ٣", "36 99999999999999999999"])
def test_mount_ids_are_go_atoi(ids: str) -> None:
    # procfs reads the mount and parent ids with strconv.Atoi; int() took `_` and Arabic digits.
    with pytest.raises(NumberError):
        parse_mountinfo(LINE.replace("36 35", ids))


def test_unescape() -> None:
    assert unescape_mount_point("/mnt/a\\040b\\011c\\134d") == "/mnt/a b\tc\\134d"


@pytest.mark.parametrize(
    ("path", "rootfs", "expected"),
    [("/data", "/", "/data"), ("/host/data", "/host", "/data"), ("/host", "/host", "/"),
     ("/host/data", "/host/", "/data"), ("/other", "/host", "/other")],
)
def test_strip_rootfs(path: str, rootfs: str, expected: str) -> None:
    assert strip_rootfs(path, rootfs) == expected


def test_error_text_reads_as_go() -> None:
    assert error_text(FileNotFoundError(errno.ENOENT, "x")) == "no such file or directory"
    assert error_text(OSError(errno.EACCES, "x")) == "permission denied"
    assert error_text(OSError(errno.ESTALE, "x")) == "stale NFS file handle"
    assert error_text(OSError("custom")) == "custom"


def test_fs_stat_uses_block_size() -> None:
    result = os.statvfs_result((4096, 1024, 100, 50, 40, 1000, 900, 900, 0, 255))
    assert fs_stat(result) == (409600.0, 204800.0, 163840.0, 1000.0, 900.0)


def test_mountinfo_empty_optional_field_and_unknown_optional_tags() -> None:
    # procfs parseMountInfoString ("no optional values": a double space before the `-`;
    # "a mixture of valid and invalid optional values": unknown tags are ignored).
    text = (
        "225 20 0:39 / /run/user/112 rw,nosuid,nodev,relatime  - tmpfs tmpfs rw,size=405096k,mode=700\n"
        "226 20 0:40 / /run/user/113 ro,relatime shared:177 master:8 foo:bar - tmpfs tmpfs rw,uid=112\n"
    )
    first, second = parse_mountinfo(text)
    assert (first.mount_point, first.fs_type, first.source) == ("/run/user/112", "tmpfs", "tmpfs")
    assert first.super_options == {"rw", "size", "mode"}
    assert (second.major, second.minor, second.options) == (0, 40, {"ro", "relatime"})


def test_mountinfo_empty_source() -> None:
    # parseMountInfoString splits on single spaces: an empty source is an empty field.
    (mount,) = parse_mountinfo("30 1 0:50 / /mnt rw shared:5 - fuse.x  rw,user_id=0\n")
    assert (mount.fs_type, mount.source, mount.super_options) == ("fuse.x", "", {"rw", "user_id"})


def test_mountinfo_lines_end_at_newline_only() -> None:
    # bufio.Scanner (ScanLines) splits at \n: a form feed the kernel leaves in a mount point
    # stays part of it.
    (mount,) = parse_mountinfo("30 1 8:1 / /mnt/a\x0cb rw - ext4 /dev/sda1 rw\n")
    assert mount.mount_point == "/mnt/a\x0cb"
