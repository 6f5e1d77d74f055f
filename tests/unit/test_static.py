"""toolkit/static.py: a file's parsed content kept until the file changes, and a value kept for
the boot."""

import os
import sys
import time
from pathlib import Path

import pytest

from pyexporter.toolkit.files import Listing
from pyexporter.toolkit.static import RACY_NS, BootCache, DirectoryCache, FileCache, ListingCache


def future() -> int:
    """A clock to which every file of these tests is old enough to keep."""
    return time.time_ns() + 10 * RACY_NS


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, raw: bytes) -> bytes:
        self.calls += 1
        return raw


def _rewrite_keeping_size_and_mtime(path: Path, text: str) -> None:
    """New content of the same size, with the old mtime put back (cp -p, rsync -t, a package
    manager restoring the packaged mtime); only the ctime, which no one can set, moves on."""
    before = os.stat(path)
    assert len(text) == before.st_size
    while True:
        path.write_text(text)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        if os.stat(path).st_ctime_ns != before.st_ctime_ns:
            return
        time.sleep(0.005)  # the ctime ticks with the kernel's coarse clock


def test_parsed_once_while_the_file_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("a")
    parse = Counting()
    cache = FileCache(str(path), parse, clock=future)
    assert [cache.get() for _ in range(3)] == [b"a"] * 3
    assert parse.calls == 1


def test_rewritten_in_place_with_size_and_mtime_restored(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("ID=a")
    cache = FileCache(str(path), Counting(), clock=future)
    assert cache.get() == b"ID=a"
    _rewrite_keeping_size_and_mtime(path, "ID=b")
    assert cache.get() == b"ID=b"


def test_symlink_switched_to_a_file_of_the_same_name_size_and_mtime(tmp_path: Path) -> None:
    # NixOS: /etc/os-release links into the store, whose files all have the mtime 1; an upgrade
    # points the link at another store file (node_exporter #2981).
    old, new = tmp_path / "old", tmp_path / "new"
    old.write_text("ID=a")
    new.write_text("ID=b")
    for f in (old, new):
        os.utime(f, (1, 1))
    link = tmp_path / "os-release"
    link.symlink_to(old)
    cache = FileCache(str(link), Counting(), clock=future)
    assert cache.get() == b"ID=a"
    link.unlink()
    link.symlink_to(new)
    assert cache.get() == b"ID=b"


def test_replaced_by_rename(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("ID=a")
    cache = FileCache(str(path), Counting(), clock=future)
    assert cache.get() == b"ID=a"
    tmp = tmp_path / "f.new"
    tmp.write_text("ID=b")
    os.utime(tmp, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns))
    tmp.replace(path)
    assert cache.get() == b"ID=b"


def test_content_changed_just_before_it_was_read_is_not_kept(tmp_path: Path) -> None:
    # A second change within the same clock tick would leave every stamp as it was.
    path = tmp_path / "f"
    path.write_text("a")
    parse = Counting()
    cache = FileCache(str(path), parse)  # the real clock: the file is brand new
    cache.get()
    cache.get()
    assert parse.calls == 2


def test_errors_are_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("a")
    cache = FileCache(str(path), Counting(), clock=future)
    cache.get()
    path.unlink()
    with pytest.raises(FileNotFoundError):
        cache.get()
    path.write_text("b")
    assert cache.get() == b"b"


class Listings:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, names: list[str]) -> frozenset[str]:
        self.calls += 1
        return frozenset(names)


def _next_tick() -> None:
    """Past the coarse clock's tick (a jiffy) that stamped the last change."""
    time.sleep(0.05)


def test_directory_listed_once_while_unchanged(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("")
    listings = Listings()
    cache = DirectoryCache(str(tmp_path), listings, clock=future)
    assert [cache.get() for _ in range(3)] == [frozenset({"a"})] * 3
    assert listings.calls == 1
    (tmp_path / "a").write_text("content")  # a file's content is not the directory's entries
    assert cache.get() == frozenset({"a"}) and listings.calls == 1


def test_directory_entry_linked_unlinked_or_renamed(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("")
    cache = DirectoryCache(str(tmp_path), Listings(), clock=future)
    assert cache.get() == frozenset({"a"})
    _next_tick()
    (tmp_path / "b").write_text("")
    assert cache.get() == frozenset({"a", "b"})
    _next_tick()
    (tmp_path / "a").unlink()
    assert cache.get() == frozenset({"b"})
    _next_tick()
    (tmp_path / "b").rename(tmp_path / "c")
    assert cache.get() == frozenset({"c"})


def test_directory_replaced_by_another_with_the_old_mtime(tmp_path: Path) -> None:
    old, new = tmp_path / "queue", tmp_path / "queue.new"
    old.mkdir()
    (old / "a").write_text("")
    new.mkdir()
    (new / "b").write_text("")
    cache = DirectoryCache(str(old), Listings(), clock=future)
    assert cache.get() == frozenset({"a"})
    stat = os.stat(old)
    os.utime(new, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (old / "a").unlink()
    old.rmdir()
    new.rename(old)
    assert cache.get() == frozenset({"b"})


def test_directory_changed_just_before_it_was_listed_is_not_kept(tmp_path: Path) -> None:
    listings = Listings()
    cache = DirectoryCache(str(tmp_path), listings)  # the real clock: the directory is brand new
    cache.get()
    cache.get()
    assert listings.calls == 2


def test_directory_errors_are_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "queue"
    cache = DirectoryCache(str(path), Listings(), clock=future)
    with pytest.raises(FileNotFoundError):
        cache.get()
    path.mkdir()
    assert cache.get() == frozenset()
    path.rmdir()
    with pytest.raises(FileNotFoundError):
        cache.get()


def _listing_of(cache: ListingCache, path: Path) -> Listing:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return cache.listing(fd)
    finally:
        os.close(fd)


def test_listing_kept_per_directory_while_unchanged(tmp_path: Path) -> None:
    one, two = tmp_path / "eth0", tmp_path / "eth1"
    for directory in (one, two):
        directory.mkdir()
        (directory / "mtu").write_text("1500\n")
    (one / "device").symlink_to(two)
    cache = ListingCache(clock=future)
    first = _listing_of(cache, one)
    assert first.names == {"mtu", "device"} and first.regular == {"mtu"}
    assert first.inodes == {"mtu": os.stat(one / "mtu").st_ino}
    assert _listing_of(cache, one) is first  # kept
    assert _listing_of(cache, two).names == {"mtu"}
    assert len(cache) == 2
    (one / "mtu").write_text("9000\n")  # a file's content is not the directory's entries
    assert _listing_of(cache, one) is first


def test_kept_listings_of_directories_alike_share_their_sets(tmp_path: Path) -> None:
    directories = [tmp_path / f"eth{i}" for i in range(3)]
    for directory in directories:
        directory.mkdir()
        for name in ("mtu", "speed"):
            (directory / name).write_text("1\n")
    (directories[2] / "duplex").write_text("full\n")
    cache = ListingCache(clock=future)
    one, two, three = (_listing_of(cache, directory) for directory in directories)
    assert one.names is two.names and one.regular is two.regular
    assert one.inodes is not two.inodes and one.inodes != two.inodes  # each file its own inode
    assert three.names == {"mtu", "speed", "duplex"} and three.names is not one.names
    assert all(name is sys.intern(name) for name in three.names)


def test_kept_listing_of_a_fifo_and_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / os.fsdecode(b"bad\xff")).write_text("1\n")
    os.mkfifo(tmp_path / "fifo")
    cache = ListingCache(clock=future)
    listing = _listing_of(cache, tmp_path)
    assert listing.names == {"fifo", "bad\udcff"} and listing.regular == {"bad\udcff"}
    assert _listing_of(cache, tmp_path) is listing


def test_listing_follows_entries_linked_unlinked_renamed_or_replaced(tmp_path: Path) -> None:
    cache = ListingCache(clock=future)
    (tmp_path / "mtu").write_text("1500\n")
    assert _listing_of(cache, tmp_path).regular == {"mtu"}
    _next_tick()
    (tmp_path / "speed").write_text("1000\n")
    assert _listing_of(cache, tmp_path).regular == {"mtu", "speed"}
    _next_tick()
    (tmp_path / "speed").unlink()
    assert _listing_of(cache, tmp_path).regular == {"mtu"}
    _next_tick()
    (tmp_path / "mtu").rename(tmp_path / "duplex")
    assert _listing_of(cache, tmp_path).regular == {"duplex"}
    _next_tick()
    before = _listing_of(cache, tmp_path).inodes["duplex"]
    (tmp_path / "new").write_text("full\n")
    os.replace(tmp_path / "new", tmp_path / "duplex")  # a new file, as KeptAttributes must learn
    after = _listing_of(cache, tmp_path).inodes["duplex"]
    assert after != before and after == os.stat(tmp_path / "duplex").st_ino


def test_listing_of_a_directory_made_again_is_its_own(tmp_path: Path) -> None:
    path = tmp_path / "eth0"
    path.mkdir()
    (path / "mtu").write_text("1500\n")
    cache = ListingCache(clock=future)
    assert _listing_of(cache, path).regular == {"mtu"}
    stat = os.stat(path)
    (path / "mtu").unlink()
    path.rmdir()
    path.mkdir()
    (path / "speed").write_text("1000\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old mtime
    assert _listing_of(cache, path).regular == {"speed"}


def test_listing_changed_just_before_it_was_made_is_not_kept(tmp_path: Path) -> None:
    cache = ListingCache()  # the real clock: the directory is brand new
    first = _listing_of(cache, tmp_path)
    assert _listing_of(cache, tmp_path) is not first
    assert len(cache) == 0


def test_listings_not_made_since_the_last_sweep_are_forgotten(tmp_path: Path) -> None:
    one, two = tmp_path / "cpu0", tmp_path / "cpu1"
    one.mkdir()
    two.mkdir()
    cache = ListingCache(clock=future)
    _listing_of(cache, one)
    _listing_of(cache, two)
    cache.sweep()
    assert len(cache) == 2
    _listing_of(cache, one)  # cpu1 went offline
    cache.sweep()
    assert len(cache) == 1
    cache.sweep()
    assert len(cache) == 0


def _boot(tmp_path: Path, boot_id: str) -> str:
    path = tmp_path / "boot_id"
    path.write_text(boot_id + "\n")
    return str(path)


def test_boot_cache_loads_once_per_boot(tmp_path: Path) -> None:
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    cache = BootCache(_boot(tmp_path, "one"), load)
    assert [cache.get(), cache.get()] == [1, 1]
    _boot(tmp_path, "two")
    assert [cache.get(), cache.get()] == [2, 2]


def test_boot_cache_without_a_boot_id_loads_once(tmp_path: Path) -> None:
    loads: list[int] = []
    cache = BootCache(str(tmp_path / "absent"), lambda: loads.append(1) or len(loads))
    assert [cache.get(), cache.get()] == [1, 1]


def test_boot_cache_keeps_an_os_error_until_the_next_boot(tmp_path: Path) -> None:
    fail = [True]

    def load() -> str:
        if fail[0]:
            raise OSError(5, "Input/output error")
        return "ok"

    cache = BootCache(_boot(tmp_path, "one"), load)
    fail[0] = False
    for _ in range(2):
        with pytest.raises(OSError, match="Input/output"):
            cache.get()
    _boot(tmp_path, "two")
    assert cache.get() == "ok"


def test_boot_cache_loads_again_after_another_error(tmp_path: Path) -> None:
    calls: list[int] = []

    def load() -> str:
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("bug")
        return f"v{len(calls)}"

    cache = BootCache(_boot(tmp_path, "one"), load)
    _boot(tmp_path, "two")
    with pytest.raises(ValueError):
        cache.get()
    assert cache.get() == "v3"


def test_boot_id_read_anew_through_the_open_file(tmp_path: Path) -> None:
    from pyexporter.toolkit.static import BootId

    path = Path(_boot(tmp_path, "one"))
    boot_id = BootId(str(path))
    assert boot_id.read() == b"one\n"
    with open(path, "r+") as f:  # in place, as the kernel formats it anew for each read
        f.write("two")
    assert boot_id.read() == b"two\n"
    path.unlink()
    boot_id.close()
    assert boot_id.read() is None
    _boot(tmp_path, "three")
    assert boot_id.read() == b"three\n"
