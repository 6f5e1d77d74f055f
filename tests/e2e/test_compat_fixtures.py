"""Compatibility: `pyexporter --once` on node_exporter's own fixtures, graded by promdiff.

Every family of upstream's expected output must grade `ok`, except those listed below with a
reason. The lists only ever shrink.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.e2e.conftest import pyexporter_cmd
from tests.upstream import (
    AVAILABLE,
    E2E_OUTPUT,
    RELATIVE_ROOT,
    UPSTREAM_IGNORE,
    grades,
    make_upstream_cwd,
    promdiff,
    upstream_flags,
)

pytestmark = pytest.mark.skipif(not AVAILABLE, reason="../shared/fixtures/node_exporter is not present")

# Families that differ because of the shared copy of the fixtures, not the code (none at present).
FIXTURE_GAPS: dict[str, str] = {}

# Upstream's e2e reads `lo` of the live host through netlink and ignores its byte and packet
# counters; a loopback that has dropped packets (this suite floods it with connections) differs
# in value too.
LIVE_HOST_VALUES = {"node_network_receive_drop_total"}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, str]:
    """{family: grade} of `pyexporter --once` with upstream's e2e flags against e2e-output.txt."""
    folder = make_upstream_cwd(str(tmp_path_factory.mktemp("upstream")))
    out = f"{folder}/pyexporter.txt"
    proc = subprocess.run(
        pyexporter_cmd("--once", *upstream_flags(RELATIVE_ROOT)),
        cwd=folder, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(proc.stdout)
    _, text = promdiff(out, all_grades=True)
    found = grades(text)
    found["__summary__"] = text.strip().splitlines()[-1]
    return found


def expected_families() -> set[str]:
    with open(E2E_OUTPUT, encoding="utf-8") as fh:
        names = set(re.findall(r"^# TYPE (\S+)", fh.read(), flags=re.M))
    return {name for name in names if not re.search(UPSTREAM_IGNORE, name)}


def test_every_built_family_is_ok(report: dict[str, str]) -> None:
    required = {n for n in expected_families() if n not in FIXTURE_GAPS}
    assert len(required) > 1100
    not_ok = {name: report.get(name, "?") for name in sorted(required)
              if report.get(name) != "ok" and not (name in LIVE_HOST_VALUES and report.get(name) == "value")}
    assert not not_ok, f"{not_ok}; {report['__summary__']}"


def test_known_gaps_are_still_gaps(report: dict[str, str]) -> None:
    """When a gap closes (fixtures mended), move the family into the required set."""
    changed = {name: report.get(name) for name, grade in FIXTURE_GAPS.items() if report.get(name) != grade}
    assert not changed, f"grades changed, update FIXTURE_GAPS: {changed}"


def test_no_unexpected_extra_families(report: dict[str, str]) -> None:
    extra = {name for name, grade in report.items() if grade == "extra"}
    assert extra <= {"node_scrape_collector_timeout", "pyexporter_build_info", "python_gc_collections_total",
                     "python_gc_objects_collected_total", "python_gc_objects_uncollectable_total", "python_info"}, extra
