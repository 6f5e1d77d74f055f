"""Side by side with the reference node_exporter (Debian's 1.5.0) on this very host."""

from __future__ import annotations

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


def scrape(url: str) -> dict[str, dict[frozenset, float]]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        text = resp.read().decode()
    families: dict[str, dict[frozenset, float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            families.setdefault(s.name, {})[frozenset(s.labels.items())] = s.value
    return families


@pytest.fixture(scope="module")
def both() -> tuple[dict, dict]:
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
        reference = scrape(f"http://127.0.0.1:{ref_port}/metrics")
        ours = scrape(f"http://127.0.0.1:{py_port}/metrics")
    finally:
        for proc in (ref, py):
            proc.terminate()
            proc.wait(timeout=20)
    return reference, ours


def test_every_reference_family_is_emitted(both) -> None:
    reference, ours = both
    wanted = {name for name in reference if name.startswith("node_")} - NOT_EMITTED
    missing = sorted(wanted - set(ours))
    assert not missing, missing


def test_identity_families_are_identical(both) -> None:
    reference, ours = both
    for name in IDENTITY:
        if name in reference:
            assert ours.get(name) == reference[name], name


def test_scrape_success_where_the_reference_succeeds(both) -> None:
    reference, ours = both
    ok = {dict(labels)["collector"] for labels, value in reference["node_scrape_collector_success"].items()
          if value == 1}
    ours_ok = {dict(labels)["collector"] for labels, value in ours["node_scrape_collector_success"].items()
               if value == 1}
    assert not (ok - ours_ok), ok - ours_ok
