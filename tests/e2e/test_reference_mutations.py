"""Spoiled files of node_exporter's own fixture tree, read by the reference node_exporter (Debian's
1.5.0) and by pyexporter: each collector succeeds or fails alike, and serves the same samples.

The cases are those a differential fuzz of 2000 mutations found pyexporter reading otherwise, and
where current node_exporter reads as 1.5.0 does (where they differ, pyexporter follows current
node_exporter, and no case here asks otherwise). pyexporter runs in-process; node_exporter once a
case, with the collectors of the case alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from pyexporter.paths import Paths
from pyexporter.scrape import Scraper
from tests.e2e.conftest import free_port, wait_http, which
from tests.helpers import SHARED_FIXTURES, require

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # below the fixture tree
    spoil: Callable[[str], str | None]  # the file's new text; None removes it
    collectors: tuple[str, ...]
    compared: tuple[str, ...] = ()  # sample-name prefixes whose samples must be equal
    succeeds: tuple[bool, ...] = ()  # each collector's expected success, as node_exporter's
    flags: tuple[str, ...] = field(default=())


def _first_number(replacement: str) -> Callable[[str], str]:
    def spoil(text: str) -> str:
        import re

        match = re.search(r"(?<![\w.:/-])\d+(?![\w.:/])", text)
        assert match is not None
        return text[: match.start()] + replacement + text[match.end():]
    return spoil


def _repeat_first_line_after(header_lines: int) -> Callable[[str], str]:
    def spoil(text: str) -> str:
        lines = text.splitlines(keepends=True)
        return "".join([*lines[: header_lines + 1], lines[header_lines], *lines[header_lines + 1:]])
    return spoil


def _stat_fields(count: int) -> Callable[[str], str]:
    def spoil(text: str) -> str:
        head, _, tail = text.rpartition(")")
        return head + ")" + " ".join(tail.split()[:count]) + "\n"
    return spoil


CASES = (
    Case("cgroups repeats a subsystem", "proc/cgroups", _repeat_first_line_after(1), ("cgroups",),
         ("node_cgroups_",), (True,)),
    Case("buddyinfo repeats a zone", "proc/buddyinfo", _repeat_first_line_after(0), ("buddyinfo",),
         ("node_buddyinfo_",), (True,)),
    Case("a PSI line has a field more", "proc/pressure/cpu",
         lambda text: text.replace("\n", " 42\n", 1), ("pressure",), ("node_pressure_cpu_",)),
    Case("a process stat ends after 39 numbers", "proc/1/stat", _stat_fields(40), ("processes",),
         (), (False,)),
    Case("a thread's exit_signal is -1", "proc/1/stat",
         lambda text: text.replace(" 17 ", " -1 ", 1), ("processes",), ("node_processes_",), (True,)),
    # general_profit (Linux 6.1) is newer than node_exporter 1.5.0.
    Case("a ksm file is empty", "sys/kernel/mm/ksm/pages_shared", lambda text: "", ("ksmd",),
         ("node_ksmd_full", "node_ksmd_merge"), (False,)),
    Case("the IPVS backend table is missing", "proc/net/ip_vs", lambda text: None, ("ipvs",),
         ("node_ipvs_connections", "node_ipvs_incoming", "node_ipvs_outgoing"), (False,)),
    Case("bcache's average key size is -1", "sys/fs/bcache/deaddd54-c735-46d5-868e-f331c5fd7c74/average_key_size",
         lambda text: "-1\n", ("bcache",), ("node_bcache_average_key_size",), (True,)),
    Case("an InfiniBand rate is -1", "sys/class/infiniband/mlx4_0/ports/1/rate",
         lambda text: "-1 Gb/sec (4X QDR)\n", ("infiniband",), ("node_infiniband_rate",), (True,)),
    Case("the cpu total line has a bad time", "proc/stat", _first_number("abc"), ("cpu", "stat"), (),
         (False, False)),
    Case("the intr line has a bad count", "proc/stat", lambda text: text.replace("intr ", "intr x", 1),
         ("cpu", "stat"), (), (False, False)),
    Case("a byte after the tenth time of a cpu line", "proc/stat",
         lambda text: text.replace("\n", "\x00\n", 1), ("cpu",), ("node_cpu_seconds",), (True,)),
    Case("a zoneinfo block's header does not match", "proc/zoneinfo",
         lambda text: text.replace("Node 0, zone", "Node abc, zone", 1), ("zoneinfo",), ("node_zoneinfo_",),
         (True,)),
    Case("a schedstat cpu line is split by tabs", "proc/schedstat",
         lambda text: text.replace("cpu0 ", "cpu0\t", 1), ("schedstat",),
         ("node_schedstat_",), (True,)),
    Case("mountstats is missing", "proc/10/mountstats", lambda text: None, ("mountstats",), (), (False,)),
)


def _link_stand_ins(root: Path) -> None:
    """The shared tree keeps upstream's symlinks as small files naming their targets (proc/self
    names a pid); node_exporter needs them as links (it reads proc/self with readlink)."""
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if path.stat().st_size > 400:
                continue
            try:
                target = path.read_text().strip()
            except (UnicodeDecodeError, OSError):
                continue
            if "\n" in target:
                continue
            if target.startswith(("../", "./")) or (name == "self" and path.parent.name == "proc" and target.isdigit()):
                path.unlink()
                path.symlink_to(target.rstrip("/") if target != "../.." else target)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    binary = which("prometheus-node-exporter")
    require(binary is not None, "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)")
    require(os.path.isdir(SHARED_FIXTURES), f"node_exporter's fixtures are not at {SHARED_FIXTURES}")
    root = tmp_path_factory.mktemp("reference") / "fixtures"
    shutil.copytree(SHARED_FIXTURES, root, symlinks=True)
    _link_stand_ins(root)
    yield root


def _series(families: Iterable[Metric]) -> tuple[Series, dict[str, float]]:
    series: Series = {}
    success: dict[str, float] = {}
    for family in families:
        for sample in family.samples:
            if sample.name == "node_scrape_collector_success":
                success[sample.labels["collector"]] = sample.value
            series[(sample.name, frozenset(sample.labels.items()))] = float(sample.value)
    return series, success


def _reference(root: Path, case: Case) -> tuple[Series, dict[str, float]]:
    port = free_port()
    binary = which("prometheus-node-exporter")
    assert binary is not None
    process = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", f"--path.procfs={root}/proc",
         f"--path.sysfs={root}/sys", f"--path.rootfs={root}", f"--path.udev.data={root}/udev/data",
         "--collector.disable-defaults", "--web.disable-exporter-metrics",
         *(f"--collector.{name}" for name in case.collectors), *case.flags],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            text = response.read().decode("utf-8", "replace")
    finally:
        process.terminate()
        process.wait(timeout=20)
    return _series(text_string_to_metric_families(text))


def _ours(root: Path, case: Case) -> tuple[Series, dict[str, float]]:
    scraper = Scraper(Paths.under(str(root)), list(case.collectors))
    try:
        return _series(scraper.gather(timeout=30))
    finally:
        scraper.close()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_spoiled_file_read_as_node_exporter_reads_it(tree: Path, case: Case) -> None:
    path = tree / case.file
    original = path.read_bytes()
    spoiled = case.spoil(original.decode("utf-8", "surrogateescape"))
    try:
        if spoiled is None:
            path.unlink()
        else:
            path.write_bytes(spoiled.encode("utf-8", "surrogateescape"))
        reference, reference_success = _reference(tree, case)
        ours, our_success = _ours(tree, case)
    finally:
        path.write_bytes(original)
    assert our_success == reference_success
    if case.succeeds:
        assert [reference_success[name] == 1 for name in case.collectors] == list(case.succeeds)
    for prefix in case.compared:
        theirs = {key: value for key, value in reference.items() if key[0].startswith(prefix)}
        mine = {key: value for key, value in ours.items() if key[0].startswith(prefix)}
        assert theirs, f"node_exporter served nothing under {prefix}"
        assert mine == theirs, prefix
