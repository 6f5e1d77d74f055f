"""The ways of running pyexporter under deploy/: the systemd unit (systemd-analyze), the Kubernetes
manifests (the API's schemas, and the flags against our own CLI), the Prometheus scrape config for
Kubernetes (promtool, and its relabelling on a real Prometheus), and the Grafana dashboard (every
query run on a real Prometheus scraping a real pyexporter) with its compose provisioning."""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import random
import re
import shlex
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyexporter.cli import parse_args
from pyexporter.collectors import load_all
from tests.e2e.conftest import require, which

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "pyexporter.service"
DEFAULTS = DEPLOY / "systemd" / "pyexporter.default"
K8S = DEPLOY / "kubernetes"
K8S_SCRAPE = DEPLOY / "prometheus" / "kubernetes.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "pyexporter.json"
CONTAINER_CGROUPFS = ROOT / "tests" / "fixtures" / "container" / "v1" / "sys" / "fs" / "cgroup"
PROVISIONING = DEPLOY / "grafana" / "provisioning"


# ---------------------------------------------------------------------------------------------
# systemd


def unit_settings(path: Path) -> dict[str, list[str]]:
    """KEY -> every value it is given in the unit (systemd's keys may repeat)."""
    settings: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_unit_is_locked_down() -> None:
    unit = unit_settings(UNIT)
    one = {key: values[-1] for key, values in unit.items()}
    assert one["ExecStart"].split()[0] == "/usr/local/bin/pyexporter"
    assert one["EnvironmentFile"] == "-/etc/default/pyexporter"
    for key, value in {
        "DynamicUser": "yes", "ProtectSystem": "strict", "ProtectHome": "read-only", "PrivateTmp": "yes",
        "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "",
        "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "MemoryDenyWriteExecute": "yes",
        "LockPersonality": "yes", "SystemCallArchitectures": "native",
    }.items():
        assert one.get(key) == value, key
    assert one["RestrictAddressFamilies"].split() == ["AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"]
    assert unit["SystemCallFilter"][0] == "@system-service"
    # The timex collector's read-only adjtimex must survive ~@privileged, so it comes back after it.
    denied = unit["SystemCallFilter"].index("~@privileged @resources")
    assert "adjtimex" in unit["SystemCallFilter"][denied + 1].split()


def _systemd_root(tmp_path: Path) -> tuple[Path, Path]:
    """A root for `systemd-analyze --root`: the host's own unit directory (for sysinit.target and
    the rest of the boot dependencies), a stub where ExecStart points, our unit and defaults."""
    root = tmp_path / "root"
    units = Path("/usr/lib/systemd/system")
    require(units.is_dir(), f"{units} is missing (apt-get install systemd)")
    shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True)
    stub = root / "usr/local/bin/pyexporter"
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    unit = root / "etc/systemd/system/pyexporter.service"
    unit.parent.mkdir(parents=True)
    shutil.copy(UNIT, unit)
    (root / "etc/default").mkdir(parents=True)
    shutil.copy(DEFAULTS, root / "etc/default/pyexporter")
    return root, unit


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (apt-get install systemd)")
    root, unit = _systemd_root(tmp_path)
    proc = subprocess.run([analyze, "verify", "--man=no", f"--root={root}", str(unit)],
                          capture_output=True, text=True, timeout=60)
    # verify reports unknown keys and unparsable values on stderr yet may still exit 0.
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), proc


def test_systemd_analyze_verify_catches_mistakes(tmp_path: Path) -> None:
    """The check above is only worth something if a broken unit fails it."""
    analyze = which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (apt-get install systemd)")
    root, unit = _systemd_root(tmp_path)
    text = UNIT.read_text()
    for broken in (text.replace("ProtectSystem=strict", "ProtectSystem=strikt"),
                   text.replace("/usr/local/bin/pyexporter", "/usr/local/bin/missing")):
        unit.write_text(broken)
        proc = subprocess.run([analyze, "verify", "--man=no", f"--root={root}", str(unit)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 or proc.stderr.strip(), broken


def test_systemd_security_exposure_is_low(tmp_path: Path) -> None:
    analyze = which("systemd-analyze")
    require(analyze is not None, "systemd-analyze is not installed (apt-get install systemd)")
    root, unit = _systemd_root(tmp_path)
    # --threshold is in tenths: the unit scores 1.9 ("OK"); more than 2.5 means hardening was lost.
    proc = subprocess.run([analyze, "security", "--offline=yes", "--threshold=25", f"--root={root}", str(unit)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr


def _example_args(path: Path) -> list[str]:
    """The ARGS value and every commented ARGS example in the defaults file."""
    found = []
    for line in path.read_text().splitlines():
        match = re.match(r'^#?\s*ARGS="(.*)"\s*$', line)
        if match:
            found.append(match.group(1))
    return found


def test_systemd_defaults_examples_are_valid_flags(tmp_path: Path) -> None:
    examples = _example_args(DEFAULTS)
    assert "" in examples and len(examples) >= 3, examples
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    for args in examples:
        argv = [a.replace("/var/lib/pyexporter/textfile", str(textfiles)) for a in shlex.split(args)]
        parse_args(argv)


# ---------------------------------------------------------------------------------------------
# Kubernetes


def k8s_documents() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def k8s_kind(kind: str) -> dict[str, Any]:
    (doc,) = [d for d in k8s_documents() if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("version", ["1.25.0", "latest"])
def test_kubernetes_manifests_match_the_api_schemas(version: str) -> None:
    require(importlib.util.find_spec("kubernetes_validate") is not None,
            "kubernetes-validate is not installed (pip install kubernetes-validate)")
    import kubernetes_validate

    if version == "latest":
        version = kubernetes_validate.latest_version()
    docs = k8s_documents()
    assert {d["kind"] for d in docs} == {"Namespace", "DaemonSet", "Service"}
    for doc in docs:
        # strict: an unknown field (a typo such as hostPid) is an error, not ignored.
        kubernetes_validate.validate(doc, version, strict=True)


def test_kubernetes_daemonset_watches_the_host() -> None:
    daemonset = k8s_kind("DaemonSet")
    pod = daemonset["spec"]["template"]["spec"]
    assert pod["hostPID"] is True and pod["hostNetwork"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"] == {"cpu": "20m", "memory": "48Mi"}
    assert [p["containerPort"] for p in container["ports"]] == [9100]

    # Each --path flag points at a read-only mount of the matching host directory.
    host_paths = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    flags = dict(a.split("=", 1) for a in container["args"] if a.startswith("--path."))
    for flag, host_dir in {"--path.procfs": "/proc", "--path.sysfs": "/sys", "--path.rootfs": "/"}.items():
        mount = mounts[flags[flag]]
        assert mount["readOnly"] is True and host_paths[mount["name"]] == host_dir, flag
    assert flags["--path.procfs"] == "/host/proc" and flags["--path.sysfs"] == "/host/sys"
    assert flags["--path.rootfs"] == "/host/root"

    # The Service selects the DaemonSet's pods.
    service = k8s_kind("Service")
    labels = daemonset["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert daemonset["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert [p["port"] for p in service["spec"]["ports"]] == [9100]


def test_kubernetes_daemonset_args_are_valid_flags(tmp_path: Path) -> None:
    """The container's args, with /host/... made real directories, pass pyexporter's own checks."""
    (container,) = k8s_kind("DaemonSet")["spec"]["template"]["spec"]["containers"]
    for sub in ("proc", "sys", "root"):
        (tmp_path / sub).mkdir()
    argv = [a.replace("=/host/", f"={tmp_path}/") for a in container["args"]]
    settings = parse_args(argv)
    assert settings.paths.procfs == f"{tmp_path}/proc"
    mount_points = settings.collector_options["filesystem"].mount_points_exclude
    # Compiled or not, the kubelet's pod volumes must be left out.
    pattern = re.compile(getattr(mount_points, "pattern", mount_points))
    assert pattern.search("/var/lib/kubelet/pods/x/volumes/y") and not pattern.search("/home")


# ---------------------------------------------------------------------------------------------
# Prometheus


def _prometheus_query(base: str, promql: str) -> dict[str, Any]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as err:
        # A bad query answers 400/422 with the error in a JSON body.
        return json.load(err)


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def _until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """CHECK's first truthy answer, or its last one after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def _k8s_scrape_config() -> dict[str, Any]:
    return yaml.safe_load(K8S_SCRAPE.read_text())


def _without_kubernetes_sd(config: dict[str, Any], file_sd: Path) -> dict[str, Any]:
    """CONFIG with each kubernetes_sd_configs swapped for a file_sd_configs reading FILE_SD.

    Debian builds Prometheus without Kubernetes discovery, so its promtool rejects the key itself;
    everything else in the job (relabelling, intervals) is still checked as written."""
    config = json.loads(json.dumps(config))
    for job in config["scrape_configs"]:
        for sd in job.pop("kubernetes_sd_configs"):
            assert sd == {"role": "node"}, sd
        job["file_sd_configs"] = [{"files": [str(file_sd)], "refresh_interval": "1s"}]
    return config


def test_kubernetes_scrape_config_passes_promtool(tmp_path: Path) -> None:
    promtool = which("promtool")
    require(promtool is not None, "promtool is not installed (apt-get install prometheus)")
    (tmp_path / "targets.json").write_text("[]")
    config = tmp_path / "kubernetes.yml"
    config.write_text(yaml.safe_dump(_without_kubernetes_sd(_k8s_scrape_config(), tmp_path / "targets.json")))
    proc = subprocess.run([promtool, "check", "config", str(config)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _free_loopback_9100() -> str:
    """An address in 127.0.0.0/8 whose port 9100 is free: the relabelling fixes the port at 9100."""
    rng = random.Random()
    for _ in range(50):
        address = str(ipaddress.IPv4Address("127.0.0.0") + rng.randrange(2**16, 2**24 - 1))
        with socket.socket() as sock:
            try:
                sock.bind((address, 9100))
            except OSError:
                continue
            return address
    pytest.fail("no loopback address with a free port 9100")


def test_kubernetes_relabelling_scrapes_each_node_on_9100(tmp_path: Path, run_pyexporter, prometheus) -> None:
    """Node discovery's targets (the kubelet's address) become node:9100, named after the node.

    file_sd stands in for the Kubernetes API, giving what role: node discovery would give."""
    node_ip = _free_loopback_9100()
    run_pyexporter(f"--web.listen-address={node_ip}:9100", "--collector.disable-defaults", "--collector.loadavg")
    file_sd = tmp_path / "nodes.json"
    file_sd.write_text(json.dumps([
        {"targets": [f"{node_ip}:10250"], "labels": {"__meta_kubernetes_node_name": "node-a"}},
        # An IPv6 node: only the port after the brackets may change. Never scraped successfully.
        {"targets": ["[::1]:10250"], "labels": {"__meta_kubernetes_node_name": "node-b"}},
    ]))
    config = _without_kubernetes_sd(_k8s_scrape_config(), file_sd)
    config["global"]["scrape_interval"] = config["global"]["scrape_timeout"] = "1s"
    base = prometheus(config)

    def targets() -> dict[str, dict[str, Any]]:
        active = _get_json(f"{base}/api/v1/targets")["data"]["activeTargets"]
        return {t["labels"]["instance"]: t for t in active}

    found = _until(lambda: (t := targets()) and len(t) == 2 and t)
    assert set(found) == {"node-a", "node-b"}, found
    assert found["node-a"]["scrapeUrl"] == f"http://{node_ip}:9100/metrics"
    assert found["node-b"]["scrapeUrl"] == "http://[::1]:9100/metrics"
    assert found["node-a"]["labels"]["node"] == "node-a" and found["node-a"]["labels"]["job"] == "node"
    up = _until(lambda: _prometheus_query(base, 'up{instance="node-a"} == 1')["data"]["result"])
    assert up, targets()["node-a"]
    load = _until(lambda: _prometheus_query(base, 'node_load1{instance="node-a", node="node-a"}')["data"]["result"])
    assert load


# ---------------------------------------------------------------------------------------------
# Grafana


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def query_targets(board: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f'{panel["title"]} / {target["refId"]}', target["expr"])
            for panel in all_panels(board["panels"]) for target in panel.get("targets", [])]


# What Grafana puts in for its own variables, for a 1 s scrape interval.
BUILTINS = {"__rate_interval": "5s", "__interval": "1s", "__interval_ms": "1000", "__range": "15m",
            "__range_s": "900", "__range_ms": "900000"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")


def substitute(expr: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g)
        assert name in values, f"unknown variable ${name} in {expr}"
        return values[name]

    return _VARIABLE.sub(one, expr)


def test_dashboard_is_well_formed() -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and isinstance(board["schemaVersion"], int)
    panels = list(all_panels(board["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), ids
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f'{panel["title"]} overlaps {cells[(x, y)]}'
                cells[(x, y)] = panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            # Every query follows the instance picker, or the panels would mix hosts.
            assert 'instance="$instance"' in target["expr"], target["expr"]
    exprs = " ".join(expr for _, expr in query_targets(board))
    for metric in ("node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_load1",
                   "node_disk_read_bytes_total", "node_network_receive_bytes_total",
                   "node_filesystem_avail_bytes", "namedprocess_namegroup_cpu_seconds_total",
                   "namedprocess_namegroup_memory_bytes", "container_cpu_usage_seconds_total",
                   "container_spec_cpu_quota", "container_spec_cpu_period", "container_cpu_cfs_throttled_periods_total",
                   "container_cpu_cfs_periods_total", "container_memory_working_set_bytes",
                   "container_spec_memory_limit_bytes"):
        assert metric in exprs, metric
    # The container panels follow the container picker too.
    for where, expr in query_targets(board):
        if "container_" in expr:
            assert expr.count('name=~"$container"') == expr.count("container_"), f"{where}: {expr}"
    names = [v["name"] for v in board["templating"]["list"]]
    assert names[:3] == ["datasource", "job", "instance"], names


def test_grafana_provisioning_matches_compose() -> None:
    compose = yaml.safe_load((ROOT / "compose.grafana.yml").read_text())
    grafana = compose["services"]["grafana"]
    assert grafana["image"].startswith("grafana/grafana")
    mounts = {}
    for volume in grafana["volumes"]:
        source, target, *_ = volume.split(":")
        assert (ROOT / source).is_dir(), source
        mounts[target] = (ROOT / source).resolve()
    assert mounts["/etc/grafana/provisioning"] == PROVISIONING.resolve()
    (provider,) = yaml.safe_load((PROVISIONING / "dashboards" / "pyexporter.yml").read_text())["providers"]
    assert mounts[provider["options"]["path"]] == DASHBOARD.parent.resolve()
    (source,) = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    datasource_var = dashboard()["templating"]["list"][0]
    assert datasource_var["current"]["value"] == source["uid"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(provider["options"]["path"] + "/") and Path(home).name == DASHBOARD.name
    # Like compose.yml's ports, Grafana's is published on loopback only.
    assert all(str(p).startswith("127.0.0.1:") for p in grafana["ports"])
    assert "prometheus" in grafana["depends_on"]


def test_compose_accepts_the_grafana_override(tmp_path: Path) -> None:
    compose = which("docker-compose")
    require(compose is not None, "docker-compose is not installed (apt-get install docker-compose)")
    require((ROOT / "compose.yml").exists(), "compose.yml is missing")
    proc = subprocess.run([compose, "-f", "compose.yml", "-f", "compose.grafana.yml", "config"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    merged = yaml.safe_load(proc.stdout)
    assert {"server", "pyexporter", "prometheus", "grafana"} <= set(merged["services"])


def test_dashboard_queries_run_on_a_real_prometheus(run_pyexporter, prometheus) -> None:
    """Each variable and panel query, with the variables filled in as Grafana would, must be valid
    PromQL that Prometheus evaluates without error and that finds data from a live pyexporter."""
    collectors = load_all()
    args = ["--collector.namedprocess"] if "namedprocess" in collectors else []
    if "container" in collectors:
        # The container panels need a cgroup with CPU and memory limits, which this host's own
        # cgroups may not have: the collector's v1 fixture tree has one.
        args += ["--collector.container", f"--path.cgroupfs={CONTAINER_CGROUPFS}",
                 "--collector.container.cgroup-include=/docker/.+", "--collector.container.name=demo"]
    exporter, _ = run_pyexporter(*args)
    base = prometheus({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [{"job_name": "node", "static_configs": [{"targets": [exporter.removeprefix("http://")]}]}],
    })
    # Enough samples for rate() over $__rate_interval.
    filled = _until(lambda: _prometheus_query(base, 'count_over_time(up{job="node"}[5s]) >= 3')["data"]["result"])
    assert filled, "Prometheus never scraped pyexporter"

    board = dashboard()
    values = dict(BUILTINS)
    for variable in board["templating"]["list"]:
        if variable["type"] == "datasource":
            continue
        assert variable["type"] == "query", variable
        definition = substitute(variable["query"], values)
        match = re.fullmatch(r"label_values\((?:(.+),\s*)?(\w+)\)", definition)
        assert match, definition
        selector, label = match.groups()
        # What Grafana asks Prometheus for label_values(SELECTOR, LABEL): a series selector only.
        url = f"{base}/api/v1/label/{label}/values?" + urllib.parse.urlencode({"match[]": selector or "up"})
        found = _until(lambda url=url: _get_json(url)["data"])
        if variable.get("includeAll"):
            values[variable["name"]] = variable["allValue"]
        else:
            assert found, f"variable {variable['name']}: no values for {definition}"
            values[variable["name"]] = found[0]
    assert values["job"] == "node" and values["instance"] == exporter.removeprefix("http://")

    empty = []
    for where, expr in query_targets(board):
        promql = substitute(expr, values)
        answer = _prometheus_query(base, promql)
        assert answer["status"] == "success", f"{where}: {promql}: {answer}"
        missing = {c for c in ("namedprocess", "container") if c not in collectors}
        if any(f"{c}_" in promql for c in missing):
            continue
        if not _until(lambda promql=promql: _prometheus_query(base, promql)["data"]["result"], timeout=15):
            empty.append(f"{where}: {promql}")
    # Every metric the dashboard names exists on a live Linux host, so an empty answer is a typo.
    assert not empty, "\n".join(empty)
