"""network_route and tcpstat on real kernel answers: each scenario builds a fresh network namespace
(`unshare -n`), lays out veth links, addresses, routes in several tables, or TCP sockets in known
states there, runs `pyexporter --once` inside it, and the tests assert the exact samples; Debian's
node_exporter 1.5.0 runs in the same namespace and its samples are compared with ours.

node_exporter is socket-activated on a Unix socket (--web.systemd-socket with fd 3, as systemd
passes it), so that neither its listener nor the scrape's connection is a TCP socket that its own
tcpstat collector would count.

Needs root (a new network namespace, `ip link add`); CI runs as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import ROOT
from tests.helpers import require

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

# Runs inside the new network namespace: builds SCENARIO, runs pyexporter --once with the collector,
# and node_exporter (when a binary is given) socket-activated on a Unix socket; prints both
# expositions as JSON.
DRIVER = r'''
import json, os, socket, subprocess, sys, tempfile, time

scenario, collector, reference = sys.argv[1], sys.argv[2], sys.argv[3]
keep = []


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


ip("link", "set", "lo", "up")
for n in (0, 1):  # veth pairs: the dummy module is not everywhere
    ip("link", "add", f"uplink{n}", "type", "veth", "peer", "name", f"peer{n}")
    ip("link", "set", f"peer{n}", "up")
    ip("link", "set", f"uplink{n}", "up")
ip("addr", "add", "192.0.2.1/24", "dev", "uplink0")
ip("addr", "add", "198.51.100.1/24", "dev", "uplink1")

if scenario == "routes":
    ip("-6", "addr", "add", "2001:db8::1/64", "dev", "uplink0", "nodad")
    ip("route", "add", "default", "via", "192.0.2.254", "dev", "uplink0", "metric", "100")
    ip("route", "add", "203.0.113.0/24", "via", "198.51.100.254", "proto", "static")
    ip("route", "add", "10.10.0.0/16", "table", "100",
       "nexthop", "via", "192.0.2.254", "dev", "uplink0", "weight", "1",
       "nexthop", "via", "198.51.100.254", "dev", "uplink1", "weight", "3")
    ip("route", "add", "blackhole", "10.99.0.0/16")
    ip("route", "add", "unreachable", "10.98.0.0/16", "table", "100")
    # The same route in two tables: one label set, counted twice.
    ip("route", "add", "10.20.0.0/16", "dev", "uplink1", "table", "200", "proto", "bird", "src", "198.51.100.1")
    ip("route", "add", "10.20.0.0/16", "dev", "uplink1", "table", "201", "proto", "bird", "src", "198.51.100.1")
    ip("route", "add", "10.40.0.0/16", "via", "192.0.2.253", "proto", "99", "metric", "4000000000")
    ip("-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::ff", "dev", "uplink0", "metric", "5")
    ip("-6", "route", "add", "::ffff:0:0/96", "dev", "uplink0")  # an IPv4-mapped prefix: Go says <nil>
    ip("route", "add", "10.30.0.0/16", "via", "inet6", "fe80::1", "dev", "uplink0")  # RTA_VIA: no gw
    # The kernel adds each veth end's fe80::/64 route once linkwatch reports its carrier, which
    # may take up to a second: wait for all four.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        shown = subprocess.run(["ip", "-6", "route", "show", "fe80::/64"], capture_output=True, text=True).stdout
        if len(shown.splitlines()) == 4:
            break
        time.sleep(0.05)
elif scenario == "sockets":
    listen4 = socket.socket()
    listen4.bind(("127.0.0.1", 0))
    listen4.listen(16)
    listen6 = socket.socket(socket.AF_INET6)
    listen6.bind(("::1", 0))
    listen6.listen(5)
    # established both ways, 100 bytes unread at the server
    client = socket.create_connection(listen4.getsockname())
    server, _ = listen4.accept()
    client.sendall(b"x" * 100)
    # established, still in listen6's accept queue
    pending = socket.create_connection(listen6.getsockname()[:2])
    # half closed: the client is in FIN_WAIT2, the server in CLOSE_WAIT with the FIN unread
    closer = socket.create_connection(listen4.getsockname())
    closed, _ = listen4.accept()
    closer.shutdown(socket.SHUT_WR)
    # closed by the client first: its socket stays in TIME_WAIT
    brief = socket.create_connection(listen4.getsockname())
    brief_server, _ = listen4.accept()
    brief.close()
    time.sleep(0.05)
    brief_server.close()
    # a SYN to a neighbour that never answers: SYN_SENT. A permanent neighbour entry, so that no
    # ARP failure (after some 3 s) reports the host unreachable and ends the connect.
    ip("neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev", "uplink0", "nud", "permanent")
    hopeless = socket.socket()
    hopeless.setblocking(False)
    hopeless.connect_ex(("192.0.2.2", 9))
    keep += [listen4, listen6, client, server, pending, closer, closed, hopeless]
    time.sleep(0.2)

out = {"ss": subprocess.run(["ss", "-tan"], capture_output=True, text=True).stdout}
out["pyexporter"] = subprocess.run(
    [sys.executable, "-m", "pyexporter", "--once", "--collector.disable-defaults", f"--collector.{collector}"],
    capture_output=True, text=True, check=True).stdout

if reference:
    path = os.path.join(tempfile.mkdtemp(), "node_exporter.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen()
    wrapper = ("import os, sys\nos.dup2(int(sys.argv[1]), 3)\n"
               "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1')\nos.execv(sys.argv[2], sys.argv[2:])")
    proc = subprocess.Popen(
        [sys.executable, "-c", wrapper, str(listener.fileno()), reference, "--web.systemd-socket",
         "--collector.disable-defaults", f"--collector.{collector}"],
        pass_fds=(listener.fileno(),), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    listener.close()
    try:
        conn = socket.socket(socket.AF_UNIX)
        conn.settimeout(10)
        conn.connect(path)  # queued until node_exporter accepts
        conn.sendall(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        while chunk := conn.recv(1 << 16):
            data += chunk
        out["reference"] = data.decode().split("\r\n\r\n", 1)[1]
    finally:
        proc.terminate()
        out["reference_log"] = proc.communicate(timeout=10)[1]
print(json.dumps(out))
'''


def _reference() -> str:
    return shutil.which("prometheus-node-exporter") or ""


def _namespaces_usable() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip") or not shutil.which("ss"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def run_in_namespace(scenario: str, collector: str, reference: str = "") -> dict[str, str]:
    require(_namespaces_usable(), "needs root, unshare, ip and ss to build a network namespace")
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", DRIVER, scenario, collector, reference],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, str] = json.loads(done.stdout)
    return result


def samples(text: str, prefix: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text) if family.name.startswith(prefix)
        for s in family.samples
    }


def info(device: str, src: str, dest: str, gw: str, priority: str, proto: str, weight: str = ""
         ) -> tuple[str, frozenset[tuple[str, str]]]:
    labels = {"device": device, "src": src, "dest": dest, "gw": gw, "priority": priority, "proto": proto,
              "weight": weight}
    return "node_network_route_info", frozenset(labels.items())


def routes(device: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return "node_network_routes", frozenset({("device", device)})


def states(**counts: float) -> Samples:
    return {("node_tcp_connection_states", frozenset({("state", name)})): value for name, value in counts.items()}


# Update keeps RTN_UNICAST routes of every table and family; blackhole, unreachable, local,
# broadcast and multicast ones are left out. The proto of `ip route add` is boot.
EXPECTED_ROUTES: Samples = {
    info("uplink0", "", "default", "192.0.2.254", "100", "boot"): 1,
    info("uplink0", "192.0.2.1", "192.0.2.0/24", "", "0", "kernel"): 1,
    info("uplink1", "198.51.100.1", "198.51.100.0/24", "", "0", "kernel"): 1,
    info("uplink1", "", "203.0.113.0/24", "198.51.100.254", "0", "static"): 1,
    info("uplink0", "", "10.10.0.0/16", "192.0.2.254", "0", "boot", "1"): 1,  # rtnexthop hops + 1
    info("uplink1", "", "10.10.0.0/16", "198.51.100.254", "0", "boot", "3"): 1,
    info("uplink1", "198.51.100.1", "10.20.0.0/16", "", "0", "bird"): 1,  # tables 200 and 201
    info("uplink0", "", "10.40.0.0/16", "192.0.2.253", "4000000000", "unknown"): 1,
    info("uplink0", "", "10.30.0.0/16", "", "0", "boot"): 1,  # an IPv6 gateway (RTA_VIA), which rtnetlink skips
    info("uplink0", "", "2001:db8::/64", "", "256", "kernel"): 1,
    info("uplink0", "", "2001:db8:1::/48", "2001:db8::ff", "5", "boot"): 1,
    info("uplink0", "", "<nil>", "", "1024", "boot"): 1,  # ::ffff:0:0/96, To4 and a /96 mask
    info("uplink0", "", "fe80::/64", "", "256", "kernel"): 1,
    info("uplink1", "", "fe80::/64", "", "256", "kernel"): 1,
    info("peer0", "", "fe80::/64", "", "256", "kernel"): 1,
    info("peer1", "", "fe80::/64", "", "256", "kernel"): 1,
    routes("uplink0"): 9,
    routes("uplink1"): 6,
    routes("peer0"): 1,
    routes("peer1"): 1,
}

# listen: both listeners. established: the client and server of the first pair, and the pending
# connection's two ends. rx: 100 unread bytes + listen6's accept backlog of 1 + the unread FIN of
# the CLOSE_WAIT socket. tx: the listeners' backlog limits 16 and 5 (inet_diag reports
# sk_max_ack_backlog there) + the SYN_SENT socket's unacknowledged SYN.
EXPECTED_STATES = states(listen=2, established=4, fin_wait2=1, close_wait=1, time_wait=1, syn_sent=1,
                         rx_queued_bytes=102, tx_queued_bytes=22)


@pytest.fixture(scope="module")
def route_run() -> Iterator[dict[str, str]]:
    yield run_in_namespace("routes", "network_route", _reference())


@pytest.fixture(scope="module")
def socket_run() -> Iterator[dict[str, str]]:
    yield run_in_namespace("sockets", "tcpstat", _reference())


def test_network_route_exact_routes(route_run: dict[str, Any]) -> None:
    """networkRouteCollector.Update on a real RTM_GETROUTE dump: every unicast route of every
    table, multipath next hops with their weights, `default`, IPv6 and Go's `<nil>` prefix."""
    assert samples(route_run["pyexporter"], "node_network_route") == EXPECTED_ROUTES


def test_network_route_matches_node_exporter(route_run: dict[str, Any]) -> None:
    """The same namespace through node_exporter 1.5.0: the same samples; it logs the repeated
    10.20.0.0/16 label set as collected twice, and serves it once, as we do."""
    require(bool(_reference()), "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)")
    reference = route_run["reference"]
    assert samples(reference, "node_network_route") == samples(route_run["pyexporter"], "node_network_route")
    assert "was collected before with the same name and label values" in route_run["reference_log"]


def test_tcpstat_exact_states(socket_run: dict[str, Any]) -> None:
    """tcpStatCollector.Update on real inet_diag answers for IPv4 and IPv6 sockets in six states."""
    assert samples(socket_run["pyexporter"], "node_tcp") == EXPECTED_STATES, socket_run["ss"]


def test_tcpstat_matches_node_exporter(socket_run: dict[str, Any]) -> None:
    require(bool(_reference()), "prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)")
    assert samples(socket_run["reference"], "node_tcp") == EXPECTED_STATES, socket_run["ss"]
