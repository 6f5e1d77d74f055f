import os
from pathlib import Path

from pyexporter.paths import Paths
from tests.helpers import fixture_paths, run_collector, sample


def test_uname_with_domainname() -> None:
    u = os.uname()
    families = run_collector("uname", fixture_paths("uname"))
    assert sample(
        families, "node_uname_info", sysname=u.sysname, release=u.release, version=u.version,
        machine=u.machine, nodename=u.nodename, domainname="example.org",
    ) == 1


def test_uname_without_procfs(tmp_path: Path) -> None:
    families = run_collector("uname", Paths(procfs=str(tmp_path)))
    (s,) = families[0].samples
    assert s.labels["domainname"] == "(none)"
