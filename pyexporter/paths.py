"""The filesystem roots every collector reads through, so a test can point them at a fixture tree."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Paths:
    procfs: str = "/proc"
    sysfs: str = "/sys"
    rootfs: str = "/"
    udev_data: str = "/run/udev/data"
    cgroupfs: str = "/sys/fs/cgroup"

    def proc(self, *parts: str) -> str:
        return os.path.join(self.procfs, *parts)

    def sys(self, *parts: str) -> str:
        return os.path.join(self.sysfs, *parts)

    def root(self, *parts: str) -> str:
        """A path under the root filesystem; absolute parts are taken relative to rootfs."""
        return os.path.join(self.rootfs, *(p.lstrip("/") for p in parts))

    def cgroup(self, *parts: str) -> str:
        return os.path.join(self.cgroupfs, *parts)

    def udev(self, *parts: str) -> str:
        return os.path.join(self.udev_data, *parts)

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
