"""The systemd and logind collectors against a real systemd, PID 1 of a container on the test engine.

A stand-in image adds Debian's systemd, dbus and libpam-systemd to the debootstrapped bookworm base
image; the container boots systemd with the container's /run bind-mounted from a directory of
this host, so the host reaches the container's system bus (run/dbus/system_bus_socket) and
systemd's private socket (run/systemd/private). No --privileged (the sandbox refuses its
capabilities: "unable to apply caps: operation not permitted"): the host's cgroup v1 tree
mounted writable with --cgroupns=host is what systemd needs here, and gives it real task
accounting.

The test defines units there and drives them (a oneshot, a simple service started and stopped, one
that fails, one restarted by Restart=always after kills, one with forked tasks and a TasksMax, a
timer that fires, an Accept=yes socket with MaxConnections=1 given one connection it keeps and one
it refuses), then checks what our collectors read over the bus, and compares them sample for sample
with Debian's node_exporter 1.5.0 on the same bus.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pyexporter.collectors import load
from pyexporter.collectors.logind import LogindCollector
from pyexporter.collectors.systemd import SystemdCollector
from pyexporter.flags import NoOptions
from pyexporter.paths import Paths
from pyexporter.toolkit import dbus
from pyexporter.toolkit.collector import CollectorContext
from tests.e2e.conftest import free_port, wait_http, which
from tests.e2e.docker_harness import REPO, Engine
from tests.helpers import require

SYSTEMD_IMAGE = "pyexporter-test/systemd:bookworm"
SYSTEMD_STANDIN = """\
FROM {base}
RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \\
    && apt-get update -qq \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus \\
       libpam-systemd >/dev/null \\
    && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/lib/systemd/systemd"]
"""

UNITS = {
    "pyexp-oneshot.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
    "pyexp-simple.service": "[Service]\nExecStart=/bin/sleep infinity\n",
    "pyexp-fail.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    "pyexp-restart.service": (
        "[Unit]\nStartLimitIntervalSec=0\n"
        "[Service]\nExecStart=/bin/sleep infinity\nRestart=always\nRestartSec=100ms\n"
    ),
    "pyexp-forks.service": (
        "[Service]\nExecStart=/bin/sh -c 'sleep infinity & sleep infinity & wait'\nTasksMax=17\n"
    ),
    "pyexp-tick.timer": "[Timer]\nOnActiveSec=1s\nAccuracySec=1ms\n",
    "pyexp-tick.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    "pyexp-echo.socket": "[Socket]\nListenStream=/run/pyexp-echo.sock\nAccept=yes\nMaxConnections=1\n",
    "pyexp-echo@.service": "[Service]\nExecStart=/bin/sleep 60\nStandardInput=socket\n",
}
ALL_METRICS = {"enable-task-metrics": True, "enable-restarts-metrics": True, "enable-start-time-metrics": True}
# Debian's 1.5.0 adds `target` to the default unit-exclude; both are given upstream's default.
EXCLUDE = r".+\.(automount|device|mount|scope|slice)"
REFERENCE_FLAGS = [
    "--collector.disable-defaults", "--collector.systemd", "--collector.logind",
    "--collector.systemd.enable-task-metrics", "--collector.systemd.enable-restarts-metrics",
    "--collector.systemd.enable-start-time-metrics", f"--collector.systemd.unit-exclude={EXCLUDE}",
]
# Families the reference (1.5.0) does not have: newer than it.
NEWER_THAN_REFERENCE = {"node_systemd_virtualization_info"}


class Machine:
    """The container: its name, the host directory that is its /run, and a way to run commands."""

    def __init__(self, engine: Engine, name: str, run_dir: Path) -> None:
        self.engine, self.name, self.run_dir = engine, name, run_dir

    def sh(self, script: str, *, check: bool = True, input: bytes | None = None,
           tty: bool = False, detach: bool = False) -> str:
        flags = ["-i"] if input is not None else []
        flags += ["-t"] if tty else []
        flags += ["-d"] if detach else []
        result = self.engine.docker("exec", *flags, self.name, "sh", "-c", script, check=check, input=input,
                                    timeout=60)
        return str(result.stdout.decode(errors="replace"))

    def show(self, unit: str, prop: str) -> str:
        return self.sh(f"systemctl show -p {prop} --value {unit}").strip()

    def wait_for(self, unit: str, prop: str, value: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while (got := self.show(unit, prop)) != value:
            assert time.monotonic() < deadline, f"{unit} {prop}={got!r}, waited for {value!r}"
            time.sleep(0.1)

    @property
    def bus_address(self) -> str:
        return f"unix:path={self.run_dir / 'dbus' / 'system_bus_socket'}"


def _systemd_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root: the container's bus and private socket are root's"
    if (Path("/sys/fs/cgroup") / "cgroup.controllers").exists():
        return None
    if not (Path("/sys/fs/cgroup") / "systemd").is_dir():
        return "no name=systemd cgroup v1 hierarchy on this host for systemd in a container"
    return None


def _remove_cgroups(container_id: str) -> None:
    """Empty cgroups systemd left in the host's v1 tree under the container's (best effort)."""
    for root in Path("/sys/fs/cgroup").iterdir():
        top = root / "docker" / container_id
        if not top.is_dir():
            continue
        for directory in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            try:
                directory.rmdir()
            except OSError:
                pass
        try:
            top.rmdir()
        except OSError:
            pass


def _remove_new_top_level_entries(before: set[str]) -> None:
    """What systemd in the container made at the top of the host's cgroupfs (a tmpfs on v1): the
    links and empty directories of controllers it would co-mount (`cpu,cpuacct`, `net_cls`, ...).
    Left there, they look like hierarchies to anything that lists /sys/fs/cgroup. Mount points and
    what was there before are never touched."""
    root = Path("/sys/fs/cgroup")
    for entry in sorted(set(os.listdir(root)) - before):
        path = root / entry
        try:
            if path.is_symlink():
                path.unlink()
            elif path.is_dir() and not os.path.ismount(path):
                path.rmdir()
        except OSError:
            pass


@pytest.fixture(scope="module")
def machine(engine: Engine) -> Iterator[Machine]:
    reason = _systemd_reason()
    require(reason is None, reason or "")
    engine.ensure_standin(SYSTEMD_IMAGE, SYSTEMD_STANDIN)
    # Short: a unix socket path must stay under 108 bytes.
    run_dir = Path(tempfile.mkdtemp(prefix="pyexp-sd-", dir="/tmp"))
    run_dir.chmod(0o755)  # as /run: dbus-daemon runs as messagebus
    name = f"pyexporter-systemd-{os.getpid()}"
    container_id = ""
    cgroupfs_before = set(os.listdir("/sys/fs/cgroup"))
    try:
        started = engine.docker(
            "run", "-d", "--name", name, "--cgroupns=host", "--network=none",
            "-v", f"{run_dir}:/run", "--tmpfs", "/run/lock", "-v", "/sys/fs/cgroup:/sys/fs/cgroup",
            SYSTEMD_IMAGE, timeout=60)
        container_id = started.stdout.decode().strip()
        box = Machine(engine, name, run_dir)
        deadline = time.monotonic() + 60
        while (state := box.sh("systemctl is-system-running || true").strip()) not in ("running", "degraded"):
            if time.monotonic() > deadline:
                logs = engine.docker("logs", name, check=False).stdout.decode(errors="replace")[-3000:]
                pytest.fail(f"systemd in the container did not come up ({state!r}):\n{logs}")
            time.sleep(0.2)
        for unit, text in UNITS.items():
            box.sh(f"cat > /etc/systemd/system/{unit}", input=text.encode())
        box.sh("systemctl daemon-reload")
        yield box
    finally:
        engine.docker("rm", "-f", name, check=False, timeout=60)
        if container_id:
            _remove_cgroups(container_id)
        _remove_new_top_level_entries(cgroupfs_before)
        shutil.rmtree(run_dir, ignore_errors=True)


def samples(families: Any) -> dict[str, dict[frozenset[tuple[str, str]], float]]:
    out: dict[str, dict[frozenset[tuple[str, str]], float]] = {}
    for family in families:
        for s in family.samples:
            out.setdefault(s.name, {})[frozenset(s.labels.items())] = s.value
    return out


def key(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def collect_systemd(monkeypatch: pytest.MonkeyPatch, box: Machine, options: dict[str, object] | None = None,
                    private: bool = False) -> dict[str, dict[frozenset[tuple[str, str]], float]]:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", box.bus_address)
    spec = load(["systemd"])["systemd"]
    ctx = CollectorContext(paths=Paths(), options=spec.options(options or {}),
                           logger=logging.getLogger("test.systemd"))
    private_address = f"unix:path={box.run_dir / 'systemd' / 'private'}"
    connector = (lambda _: dbus.Connection.open(private_address, hello=False)) if private else None
    return samples(SystemdCollector(ctx, connector).collect())


def collect_logind(monkeypatch: pytest.MonkeyPatch, box: Machine) -> dict[str, dict[frozenset[tuple[str, str]], float]]:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", box.bus_address)
    ctx = CollectorContext(paths=Paths(), options=NoOptions(), logger=logging.getLogger("test.logind"))
    return samples(LogindCollector(ctx).collect())


@pytest.fixture(scope="module")
def driven(machine: Machine) -> Iterator[dict[str, float]]:
    """The units started, failed, restarted, triggered and connected to; the times around it."""
    box = machine
    t0 = time.time()
    box.sh("systemctl start pyexp-oneshot pyexp-simple pyexp-restart pyexp-forks pyexp-echo.socket "
           "pyexp-tick.timer")
    box.sh("systemctl start pyexp-fail", check=False)
    box.wait_for("pyexp-fail", "ActiveState", "failed")
    for restarts in ("1", "2"):
        box.wait_for("pyexp-restart", "ActiveState", "active")
        box.sh("systemctl kill -s KILL --kill-who=main pyexp-restart")
        box.wait_for("pyexp-restart", "NRestarts", restarts)
    box.wait_for("pyexp-restart", "ActiveState", "active")
    box.wait_for("pyexp-forks", "TasksCurrent", "3")
    box.wait_for("pyexp-tick.timer", "SubState", "elapsed")  # fired once, nothing left to do
    # One connection the socket hands to a service instance, kept open; a second one refused.
    kept = socket.socket(socket.AF_UNIX)  # held open for the module's life
    kept.connect(str(box.run_dir / "pyexp-echo.sock"))
    box.wait_for("pyexp-echo.socket", "NConnections", "1")
    refused = socket.socket(socket.AF_UNIX)
    refused.connect(str(box.run_dir / "pyexp-echo.sock"))
    box.wait_for("pyexp-echo.socket", "NRefused", "1")
    refused.close()
    # Two login sessions through PAM (pam_systemd): one without a terminal, one on a pty.
    box.sh("su -l root -c 'sleep 120'", detach=True)
    box.sh("su -l root -c 'sleep 120'", detach=True, tty=True)
    deadline = time.monotonic() + 15
    while len(box.sh("loginctl list-sessions --no-legend").splitlines()) < 2:
        assert time.monotonic() < deadline, "no two logind sessions"
        time.sleep(0.1)
    try:
        yield {"t0": t0, "t1": time.time()}
    finally:
        kept.close()


def test_units_as_systemd_reports_them(machine: Machine, driven: dict[str, float],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """collectUnitStatusMetrics, collectUnitStartTimeMetrics, collectUnitTasksMetrics, collectTimers,
    collectSockets, collectSummaryMetrics, collectSystemState, getSystemdVersion on a live systemd."""
    got = collect_systemd(monkeypatch, machine, ALL_METRICS)
    state = got["node_systemd_unit_state"]
    for unit, active, kind in (("pyexp-oneshot.service", "active", "oneshot"),
                               ("pyexp-simple.service", "active", "simple"),
                               ("pyexp-fail.service", "failed", "oneshot"),
                               ("pyexp-restart.service", "active", "simple"),
                               ("pyexp-echo.socket", "active", "")):
        for one in ("active", "activating", "deactivating", "inactive", "failed"):
            assert state[key(name=unit, state=one, type=kind)] == (1.0 if one == active else 0.0), (unit, one)
    assert got["node_systemd_service_restart_total"][key(name="pyexp-restart.service")] == 2.0
    assert got["node_systemd_service_restart_total"][key(name="pyexp-simple.service")] == 0.0
    assert got["node_systemd_unit_tasks_current"][key(name="pyexp-forks.service")] == 3.0
    assert got["node_systemd_unit_tasks_max"][key(name="pyexp-forks.service")] == 17.0
    started = got["node_systemd_unit_start_time_seconds"]
    assert driven["t0"] - 1 <= started[key(name="pyexp-simple.service")] <= driven["t1"] + 1
    assert started[key(name="pyexp-fail.service")] == 0.0  # not active
    fired = got["node_systemd_timer_last_trigger_seconds"][key(name="pyexp-tick.timer")]
    assert driven["t0"] - 1 <= fired <= driven["t1"] + 1
    sock = key(name="pyexp-echo.socket")
    assert got["node_systemd_socket_accepted_connections_total"][sock] == 1.0
    assert got["node_systemd_socket_current_connections"][sock] == 1.0
    assert got["node_systemd_socket_refused_connections_total"][sock] == 1.0
    # The failed unit makes the system degraded.
    assert machine.sh("systemctl is-system-running || true").strip() == "degraded"
    assert got["node_systemd_system_running"][key()] == 0.0
    assert got["node_systemd_units"][key(state="failed")] >= 1.0
    assert sum(got["node_systemd_units"].values()) == len(
        machine.sh("systemctl list-units --all --no-legend --plain").splitlines())
    ((labels, value),) = got["node_systemd_version"].items()
    assert dict(labels)["version"].startswith("252.") and 252 <= value < 253
    virt = machine.sh("systemd-detect-virt || true").strip()
    assert got["node_systemd_virtualization_info"] == {key(virtualization_type=virt): 1.0}
    # The default unit-exclude leaves out slices and scopes; LoadState "loaded" only.
    names = {dict(labels)["name"] for labels in state}
    assert not any(name.endswith((".slice", ".scope", ".mount", ".device")) for name in names)


def test_stopped_service_and_filters(machine: Machine, driven: dict[str, float],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """filterUnits (anchored include) and ListUnits: a service stopped that nothing refers to is
    unloaded, so listed no more; one a timer refers to stays listed, inactive, start time 0."""
    machine.sh("systemctl stop pyexp-simple")
    try:
        got = collect_systemd(monkeypatch, machine, {"unit-include": "pyexp-.*", "enable-start-time-metrics": True})
        names = {dict(labels)["name"] for labels in got["node_systemd_unit_state"]}
        assert names and all(name.startswith("pyexp-") for name in names)
        assert "pyexp-simple.service" not in names
        assert got["node_systemd_unit_state"][key(name="pyexp-tick.service", state="inactive", type="oneshot")] == 1
        assert got["node_systemd_unit_start_time_seconds"][key(name="pyexp-tick.service")] == 0.0
        # Anchored: "pyexp" alone matches no whole name.
        none = collect_systemd(monkeypatch, machine, {"unit-include": "pyexp"})
        assert "node_systemd_unit_state" not in none
        assert sum(none["node_systemd_units"].values()) > 0  # the summary counts every unit
    finally:
        machine.sh("systemctl start pyexp-simple")


# Run in the container's PID namespace (systemd refuses a private connection whose peer has no
# PID there: bus_check_peercred), on this host's files: the collector over the private socket.
PRIVATE_CODE = """\
import json, logging, sys
from pyexporter.collectors import load
from pyexporter.toolkit import dbus
from pyexporter.collectors.systemd import SystemdCollector
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorContext
spec = load(["systemd"])["systemd"]
ctx = CollectorContext(paths=Paths(), options=spec.options({"private": True}), logger=logging.getLogger("t"))
collector = SystemdCollector(ctx, lambda _: dbus.Connection.open(sys.argv[1], hello=False))
out = [[s.name, sorted(s.labels.items()), s.value] for f in collector.collect() for s in f.samples]
print(json.dumps(out))
"""


def test_private_socket_answers_as_the_bus(machine: Machine, driven: dict[str, float],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """newSystemdDbusConn with --collector.systemd.private: straight to PID 1, no Hello."""
    nsenter = which("nsenter")
    require(nsenter is not None, "nsenter is not installed (apt-get install util-linux)")
    assert nsenter is not None
    pid = machine.engine.docker("inspect", "-f", "{{.State.Pid}}", machine.name).stdout.decode().strip()
    address = f"unix:path={machine.run_dir / 'systemd' / 'private'}"
    run = subprocess.run([nsenter, "-t", pid, "-p", "--", sys.executable, "-c", PRIVATE_CODE, address],
                         capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    private: dict[str, dict[frozenset[tuple[str, str]], float]] = {}
    for name, labels, value in json.loads(run.stdout):
        private.setdefault(name, {})[frozenset(tuple(pair) for pair in labels)] = value
    over_bus = collect_systemd(monkeypatch, machine)
    assert private["node_systemd_unit_state"] == over_bus["node_systemd_unit_state"]
    assert private["node_systemd_version"] == over_bus["node_systemd_version"]
    assert private["node_systemd_system_running"] == over_bus["node_systemd_system_running"]
    # From this host's PID namespace systemd hangs up on the private socket.
    with pytest.raises(OSError):
        dbus.Connection.open(address, hello=False)


def test_logind_sessions(machine: Machine, driven: dict[str, float], monkeypatch: pytest.MonkeyPatch) -> None:
    """logind_linux.go collectMetrics/getSession: su without a terminal is a background session of
    type unspecified; su on a pty a user session of type tty; both on the empty seat."""
    got = collect_logind(monkeypatch, machine)["node_logind_sessions"]
    seats = [line.split()[0] for line in machine.sh("loginctl list-seats --no-legend").splitlines()] + [""]
    assert {dict(labels)["seat"] for labels in got} == set(seats)  # ListSeats, and the empty seat
    assert len(got) == 2 * 7 * 5 * len(seats)  # remote x type x class x seat
    counted = {dict(labels)["type"] + "/" + dict(labels)["class"]: v for labels, v in got.items() if v}
    assert counted == {"unspecified/background": 1.0, "tty/user": 1.0}


def _reference_scrape(address: str) -> str:
    binary = which("prometheus-node-exporter")
    require(binary is not None, "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)")
    assert binary is not None
    port = free_port()
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
    proc = subprocess.Popen([binary, *REFERENCE_FLAGS, f"--web.listen-address=127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        wait_http(url)
        with urllib.request.urlopen(url, timeout=30) as resp:
            return str(resp.read().decode())
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_same_samples_as_node_exporter_1_5_0(machine: Machine, driven: dict[str, float],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every node_systemd_* and node_logind_* family, sample for sample, against Debian's 1.5.0."""
    reference = samples(f for f in text_string_to_metric_families(_reference_scrape(machine.bus_address))
                        if f.name.startswith(("node_systemd", "node_logind")))
    assert reference, "the reference reported nothing"
    ours = collect_systemd(monkeypatch, machine, {**ALL_METRICS, "unit-exclude": EXCLUDE})
    ours.update(collect_logind(monkeypatch, machine))
    assert set(ours) - set(reference) == NEWER_THAN_REFERENCE
    for name in reference:
        assert ours[name] == reference[name], name
