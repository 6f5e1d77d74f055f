"""A FUSE filesystem whose reads never return until released: the stand-in for a hung NFS mount.

    python -m tests.hung_fs SOURCE MOUNTPOINT RELEASE

Mirrors the regular files of the directory SOURCE at MOUNTPOINT. Opening and listing work; every
read blocks until the file RELEASE exists, then returns SOURCE's bytes, as a server that comes
back would. Runs in the foreground until unmounted (`fusermount -u -z MOUNTPOINT`).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from typing import Any

from fuse import FUSE, FuseOSError, Operations, _libfuse


class HungFiles(Operations):  # type: ignore[misc]
    def __init__(self, source: str, release: str) -> None:
        self.source = source
        self.release = release

    def _real(self, path: str) -> str:
        return os.path.join(self.source, path.lstrip("/"))

    def getattr(self, path: str, fh: Any = None) -> dict[str, Any]:
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2}
        try:
            size = os.path.getsize(self._real(path))
        except OSError:
            raise FuseOSError(errno.ENOENT) from None
        return {"st_mode": stat.S_IFREG | 0o444, "st_nlink": 1, "st_size": size}

    def readdir(self, path: str, fh: Any) -> list[str]:
        return [".", "..", *sorted(os.listdir(self.source))]

    def open(self, path: str, flags: int) -> int:
        return 0

    def read(self, path: str, size: int, offset: int, fh: Any) -> bytes:
        while not os.path.exists(self.release):
            # A reader killed meanwhile (its process exiting) gets EINTR, as from a hung NFS
            # server: the kernel lets a dying process go when the server honours the interrupt.
            if _libfuse.fuse_interrupted():
                raise FuseOSError(errno.EINTR)
            time.sleep(0.05)
        with open(self._real(path), "rb") as src:
            src.seek(offset)
            return src.read(size)


if __name__ == "__main__":
    source, mountpoint, release = sys.argv[1:4]
    # direct_io: no page cache, so every read reaches this process and hangs, as NFS would.
    # intr: the kernel's interrupts of a waiting reader reach read() (see fuse_interrupted there).
    FUSE(HungFiles(source, release), mountpoint, foreground=True, nothreads=False, direct_io=True, intr=True)
