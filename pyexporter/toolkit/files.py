"""Readers for /proc and /sys files, shared by the collectors.

Every file is opened without blocking and must be a regular file: a FIFO, a device or a socket put
where a /proc or /sys file belongs (a hostile or broken tree, a link to /dev/zero) is refused at
once instead of being waited on or read without end. What is read is bounded as well. The check is
an fstat(2) of the open file, or, for the attributes of a directory just listed, the type its
listing gave (read_attributes' `listed_regular`).
"""

from __future__ import annotations

import errno
import os
import re
import resource
import threading
import weakref
from collections.abc import Container, Iterable, Mapping
from typing import NamedTuple

# node_exporter's procfs reads at most 1 MiB of a file and silently drops the rest; this refuses
# a larger file instead, with room for the largest /proc files of big hosts (mountinfo with tens of
# thousands of mounts).
MAX_FILE_BYTES = 16 * 1024 * 1024

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_LISTED_FLAGS = _OPEN_FLAGS | os.O_NOFOLLOW
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_S_IFMT = 0o170000
_S_IFREG = 0o100000


class RefusedFile(OSError):
    """A file that is not read: not a regular file, or larger than the reader allows."""


def open_regular(path: str, dir_fd: int | None = None) -> int:
    """A descriptor of PATH opened for reading without blocking; RefusedFile unless a regular file."""
    try:
        fd = os.open(path, _OPEN_FLAGS, dir_fd=dir_fd)
    except ValueError:
        # A NUL in a name read from a file (a bonding master, a device): open(2) cannot be given
        # one, and Go's os.Open answers EINVAL.
        raise OSError(errno.EINVAL, "invalid argument (a NUL byte in the path)", path) from None
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if mode & _S_IFMT != _S_IFREG:
        os.close(fd)
        raise RefusedFile(f"{path}: not a regular file")
    return fd


def read_fd(fd: int, path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """Everything left to read from FD, by plain read(2) calls until end of file; RefusedFile
    past LIMIT bytes. For the small files of /proc and /sys, os.read takes a third of the time of
    open(), whose buffered text layer is set up for every file."""
    # /proc files hand out at most about a page per read, so a short read is not the end.
    chunk = os.read(fd, 65536)
    if not chunk:
        return chunk
    chunks = [chunk]
    size = len(chunk)
    while size <= limit and (chunk := os.read(fd, 65536)):
        size += len(chunk)
        chunks.append(chunk)
    if size > limit:
        raise RefusedFile(f"{path}: larger than {limit} bytes")
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_bytes(path: str, limit: int = MAX_FILE_BYTES, dir_fd: int | None = None) -> bytes:
    """The whole of a regular file (PATH relative to DIR_FD when given), at most LIMIT bytes
    (RefusedFile beyond)."""
    fd = open_regular(path, dir_fd)
    try:
        return read_fd(fd, path, limit)
    finally:
        os.close(fd)


def read_attribute(path: str, dir_fd: int | None = None, size: int = 65536) -> bytes:
    """A sysfs attribute (PATH relative to DIR_FD when given) in one read of at most SIZE bytes:
    sysfs hands out an attribute whole, so the second read that would find the end is skipped,
    and some broken drivers answer a read-until-end loop with EAGAIN for ever."""
    fd = open_regular(path, dir_fd)
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


class Listing(NamedTuple):
    """A directory's entry names, those of them it lists as regular files, and the inode number
    (d_ino) it gives each regular file, for KeptAttributes: empty when two share one (a FUSE
    filesystem without inode numbers gives every entry the same), as they then identify nothing."""

    names: frozenset[str]
    regular: frozenset[str]
    inodes: Mapping[str, int]


def list_attributes(dir_fd: int) -> Listing:
    """The entries of the directory DIR_FD, with the type its listing gives each (d_type; an entry
    whose type the filesystem leaves unknown is looked up with lstat), for read_attributes."""
    names: set[str] = set()
    inodes: dict[str, int] = {}
    with os.scandir(dir_fd) as entries:
        for entry in entries:
            names.add(entry.name)
            if entry.is_file(follow_symlinks=False):
                inodes[entry.name] = entry.inode()
    regular = frozenset(inodes)
    if len(set(inodes.values())) != len(inodes):
        inodes = {}
    return Listing(frozenset(names), regular, inodes)


def read_attributes(dir_fd: int | None, names: Iterable[str], size: int = 65536,
                    absent: tuple[type[OSError], ...] = (OSError,),
                    listed_regular: Container[str] = ()) -> dict[str, bytes]:
    """read_attribute of each of NAMES (relative to the directory DIR_FD when given), in the order
    given.

    An attribute whose open or read raises one of ABSENT is left out; any other error is raised,
    RefusedFile for one that is not a regular file. By default every error leaves it out, for
    sysfs classes whose attributes are each optional (EINVAL for a down link's speed, EOPNOTSUPP,
    EACCES, EISDIR); parsers that fail on some errors as Go's do name the ones they skip.

    The same system calls as read_attribute, and the same regular-file check on the open
    descriptor, in one loop without a Python call per attribute: class collectors read tens of
    attributes per device on every scrape. Names in LISTED_REGULAR (list_attributes' `regular`
    of DIR_FD) were regular files when listed: they are opened without following a link and
    read without the fstat(2) check. What can take the place of such a file between the listing
    and the open (another process re-creating it as a FIFO or a device node; a link is refused
    by O_NOFOLLOW) is still opened without blocking and read once, at most SIZE bytes, so it is
    neither waited on nor read without end."""
    values: dict[str, bytes] = {}
    for name in names:
        listed = name in listed_regular
        try:
            fd = os.open(name, _LISTED_FLAGS if listed else _OPEN_FLAGS, dir_fd=dir_fd)
        except absent:
            continue
        try:
            if not listed and os.fstat(fd).st_mode & _S_IFMT != _S_IFREG:
                raise RefusedFile(f"{name}: not a regular file")
            values[name] = os.read(fd, size)
        except absent:
            pass
        finally:
            os.close(fd)
    return values


# Descriptors all KeptAttributes together hold open at most: above the attributes of a host's few
# dozen network devices, and a quarter at most of the open files the process may have (often 1024).
KEPT_MAX = 512


def kept_limit() -> int:
    """KEPT_MAX, or a quarter of the process's limit of open files if that is less."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return KEPT_MAX if soft == resource.RLIM_INFINITY else max(0, min(KEPT_MAX, soft // 4))


class KeptBudget:
    """How many descriptors the KeptAttributes that share it may hold between them: one for the
    whole process (KEPT_BUDGET), so that collectors together stay within kept_limit()."""

    def __init__(self, limit: int | None = None) -> None:
        # None: kept_limit() when a descriptor is first asked for, so that the limit of open files
        # the server raises as it starts (after this module is imported) counts.
        self._limit = limit
        self.held = 0
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        if self._limit is None:
            self._limit = kept_limit()
        return self._limit

    def take(self) -> bool:
        with self._lock:
            if self.held >= self.limit:
                return False
            self.held += 1
            return True

    def give(self, count: int) -> None:
        with self._lock:
            self.held -= count


KEPT_BUDGET = KeptBudget()


class KeptAttributes:
    """Attribute files kept open from one scrape to the next, and read again with pread(2) at
    offset 0: sysfs makes an attribute anew for every read from its start, so the read gives what
    opening the file again would, in one system call instead of three (open, read, close).

    A descriptor is read again only while it provably names the file that opening the name would:
    - its directory, which the caller opens afresh every time, is the same one (device and inode
      number): a network device renamed keeps its directory, and a new one of the old name has
      another;
    - the directory's listing gives the name the inode number it had when the file was opened: a
      file replaced in a tree on disk has another, and the kept descriptor holds the old one's
      number, so no new file can be given it meanwhile.
    A kept descriptor whose read fails (ENODEV: the device is gone) is closed and the file read
    afresh, whose outcome stands. The descriptors of directories not read since the previous
    `sweep` are closed there, and all of them when the object is closed or freed.

    One object per collector, and one thread at a time reads a given directory: different
    directories may be read by parallel threads (cpufreq's readers), as each has its own table
    here and the shared budget takes a lock. `sweep` and `close` run while no read does.
    """

    def __init__(self, budget: KeptBudget | None = None) -> None:
        self._budget = KEPT_BUDGET if budget is None else budget
        # (device, inode) of a directory -> name -> (the name's inode number in the listing, fd)
        self._directories: dict[tuple[int, int], dict[str, tuple[int, int]]] = {}
        self._read_since_sweep: set[tuple[int, int]] = set()
        self._finalizer = weakref.finalize(self, _close_kept, self._directories, self._budget)

    def __len__(self) -> int:
        return sum(map(len, self._directories.values()))

    def read(self, dir_fd: int, listing: Listing, names: Iterable[str], size: int = 65536,
             absent: tuple[type[OSError], ...] = (OSError,)) -> dict[str, bytes]:
        """read_attributes(DIR_FD, NAMES, SIZE, ABSENT, listing.regular), keeping what it opens."""
        status = os.fstat(dir_fd)
        directory = (status.st_dev, status.st_ino)
        kept = self._directories.get(directory)
        if kept is None:
            kept = self._directories.setdefault(directory, {})
        self._read_since_sweep.add(directory)
        regular, inodes = listing.regular, listing.inodes
        values: dict[str, bytes] = {}
        for name in names:
            entry = kept.get(name)
            if entry is not None:
                inode, fd = entry
                if inode == inodes.get(name):
                    try:
                        values[name] = os.pread(fd, size, 0)
                        continue
                    except OSError as err:
                        # The same file's own answer, as a read of it opened afresh would get it
                        # (EINVAL for the speed of a down link); ENODEV: it is gone.
                        if err.errno != errno.ENODEV:
                            if isinstance(err, absent):
                                continue
                            raise
                del kept[name]
                os.close(fd)
                self._budget.give(1)
            listed = name in regular
            try:
                fd = os.open(name, _LISTED_FLAGS if listed else _OPEN_FLAGS, dir_fd=dir_fd)
            except absent:
                continue
            keep = False
            try:
                if not listed and os.fstat(fd).st_mode & _S_IFMT != _S_IFREG:
                    raise RefusedFile(f"{name}: not a regular file")
                listed_inode = inodes.get(name)
                if listed_inode is not None and self._budget.take():
                    kept[name] = (listed_inode, fd)
                    keep = True
                values[name] = os.read(fd, size)
            except absent:
                pass
            except BaseException:
                if keep:
                    del kept[name]
                    self._budget.give(1)
                    keep = False
                raise
            finally:
                if not keep:
                    os.close(fd)
        return values

    def sweep(self) -> None:
        """Close the descriptors of the directories not read since the previous sweep."""
        gone = {d: self._directories.pop(d) for d in list(self._directories) if d not in self._read_since_sweep}
        _close_kept(gone, self._budget)
        self._read_since_sweep.clear()

    def close(self) -> None:
        self._finalizer()


def _close_kept(directories: dict[tuple[int, int], dict[str, tuple[int, int]]], budget: KeptBudget) -> None:
    closed = 0
    for files in directories.values():
        for _, fd in files.values():
            os.close(fd)
        closed += len(files)
        files.clear()
    directories.clear()
    if closed:
        budget.give(closed)


def read_generated(path: str) -> bytes:
    """A /proc/PID file, which the kernel generates whole for the first read that has room for
    it: a first read shorter than asked is the whole file, so the read that finds the end is
    skipped (these are read for every process on every scrape)."""
    fd = open_regular(path)
    try:
        data = os.read(fd, 16384)
        if len(data) == 16384:
            data += read_fd(fd, path)
        return data
    finally:
        os.close(fd)


def decode(raw: bytes) -> str:
    """Bytes of a file or of a kernel answer as text. Bytes that are not UTF-8 are kept, as lone
    surrogates (as os.fsdecode keeps them), so that a name read from a file still leads back to
    its path; the exposition serves each run of them as U+FFFD, as node_exporter does."""
    return raw.decode("utf-8", "surrogateescape")


# Runs of what is not UTF-8 in decoded text: lone surrogates.
_NOT_UTF8 = re.compile("[\ud800-\udfff]+")


def has_invalid_utf8(text: str) -> bool:
    return _NOT_UTF8.search(text) is not None


def printable(text: str) -> str:
    """TEXT for a log line: bytes that were not UTF-8 written as \\xNN."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def to_valid_utf8(text: str) -> str:
    """Go's strings.ToValidUTF8(text, "\ufffd"): each run of invalid bytes becomes one U+FFFD."""
    return _NOT_UTF8.sub("\ufffd", text)


def read_text(path: str, dir_fd: int | None = None) -> str:
    """The whole file (PATH relative to DIR_FD when given) as text (see decode), with newlines as
    open() gives them."""
    return universal_newlines(decode(read_bytes(path, dir_fd=dir_fd)))


def universal_newlines(text: str) -> str:
    """TEXT with `\\r\\n` and `\\r` as `\\n`, as open() in text mode reads them."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def scan_lines(text: str) -> list[str]:
    """TEXT's lines as Go's bufio.Scanner gives them (ScanLines): split at each `\n` alone (where
    str.splitlines also splits at `\r`, `\v`, `\f` and others), one `\r` before it dropped, and
    no empty line after a final newline."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines] if "\r" in text else lines


def read_first_line(path: str) -> str:
    """The first line of a sysfs attribute, without its newline (sysfs values are one line)."""
    return read_text(path).split("\n", 1)[0].strip()


def read_optional(path: str) -> str | None:
    """A sysfs attribute that may be absent or unreadable (many are, depending on driver and kernel)."""
    try:
        return read_first_line(path)
    except OSError:
        return None


def open_directory(path: str) -> int:
    """A descriptor of the directory PATH (a link to one is followed), for reading its files
    relative to it: one path walk instead of one a file. NotADirectoryError for anything else."""
    return os.open(path, _DIRECTORY_FLAGS)


def numbered_entries(directory: str, prefix: str) -> list[str]:
    """The names PREFIX followed by a digit and anything (Go's filepath.Glob of PREFIX[0-9]*) in
    DIRECTORY, sorted; none when the directory cannot be read, as Glob answers then. A listing
    filtered by name: glob compiles its pattern and walks the tree on every call."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    start = len(prefix)
    return sorted(name for name in names if name.startswith(prefix) and _ASCII_DIGIT(name, start))


_ASCII_DIGIT = re.compile(r"[0-9]").match


def list_dir(path: str) -> list[str]:
    """Sorted entries of a directory, or none when it does not exist (an absent subsystem)."""
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []


# Link chains longer than this are a loop, as the kernel's own limit for path resolution.
_MAX_LINK_HOPS = 40


def _link_target(path: str) -> str | None:
    """Where PATH points if it is a symlink, else None.

    Trees unpacked from node_exporter's ttar fixtures without symlink support hold each link as a
    small regular file whose text is the relative target; real sysfs attributes never begin with
    "../", so such a file is treated as the link it stands for.
    """
    if os.path.islink(path):
        return os.readlink(path)
    try:
        text = decode(read_bytes(path, limit=1024))
    except OSError:
        return None
    if text.startswith("../") and "\n" not in text.rstrip("\n"):
        return text.rstrip("\n")
    return None


def resolve_sysfs_path(path: str) -> str:
    """PATH with every link resolved, as Go's filepath.EvalSymlinks; OSError when it does not exist."""
    pending = os.path.abspath(path).split(os.sep)[1:]
    pending.reverse()
    current, hops = os.sep, 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        target = _link_target(candidate)
        if target is None:
            if not os.path.lexists(candidate):
                raise FileNotFoundError(candidate)
            current = candidate
            continue
        hops += 1
        if hops > _MAX_LINK_HOPS:
            raise OSError(f"too many levels of links at {candidate}")
        if target.startswith(os.sep):
            current = os.sep
        pending.extend(reversed(target.split(os.sep)))
    return current


def resolve_sysfs_dir(path: str) -> str:
    """A sysfs entry that links to a device directory (a /sys/class or bcache member entry),
    resolved; NotADirectoryError when it leads elsewhere."""
    resolved = resolve_sysfs_path(path)
    if not os.path.isdir(resolved):
        raise NotADirectoryError(f"{path} does not lead to a directory")
    return resolved
