"""The filesystem roots every collector reads through, so a test can point them at a fixture tree."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@functools.lru_cache(maxsize=4096)
def _joined(root: str, parts: tuple[str, ...]) -> str:
    """os.path.join(ROOT, *PARTS), remembered: collectors ask for the same paths every scrape, and a
    lookup costs a fraction of a join. Bounded, as some paths name devices and processes that come
    and go."""
    return os.path.join(root, *parts)


@dataclass(frozen=True, slots=True)
class Paths:
    procfs: str = "/proc"
    sysfs: str = "/sys"
    rootfs: str = "/"
    udev_data: str = "/run/udev/data"
    cgroupfs: str = "/sys/fs/cgroup"

    def proc(self, *parts: str) -> str:
        return _joined(self.procfs, parts)

    def sys(self, *parts: str) -> str:
        return _joined(self.sysfs, parts)

    def root(self, *parts: str) -> str:
        """A path under the root filesystem; absolute parts are taken relative to rootfs."""
        return os.path.join(self.rootfs, *(p.lstrip("/") for p in parts))

    def cgroup(self, *parts: str) -> str:
        return _joined(self.cgroupfs, parts)

    def udev(self, *parts: str) -> str:
        return _joined(self.udev_data, parts)

    @classmethod
    def under(cls, root: str) -> Paths:
        """node_exporter's fixture layout: proc/, sys/ and udev/data below one folder."""
        return cls(
            procfs=os.path.join(root, "proc"),
            sysfs=os.path.join(root, "sys"),
            rootfs=root,
            udev_data=os.path.join(root, "udev", "data"),
            cgroupfs=os.path.join(root, "sys", "fs", "cgroup"),
        )
