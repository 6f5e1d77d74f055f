"""The roots collectors read through."""

from __future__ import annotations

import os

from pyexporter.paths import Paths


def test_paths_join_as_os_path_join() -> None:
    paths = Paths(procfs="/proc", sysfs="/tmp/tree/sys/", udev_data="run/udev/data", cgroupfs="/sys/fs/cgroup")
    cases = ((), ("stat",), ("net", "snmp"), ("", "x"), ("a", "/abs", "b"), ("dir/", "f"), ("1", "task", "2", "stat"))
    for parts in cases:
        for _ in range(2):  # the second time from the memo
            assert paths.proc(*parts) == os.path.join("/proc", *parts)
            assert paths.sys(*parts) == os.path.join("/tmp/tree/sys/", *parts)
            assert paths.udev(*parts) == os.path.join("run/udev/data", *parts)
            assert paths.cgroup(*parts) == os.path.join("/sys/fs/cgroup", *parts)
    assert Paths(rootfs="/host").root("/etc", "os-release") == "/host/etc/os-release"
