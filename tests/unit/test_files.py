"""The bounded, non-blocking readers of /proc and /sys files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyexporter.toolkit.files import RefusedFile, read_attribute, read_attributes


@pytest.fixture
def directory_fd(tmp_path: Path) -> Iterator[int]:
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def test_read_attributes_reads_what_read_attribute_reads(tmp_path: Path, directory_fd: int) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "empty").write_text("")
    (tmp_path / "long").write_bytes(b"x" * 5000)
    (tmp_path / "target").write_text("up\n")
    (tmp_path / "link").symlink_to("target")
    names = ["mtu", "empty", "long", "link"]
    got = read_attributes(directory_fd, names, 4096)
    assert got == {name: read_attribute(name, directory_fd, 4096) for name in names}
    assert got == {"mtu": b"1500\n", "empty": b"", "long": b"x" * 4096, "link": b"up\n"}
    assert list(got) == names  # in the order asked


def test_read_attributes_leaves_out_what_read_attribute_refuses(tmp_path: Path, directory_fd: int) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "subdir").mkdir()
    os.mkfifo(tmp_path / "fifo")  # would block a reader: refused unread
    (tmp_path / "zero").symlink_to("/dev/zero")  # would read for ever: refused unread
    (tmp_path / "dangling").symlink_to("nowhere")
    for name in ("subdir", "fifo", "zero", "dangling", "missing"):
        with pytest.raises(OSError) as caught:
            read_attribute(name, directory_fd)
        if name in ("subdir", "fifo", "zero"):
            assert isinstance(caught.value, RefusedFile)
    got = read_attributes(directory_fd, ["fifo", "mtu", "subdir", "zero", "dangling", "missing"])
    assert got == {"mtu": b"1500\n"}


def test_read_attributes_leaves_out_unreadable(tmp_path: Path, directory_fd: int) -> None:
    secret = tmp_path / "secret"
    secret.write_text("1\n")
    secret.chmod(0)
    if os.access(secret, os.R_OK):
        pytest.skip("running as root: permissions are not enforced")
    assert read_attributes(directory_fd, ["secret"]) == {}


def test_read_attributes_closes_every_descriptor(tmp_path: Path, directory_fd: int) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "subdir").mkdir()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        read_attributes(directory_fd, ["mtu", "subdir", "missing"])
    assert len(os.listdir("/proc/self/fd")) == before


def test_read_attributes_leaves_out_what_fails_to_read() -> None:
    """A real sysfs answers the read of a loopback's speed with EINVAL."""
    try:
        directory_fd = os.open("/sys/class/net/lo", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        pytest.skip("no /sys/class/net/lo here")
    try:
        with pytest.raises(OSError):
            read_attribute("speed", directory_fd)
        assert read_attributes(directory_fd, ["speed", "mtu"]) == {"mtu": read_attribute("mtu", directory_fd)}
    finally:
        os.close(directory_fd)
