"""Compatibility: `pyexporter --once` on node_exporter's own fixtures, graded by promdiff."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.e2e.conftest import pyexporter_cmd
from tests.upstream import AVAILABLE, E2E_OUTPUT, UPSTREAM_IGNORE, grades, promdiff, upstream_flags

pytestmark = pytest.mark.skipif(not AVAILABLE, reason="../shared/fixtures/node_exporter is not present")

# Families that must grade `ok`. This list only ever grows.
REQUIRED_OK = """
node_boot_time_seconds node_context_switches_total node_forks_total node_intr_total
node_procs_blocked node_procs_running node_softirqs_total
node_load1 node_load5 node_load15
node_filefd_allocated node_filefd_maximum
node_entropy_available_bits node_entropy_pool_size_bits
node_vmstat_oom_kill node_vmstat_pgfault node_vmstat_pgmajfault node_vmstat_pgpgin node_vmstat_pgpgout
node_vmstat_pswpin node_vmstat_pswpout
node_memory_MemTotal_bytes node_memory_MemFree_bytes node_memory_Active_anon_bytes
node_memory_HugePages_Total node_memory_Hugepagesize_bytes node_memory_SwapTotal_bytes
promhttp_metric_handler_errors_total promhttp_metric_handler_requests_in_flight
promhttp_metric_handler_requests_total
""".split()

# Whole groups of families that must be entirely `ok` (every family of the prefix in e2e-output).
REQUIRED_OK_PREFIXES = ["node_memory_(?!numa_)", "node_vmstat_", "node_load"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, str]:
    """{family: grade} of `pyexporter --once` with upstream's e2e flags against e2e-output.txt."""
    out = tmp_path_factory.mktemp("compat") / "pyexporter.txt"
    proc = subprocess.run(pyexporter_cmd("--once", *upstream_flags()), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out.write_text(proc.stdout)
    _, text = promdiff(str(out), all_grades=True)
    found = grades(text)
    found["__summary__"] = text.strip().splitlines()[-1]
    return found


def test_required_families_ok(report: dict[str, str]) -> None:
    not_ok = {name: report[name] for name in REQUIRED_OK if report.get(name, "ok") != "ok"}
    assert not not_ok, f"{not_ok}; {report['__summary__']}"


def test_required_groups_ok(report: dict[str, str]) -> None:
    with open(E2E_OUTPUT, encoding="utf-8") as fh:
        expected = fh.read()
    for prefix in REQUIRED_OK_PREFIXES:
        names = set(re.findall(rf"^# TYPE ({prefix}\w*)", expected, flags=re.M))
        names = {n for n in names if not re.search(UPSTREAM_IGNORE, n)}
        assert names, prefix
        bad = {n: report[n] for n in names if report.get(n, "ok") != "ok"}
        assert not bad, f"{prefix}: {bad}"
