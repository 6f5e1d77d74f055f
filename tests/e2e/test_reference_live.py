"""Side by side with the reference node_exporter (Debian's 1.5.0) on this very host."""

from __future__ import annotations

import re
import subprocess
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import free_port, pyexporter_cmd, require, wait_http, which

# Families the reference emits on a host that pyexporter does not, and why.
NOT_EMITTED = {
    "node_exporter_build_info",  # pyexporter_build_info instead
}

IDENTITY = ("node_uname_info", "node_os_info", "node_os_version", "node_memory_MemTotal_bytes",
            "node_boot_time_seconds", "node_filefd_maximum", "node_entropy_pool_size_bits")


def scrape(url: str, counters: set[str] | None = None) -> dict[str, dict[frozenset, float]]:
    """{sample name: {labels: value}}; the names of counter samples are added to COUNTERS."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        text = resp.read().decode()
    families: dict[str, dict[frozenset, float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            families.setdefault(s.name, {})[frozenset(s.labels.items())] = s.value
            if counters is not None and family.type == "counter":
                counters.add(s.name)
    return families


@pytest.fixture(scope="module")
def both() -> tuple[dict, dict, dict, set[str]]:
    """Reference, ours, reference again (so ours sits between the two in time), counter names."""
    binary = which("prometheus-node-exporter")
    require(binary is not None, "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)")
    ref_port, py_port = free_port(), free_port()
    ref = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{ref_port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    py = subprocess.Popen([*pyexporter_cmd(), f"--web.listen-address=127.0.0.1:{py_port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{ref_port}/metrics")
        wait_http(f"http://127.0.0.1:{py_port}/-/healthy")
        # Warm both up, then scrape reference, ours, reference in quick succession.
        scrape(f"http://127.0.0.1:{py_port}/metrics")
        counters: set[str] = set()
        reference = scrape(f"http://127.0.0.1:{ref_port}/metrics", counters)
        ours = scrape(f"http://127.0.0.1:{py_port}/metrics")
        after = scrape(f"http://127.0.0.1:{ref_port}/metrics")
    finally:
        for proc in (ref, py):
            proc.terminate()
            proc.wait(timeout=20)
    return reference, ours, after, counters


def test_every_reference_family_is_emitted(both) -> None:
    reference, ours, _, _ = both
    wanted = {name for name in reference if name.startswith("node_")} - NOT_EMITTED
    missing = sorted(wanted - set(ours))
    assert not missing, missing


def test_identity_families_are_identical(both) -> None:
    reference, ours, _, _ = both
    for name in IDENTITY:
        if name in reference:
            assert ours.get(name) == reference[name], name


def test_scrape_success_where_the_reference_succeeds(both) -> None:
    reference, ours, _, _ = both
    ok = {dict(labels)["collector"] for labels, value in reference["node_scrape_collector_success"].items()
          if value == 1}
    ours_ok = {dict(labels)["collector"] for labels, value in ours["node_scrape_collector_success"].items()
               if value == 1}
    assert not (ok - ours_ok), ok - ours_ok


def test_scrape_fails_where_the_reference_has_no_data(both) -> None:
    """node_exporter reports node_scrape_collector_success 0 for ErrNoData (no ZFS, no hwmon, ...)."""
    reference, ours, _, _ = both
    failed = {dict(labels)["collector"] for labels, value in reference["node_scrape_collector_success"].items()
              if value == 0}
    ours_failed = {dict(labels)["collector"] for labels, value in ours["node_scrape_collector_success"].items()
                   if value == 0}
    ours_all = {dict(labels)["collector"] for labels in ours["node_scrape_collector_success"]}
    assert not (failed & ours_all) - ours_failed, (failed & ours_all) - ours_failed


# Counters that are not monotonic across two processes: the exporters' own traffic shows in them
# differently, or the kernel resets them.
NOT_SANDWICHED = re.compile(r"^(node_scrape_|promhttp_|process_|go_)")


def test_counters_agree_within_the_time_between_scrapes(both) -> None:
    """Counters are monotonic: ours, scraped between two reference scrapes, must lie between them."""
    reference, ours, after, counters = both
    outside, compared = [], 0
    for name in sorted(counters):
        if not name.startswith("node_") or NOT_SANDWICHED.search(name):
            continue
        for labels, before in reference[name].items():
            if labels not in ours.get(name, {}) or labels not in after.get(name, {}):
                continue
            value, later = ours[name][labels], after[name][labels]
            compared += 1
            # /proc/stat CPU times tick in 1/100 s; allow one tick either way.
            slack = 0.011 if name.startswith("node_cpu_") else 0
            if not before - slack <= value <= later + slack:
                outside.append(f"{name}{dict(labels)}: {before} <= {value} <= {later}")
    assert compared > 50, compared
    assert not outside, "\n".join(outside[:30])
