"""The bounded, non-blocking readers of /proc and /sys files."""

from __future__ import annotations

import errno
import os
import resource
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyexporter.toolkit.files import (
    KEPT_MAX,
    KeptAttributes,
    KeptBudget,
    Listing,
    RefusedFile,
    kept_limit,
    list_attributes,
    read_attribute,
    read_attributes,
    read_bytes,
    read_text,
    scan_lines,
    universal_newlines,
)


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


def test_read_attributes_raises_what_is_not_absent(tmp_path: Path, directory_fd: int) -> None:
    # Parsers that fail as Go's do (cpufreq) skip only the errors they name.
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "subdir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    assert read_attributes(directory_fd, ["missing", "mtu"], absent=(FileNotFoundError,)) == {"mtu": b"1500\n"}
    with pytest.raises(FileNotFoundError):
        read_attributes(directory_fd, ["mtu", "missing"], absent=())
    for name in ("subdir", "fifo"):
        with pytest.raises(RefusedFile):
            read_attributes(directory_fd, [name], absent=(FileNotFoundError,))


def test_read_attributes_by_path_without_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "online").write_text("1\n")
    path = str(tmp_path / "a" / "online")
    assert read_attributes(None, [path, str(tmp_path / "b" / "online")]) == {path: b"1\n"}


def test_list_attributes_gives_the_listed_types(tmp_path: Path, directory_fd: int) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "subdir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to("mtu")
    assert list_attributes(directory_fd) == Listing(
        frozenset({"mtu", "subdir", "fifo", "link"}), frozenset({"mtu"}), {"mtu": os.stat(tmp_path / "mtu").st_ino})


def test_listed_regular_files_read_alike(tmp_path: Path, directory_fd: int) -> None:
    # Names the listing gives as regular files skip the fstat check, and read as before; a link
    # is not in the listing's regular files, so it is followed and checked.
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "link").symlink_to("mtu")
    (tmp_path / "zero").symlink_to("/dev/zero")
    listing = list_attributes(directory_fd)
    names = ["mtu", "link", "zero", "missing"]
    assert read_attributes(directory_fd, names, listed_regular=listing.regular) == read_attributes(
        directory_fd, names) == {"mtu": b"1500\n", "link": b"1500\n"}


def test_a_listed_file_replaced_by_a_link_is_not_followed(tmp_path: Path, directory_fd: int) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    listing = list_attributes(directory_fd)
    (tmp_path / "mtu").unlink()
    (tmp_path / "mtu").symlink_to("/dev/zero")
    assert read_attributes(directory_fd, ["mtu"], listed_regular=listing.regular) == {}
    with pytest.raises(OSError):
        read_attributes(directory_fd, ["mtu"], absent=(), listed_regular=listing.regular)


def test_a_listed_file_replaced_by_a_fifo_is_not_waited_on(tmp_path: Path, directory_fd: int) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    listing = list_attributes(directory_fd)
    (tmp_path / "mtu").unlink()
    os.mkfifo(tmp_path / "mtu")
    # Opened without blocking and read once: no writer, so an empty read at once.
    assert read_attributes(directory_fd, ["mtu"], listed_regular=listing.regular) == {"mtu": b""}


def test_universal_newlines() -> None:
    assert universal_newlines("a\r\nb\rc\n") == "a\nb\nc\n"
    assert universal_newlines("plain\n") == "plain\n"


def test_read_text_reads_newlines_as_open(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"a\r\nb\r")
    assert read_text(str(tmp_path / "f")) == "a\nb\n"


def test_numbered_entries_answers_as_go_glob_of_prefix_digit_star(tmp_path) -> None:
    from pyexporter.toolkit.files import numbered_entries

    for name in ("zone10", "zone2", "zone", "zonex1", "zone١", "zone3abc", "other1"):
        (tmp_path / name).mkdir()
    assert numbered_entries(str(tmp_path), "zone") == ["zone10", "zone2", "zone3abc"]
    assert numbered_entries(str(tmp_path / "missing"), "zone") == []
    assert numbered_entries(str(tmp_path / "zone2" / "nothing"), "zone") == []


def test_open_directory_refuses_anything_but_a_directory(tmp_path) -> None:
    import os

    from pyexporter.toolkit.files import open_directory

    (tmp_path / "file").write_text("x")
    fd = open_directory(str(tmp_path))
    try:
        assert os.listdir(fd) == ["file"]
    finally:
        os.close(fd)
    with pytest.raises(NotADirectoryError):
        open_directory(str(tmp_path / "file"))


# -- KeptAttributes ---------------------------------------------------------------------------------


# Each test gives its objects a budget of their own: the process's (files.KEPT_BUDGET) may be held
# by collectors other tests left alive.


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _kept_read(kept: KeptAttributes, directory: Path, names: list[str]) -> dict[str, bytes]:
    """One scrape's read of DIRECTORY, opened and listed afresh as a collector does it."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return kept.read(fd, list_attributes(fd), names, 4096)
    finally:
        os.close(fd)


def test_kept_attributes_read_what_read_attributes_reads(tmp_path: Path, directory_fd: int) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "long").write_bytes(b"x" * 5000)
    (tmp_path / "subdir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "link").symlink_to("mtu")
    names = ["mtu", "long", "subdir", "fifo", "zero", "link", "missing"]
    kept = KeptAttributes(KeptBudget(KEPT_MAX))
    for _ in range(3):
        got = _kept_read(kept, tmp_path, names)
        assert got == read_attributes(directory_fd, names, 4096)
        assert got == {"mtu": b"1500\n", "long": b"x" * 4096, "link": b"1500\n"}
        assert list(got) == ["mtu", "long", "link"]  # in the order asked
    assert len(kept) == 2  # the listed regular files; the link is followed and checked afresh every time
    kept.close()


def test_kept_attributes_read_again_without_opening(tmp_path: Path) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    kept = KeptAttributes(KeptBudget(KEPT_MAX))
    assert _kept_read(kept, tmp_path, ["mtu"]) == {"mtu": b"1500\n"}
    with open(tmp_path / "mtu", "r+") as fh:  # rewritten in place: the same file
        fh.write("9000\n")
    opened = _open_fds()
    assert _kept_read(kept, tmp_path, ["mtu"]) == {"mtu": b"9000\n"}
    assert _open_fds() == opened
    kept.close()


def test_kept_attributes_follow_a_replaced_file(tmp_path: Path) -> None:
    (tmp_path / "mtu").write_text("1500\n")
    kept = KeptAttributes(KeptBudget(KEPT_MAX))
    _kept_read(kept, tmp_path, ["mtu"])
    (tmp_path / "new").write_text("9000\n")
    os.replace(tmp_path / "new", tmp_path / "mtu")
    assert _kept_read(kept, tmp_path, ["mtu"]) == {"mtu": b"9000\n"}
    (tmp_path / "mtu").unlink()
    assert _kept_read(kept, tmp_path, ["mtu"]) == {}
    assert len(kept) == 0
    kept.close()


def test_kept_attributes_follow_a_replaced_directory(tmp_path: Path) -> None:
    # A network device renamed keeps its directory; a new device of the old name has another.
    device = tmp_path / "eth0"
    device.mkdir()
    (device / "mtu").write_text("1500\n")
    kept = KeptAttributes(KeptBudget(KEPT_MAX))
    _kept_read(kept, device, ["mtu"])
    device.rename(tmp_path / "eth1")
    device.mkdir()
    (device / "mtu").write_text("9000\n")
    assert _kept_read(kept, device, ["mtu"]) == {"mtu": b"9000\n"}
    assert _kept_read(kept, tmp_path / "eth1", ["mtu"]) == {"mtu": b"1500\n"}
    kept.close()


def test_kept_attributes_trust_no_inode_numbers_that_repeat(tmp_path: Path) -> None:
    # A FUSE filesystem without inode numbers lists every entry with the same one: nothing is kept.
    (tmp_path / "mtu").write_text("1500\n")
    (tmp_path / "type").write_text("1\n")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        real = list_attributes(fd)
        same = Listing(real.names, real.regular, {})
        kept = KeptAttributes(KeptBudget(KEPT_MAX))
        for _ in range(2):
            assert kept.read(fd, same, ["mtu", "type"]) == {"mtu": b"1500\n", "type": b"1\n"}
        assert len(kept) == 0
    finally:
        os.close(fd)


def test_kept_attributes_sweep_and_close_release_descriptors(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "mtu").write_text(f"{name}\n")
    before = _open_fds()
    kept = KeptAttributes(KeptBudget(KEPT_MAX))
    _kept_read(kept, tmp_path / "a", ["mtu"])
    _kept_read(kept, tmp_path / "b", ["mtu"])
    kept.sweep()
    assert (len(kept), _open_fds()) == (2, before + 2)
    _kept_read(kept, tmp_path / "a", ["mtu"])
    kept.sweep()  # b was not read since the last sweep
    assert (len(kept), _open_fds()) == (1, before + 1)
    kept.close()
    assert (len(kept), _open_fds()) == (0, before)
    kept = KeptAttributes(KeptBudget(KEPT_MAX))
    _kept_read(kept, tmp_path / "a", ["mtu"])
    del kept  # freed: closed as well
    assert _open_fds() == before


def test_kept_attributes_keep_at_most_what_their_shared_budget_allows(tmp_path: Path) -> None:
    names = [f"attr{i}" for i in range(5)]
    for name in names:
        (tmp_path / name).write_text(f"{name}\n")
    budget = KeptBudget(3)
    kept, other = KeptAttributes(budget), KeptAttributes(budget)
    before = _open_fds()
    for _ in range(2):
        assert _kept_read(kept, tmp_path, names) == {name: f"{name}\n".encode() for name in names}
    assert (len(kept), budget.held, _open_fds()) == (3, 3, before + 3)
    assert _kept_read(other, tmp_path, names[:2]) == {name: f"{name}\n".encode() for name in names[:2]}
    assert len(other) == 0  # the budget is shared
    kept.close()
    assert (budget.held, _open_fds()) == (0, before)
    _kept_read(other, tmp_path, names[:2])
    assert (len(other), budget.held) == (2, 2)
    other.close()


def test_kept_attributes_answer_as_sysfs_does() -> None:
    """On a real sysfs: values read again through kept descriptors, and a loopback's speed, whose
    read fails with EINVAL every time, left out every time as a fresh read leaves it out."""
    path = Path("/sys/class/net/lo")
    if not path.is_dir():
        pytest.skip("no /sys/class/net/lo here")
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        names = ["mtu", "speed", "ifindex", "operstate", "carrier_changes"]
        expected = read_attributes(fd, names)
        assert "speed" not in expected and "mtu" in expected
        kept = KeptAttributes(KeptBudget(KEPT_MAX))
        for _ in range(3):
            assert kept.read(fd, list_attributes(fd), names) == expected
        assert len(kept) == len(set(names) & list_attributes(fd).regular)
        with pytest.raises(OSError):
            kept.read(fd, list_attributes(fd), ["speed"], absent=(FileNotFoundError,))
        kept.close()
    finally:
        os.close(fd)


def test_kept_attributes_hold_a_quarter_of_the_open_file_limit_at_most() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
        assert kept_limit() == 256
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(100_000, hard), hard))
        assert kept_limit() == min(KEPT_MAX, min(100_000, hard) // 4)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_kept_budget_takes_the_open_file_limit_when_first_asked() -> None:
    # The process's budget is made at import, before the server raises the limit as it starts.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (8, hard))
        budget = KeptBudget()
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
        assert budget.take()
        assert budget.limit == min(1024, hard) // 4
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_nul_in_a_path_is_einval_as_go_answers(tmp_path) -> None:
    """A name read from a file may hold a NUL: open(2) cannot be given it, and the read fails
    as any unreadable file does (Go's os.Open: invalid argument), not with a ValueError."""
    with pytest.raises(OSError) as caught:
        read_bytes(str(tmp_path / "bond0\x00"))
    assert caught.value.errno == errno.EINVAL


@pytest.mark.parametrize(("text", "lines"), [
    ("a\nb\n", ["a", "b"]), ("a\nb", ["a", "b"]), ("a\r\nb\r\n", ["a", "b"]), ("", []), ("\n", [""]),
    ("a\n\nb\n", ["a", "", "b"]), ("a\r\r\n", ["a\r"]),
    ("a\rb\x0bc\x0cd\x1ce\u2028f\n", ["a\rb\x0bc\x0cd\x1ce\u2028f"]),
])
def test_scan_lines_as_bufio_scanner_gives_them(text: str, lines: list[str]) -> None:
    assert scan_lines(text) == lines
