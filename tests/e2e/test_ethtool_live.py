"""The ethtool collector on a real kernel: this machine's interfaces, and a network namespace of
our own (veth pair, bridge, ifb, tap; dummy where the kernel has it) in which Debian's
node_exporter 1.5.0 and pyexporter both run, compared family by family with promdiff."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pyexporter.collectors import load_all
from pyexporter.collectors.ethtool import EthtoolCollector
from pyexporter.paths import Paths
from tests.e2e.conftest import which
from tests.helpers import require
from tests.upstream import PROMDIFF

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Run as root inside `unshare --net --mount`: sysfs remounted so that /sys/class/net lists the new
# namespace's interfaces, interfaces made, then (when asked) the reference started and scraped
# and `pyexporter --once` run; both texts printed as JSON.
INNER = textwrap.dedent("""
    import json, subprocess, sys, time, urllib.request
    reference, repo = sys.argv[1], sys.argv[2]
    def sh(*cmd, check=True):
        return subprocess.run(cmd, check=check, capture_output=True, text=True)
    sh("mount", "-t", "sysfs", "sysfs", "/sys")
    sh("ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
    sh("ip", "link", "add", "br0", "type", "bridge")
    made = ["veth0", "veth1", "br0"]
    for name, extra in (("ifb9", ("ip", "link", "add", "ifb9", "type", "ifb")),
                        ("tap0", ("ip", "tuntap", "add", "tap0", "mode", "tap")),
                        ("dummy0", ("ip", "link", "add", "dummy0", "type", "dummy"))):
        if sh(*extra, check=False).returncode == 0:  # not every kernel has these
            made.append(name)
    for name in ("veth0", "veth1", "br0"):
        sh("ip", "link", "set", name, "up")
    sh("ip", "link", "set", "veth1", "master", "br0")
    flags = ["--collector.disable-defaults", "--collector.ethtool"]
    ref = ""
    if reference:
        proc = subprocess.Popen([reference, *flags, "--web.listen-address=127.0.0.1:19100"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    ref = urllib.request.urlopen("http://127.0.0.1:19100/metrics", timeout=5).read().decode()
                    break
                except OSError:
                    time.sleep(0.05)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    ours = subprocess.run([sys.executable, "-m", "pyexporter", "--once", *flags], cwd=repo,
                          check=True, capture_output=True, text=True)
    print(json.dumps({"made": made, "reference": ref, "ours": ours.stdout, "log": ours.stderr}))
""")


def samples_of(text: str, prefix: str = "node_") -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name.startswith(prefix)}


def test_host_interfaces_answer_without_failing() -> None:
    """Update over every interface of this machine: EOPNOTSUPP answers (lo) are skipped."""
    require(os.path.isdir("/sys/class/net"), "no /sys/class/net")
    built = load_all()["ethtool"].build(Paths(), None)
    assert isinstance(built, EthtoolCollector)
    families = list(built.collect())
    present = set(os.listdir("/sys/class/net"))
    for family in families:
        for s in family.samples:
            assert s.labels["device"] in present, s
            assert family.name.startswith(("node_ethtool_", "node_network_")), family.name


def run_in_namespace(tmp_path, reference: str | None) -> dict[str, object]:
    """One run of INNER in a new network and mount namespace (REFERENCE: node_exporter's binary
    to run beside pyexporter, or None)."""
    require(os.geteuid() == 0, "needs root for a network namespace")
    require(shutil.which("unshare") is not None, "unshare (util-linux) is not installed")
    require(shutil.which("ip") is not None, "ip (iproute2) is not installed")
    script = tmp_path / "inner.py"
    script.write_text(INNER)
    done = subprocess.run(
        ["unshare", "--net", "--mount", "--propagation", "private", sys.executable, str(script),
         reference or "", REPO],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Both exporters' output from one namespace (the reference's empty where it is not installed)."""
    return run_in_namespace(tmp_path_factory.mktemp("ethtool-netns"), which("prometheus-node-exporter"))


def test_namespace_interfaces(namespace: dict[str, object]) -> None:
    """veth (driver info, statistics, link settings without modes), bridge, ifb (no link
    settings: EOPNOTSUPP), tap, lo (nothing at all)."""
    result = namespace
    ours = samples_of(str(result["ours"]))
    info = {dict(labels)["device"]: dict(labels) for (name, labels) in ours if name == "node_ethtool_info"}
    assert info["veth0"]["driver"] == "veth"
    assert info["veth1"]["driver"] == "veth"
    assert info["br0"]["driver"] == "bridge"
    assert "lo" not in info
    # veth's statistics: the peer's interface index, and per-queue counters.
    peer0 = ours[("node_ethtool_peer_ifindex", frozenset({("device", "veth0")}))]
    peer1 = ours[("node_ethtool_peer_ifindex", frozenset({("device", "veth1")}))]
    assert {peer0, peer1} == {2.0, 3.0}
    assert ours[("node_network_autonegotiate", frozenset({("device", "veth0")}))] == 0
    assert not any(dict(labels).get("device") == "lo" for (_, labels) in ours)
    if "ifb9" in result["made"]:  # type: ignore[operator]
        assert info["ifb9"]["driver"] == "ifb"
        assert ("node_network_autonegotiate", frozenset({("device", "ifb9")})) not in ours
    assert ours[("node_scrape_collector_success", frozenset({("collector", "ethtool")}))] == 1


def test_namespace_matches_node_exporter_1_5_0(namespace: dict[str, object], tmp_path) -> None:
    """Debian's node_exporter 1.5.0 in the same namespace: every node_ethtool_ and node_network_
    family identical (values too: veth's counters stay 0 without traffic, and no statistic of
    these drivers has a name that sanitizing changes, where 1.5.0 reported 0)."""
    binary = which("prometheus-node-exporter")
    require(binary is not None, "prometheus-node-exporter is not installed")
    require(os.path.isfile(PROMDIFF), "promdiff is not available")
    result = namespace
    reference = tmp_path / "reference.txt"
    ours = tmp_path / "ours.txt"
    reference.write_text(str(result["reference"]))
    ours.write_text(str(result["ours"]))
    assert samples_of(str(result["reference"]), "node_ethtool_info"), result["reference"]
    diff = subprocess.run([sys.executable, PROMDIFF, str(reference), str(ours),
                           "--family", r"^node_(ethtool|network)_"],
                          capture_output=True, text=True, timeout=60)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert samples_of(str(result["reference"]), "node_ethtool_") == samples_of(str(result["ours"]), "node_ethtool_")
