"""Data that collectors read on every scrape although it only changes on a known event: parsed
once and kept while a cheap signal shows that event has not happened.

- `FileCache`: a file's parsed content, kept while the file's identity and change stamps are the
  same (an upgrade replacing /etc/os-release). The signal is the stat of the file the path leads
  to now: device, inode, size, mtime and ctime. node_exporter's os collector keyed its cache on
  (file name, mtime) and served stale values on NixOS (node_exporter #2981, fixed by removing the
  cache in #2987): there /etc/os-release is a symlink into the Nix store, where every file has the
  mtime 1, so an upgrade changes the file behind the name but neither the name nor the mtime.
  Following the link and comparing the inode catches a replaced file; ctime, which user space
  cannot set (utimensat and touch set it to now), catches one rewritten in place with its mtime
  and size restored. Timestamps have the kernel's coarse clock granularity (a jiffy), so a file
  changed twice within one tick keeps its stamps: as git does for its index ("racy git"), content
  whose ctime is not clearly older than the moment it was read is not kept.
- `DirectoryCache`: what a directory's entries say (that the attribute files a parser requires are
  all there), kept while the directory's identity and change stamps are the same. Linking,
  unlinking or renaming an entry sets its directory's mtime and ctime (POSIX), so on a regular
  filesystem (a fixture tree) the stamp follows the entries, with FileCache's rule for stamps of
  the current tick. sysfs (kernfs) stamps a directory when an entry is linked or unlinked only
  once the directory has attributes of its own (after a chmod, chown or setxattr of it:
  kernfs_add_one, __kernfs_remove); until then its stamps are when its inode was instantiated,
  after the directory was linked. So on sysfs it serves for entries that the kernel fixes when it
  creates the directory, such as a kobject's attribute groups (`default_groups`, linked by the
  kobject_add that links the directory): a directory unregistered and registered again is a new
  kernfs node, with a new inode (number and stamps), and a listing is kept only once the stamp is
  2 s old, long past the moment between the directory and its attribute files appearing.
- `ListingCache`: DirectoryCache's rule for the many attribute directories a collector lists on
  every scrape (each network device's, each CPU's cpufreq), by the descriptor the collector opened
  the directory with: its fstat(2) gives the stamp without another walk of the path.
- `BootCache`: a value fixed for the life of the running kernel (DMI tables), kept while
  /proc/sys/kernel/random/boot_id is the same. A process can outlive its boot by being
  checkpointed and restored on another machine (CRIU); the boot id, random for each boot, tells.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Generic, NamedTuple, TypeVar

from pyexporter.toolkit.files import Listing, list_attributes, open_regular, read_fd

T = TypeVar("T")

# Far above a jiffy (1-10 ms) and any skew between the coarse clock that stamps files and
# time.time_ns(): content changed within this long before it was read is read again next time.
RACY_NS = 2_000_000_000


class FileStamp(NamedTuple):
    """What changes whenever a file's content can have: which file (device, inode) and its size
    and change times."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int


def file_stamp(st: os.stat_result) -> FileStamp:
    return FileStamp(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def settled(stamp: FileStamp, now: int) -> bool:
    """Whether what STAMP was taken of changed long enough before NOW (time.time_ns) that a later
    change is bound to move the stamp: RACY_NS."""
    return stamp.ctime_ns < now - RACY_NS and stamp.mtime_ns < now - RACY_NS


class _StampedCache(Generic[T]):
    """A value derived from what is at PATH, derived again only when stat(2) of PATH gives another
    stamp. A check costs one stat(2); errors are never kept, so they are raised again on the next
    call as they would be uncached. A value whose stamp is too recent (RACY_NS) is not kept
    either: a change within the same clock tick would not move the stamp."""

    def __init__(self, path: str, clock: Callable[[], int] = time.time_ns) -> None:
        self.path = path
        self._clock = clock
        self._stamp: FileStamp | None = None
        self._value: T | None = None

    def get(self) -> T:
        if self._stamp is not None and file_stamp(os.stat(self.path)) == self._stamp:
            return self._value  # type: ignore[return-value]  # set together with _stamp
        self._stamp = None
        now = self._clock()
        stamp, value = self._load()
        if settled(stamp, now):
            self._stamp, self._value = stamp, value
        return value

    def _load(self) -> tuple[FileStamp, T]:
        """The value, with the stamp of what it was derived from."""
        raise NotImplementedError


class FileCache(_StampedCache[T]):
    """PARSE(content) of the regular file at PATH, re-read only when the file's stamp changed.
    Errors (absent file, not a regular file, a parse error) are never kept."""

    def __init__(self, path: str, parse: Callable[[bytes], T],
                 clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__(path, clock)
        self._parse = parse

    def _load(self) -> tuple[FileStamp, T]:
        fd = open_regular(self.path)
        try:
            # The stamp of the descriptor read, not of the path, which may be replaced meanwhile.
            return file_stamp(os.fstat(fd)), self._parse(read_fd(fd, self.path))
        finally:
            os.close(fd)


class DirectoryCache(_StampedCache[T]):
    """SUMMARIZE(names) of the entries of the directory at PATH, listed again only when the
    directory's stamp changed (see the module's note for the filesystems where that is a proof).
    Errors (an absent directory, one that is no longer listable) are never kept."""

    def __init__(self, path: str, summarize: Callable[[list[str]], T],
                 clock: Callable[[], int] = time.time_ns) -> None:
        super().__init__(path, clock)
        self._summarize = summarize

    def _load(self) -> tuple[FileStamp, T]:
        # The stamp taken before the listing: an entry linked or unlinked meanwhile moves the
        # directory's stamp past this one, so the next check lists it again.
        stamp = file_stamp(os.stat(self.path))
        return stamp, self._summarize(os.listdir(self.path))


class ListingCache:
    """files.list_attributes of directories listed on every scrape, each kept while fstat(2) of
    the directory's descriptor gives the stamp it had when it was listed (DirectoryCache's rule,
    racy stamps included), by the directory's device and inode: a directory removed and made again
    under the same name is another. Directories not listed since the previous `sweep` are
    forgotten there. Parallel threads may list different directories; `sweep` runs while none
    lists."""

    def __init__(self, clock: Callable[[], int] = time.time_ns) -> None:
        self._clock = clock
        self._kept: dict[tuple[int, int], tuple[FileStamp, Listing]] = {}
        self._listed_since_sweep: set[tuple[int, int]] = set()
        # The sets of names the kept listings hold, each once: the directories of one kind of
        # device list the same names, and a thousand devices' copies cost megabytes.
        self._sets: dict[frozenset[str], frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def listing(self, dir_fd: int) -> Listing:
        # The stamp taken before the listing, as DirectoryCache takes it.
        stamp = file_stamp(os.fstat(dir_fd))
        directory = (stamp.dev, stamp.ino)
        self._listed_since_sweep.add(directory)
        kept = self._kept.get(directory)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        listing = list_attributes(dir_fd)
        if settled(stamp, self._clock()):
            listing = self._shared(listing)
            self._kept[directory] = (stamp, listing)
        else:
            self._kept.pop(directory, None)
        return listing

    def _shared(self, listing: Listing) -> Listing:
        """LISTING with its names interned and its sets those of the kept listings where equal."""
        sets = self._sets
        names = frozenset(map(sys.intern, listing.names))
        regular = frozenset(map(sys.intern, listing.regular))
        inodes = {sys.intern(name): inode for name, inode in listing.inodes.items()}
        return Listing(sets.setdefault(names, names), sets.setdefault(regular, regular), inodes)

    def sweep(self) -> None:
        """Forget the directories not listed since the previous sweep."""
        for directory in self._kept.keys() - self._listed_since_sweep:
            del self._kept[directory]
        self._listed_since_sweep.clear()
        sets: dict[frozenset[str], frozenset[str]] = {}
        for _, listing in self._kept.values():
            sets[listing.names] = listing.names
            sets[listing.regular] = listing.regular
        self._sets = sets


class BootId:
    """The kernel's boot id (/proc/sys/kernel/random/boot_id at PATH), or None where there is
    none (a fixture tree, a kernel without it). The file stays open: a pread of it costs a
    sixth of opening it anew each time. The kernel formats it for every read, and a checkpoint
    restored elsewhere reopens it by its path, so the open file reads the current boot's id."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def read(self) -> bytes | None:
        try:
            if self._fd is None:
                self._fd = open_regular(self.path)
            return os.pread(self._fd, 64, 0)
        except OSError:
            self.close()
            return None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()


class BootCache(Generic[T]):
    """LOAD() once per boot id read from BOOT_ID_PATH: at construction, then again only when the
    boot id has changed. Where no boot id can be read the value is loaded once, as node_exporter
    loads such data once at start. What LOAD raises is kept too, and raised on each call until
    the boot id changes (an OSError; anything else propagates, and the next call loads again)."""

    def __init__(self, boot_id_path: str, load: Callable[[], T]) -> None:
        self._boot_ids = BootId(boot_id_path)
        self._load = load
        self._value: T | None = None
        self._error: OSError | None = None
        self._boot_id = self._refresh(self._boot_ids.read())

    def _refresh(self, boot_id: bytes | None) -> bytes | None:
        """Load for BOOT_ID, which is returned once what LOAD gave or raised is kept."""
        try:
            self._value, self._error = self._load(), None
        except OSError as err:
            self._value, self._error = None, err
        return boot_id

    def get(self) -> T:
        boot_id = self._boot_ids.read()
        if boot_id != self._boot_id:
            self._boot_id = self._refresh(boot_id)
        if self._error is not None:
            # Without its old traceback, which would grow by a frame chain on every raise.
            raise self._error.with_traceback(None)
        return self._value  # type: ignore[return-value]  # set when no error was kept
