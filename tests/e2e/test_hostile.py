"""What a hostile or broken host does to the real pyexporter process: it costs at most the
collectors that touch it.

- Unbounded reads: /proc files that lead to /dev/zero, or are enormous, fail their collector in
  bounded time and memory.
- Reads that never return: a FIFO is refused without waiting; a FUSE file whose read never
  returns (tests/hung_fs.py, the stand-in for a hung NFS mount) costs its collector a timeout,
  never the scrape, the other collectors, the request limit, the thread count or the shutdown.
- Names that are not UTF-8 (a textfile, an interface, a mount point) are served with each run of
  invalid bytes as U+FFFD, as current node_exporter does, and logged.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import ROOT, pyexporter_cmd, require, which
from tests.helpers import FIXTURES


def scrape(url: str, timeout: float = 20.0, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, flags=re.M)
    assert match, f"{series} not in the exposition"
    return float(match.group(1))


def tree(root: str, *fixtures: str) -> str:
    """ROOT/proc and ROOT/sys holding the proc files of the named fixtures; returns ROOT."""
    os.makedirs(os.path.join(root, "proc"), exist_ok=True)
    os.makedirs(os.path.join(root, "sys"), exist_ok=True)
    for name in fixtures:
        shutil.copytree(os.path.join(FIXTURES, name, "proc"), os.path.join(root, "proc"), dirs_exist_ok=True)
    return root


def tree_flags(root: str, *collectors: str) -> list[str]:
    return [f"--path.procfs={root}/proc", f"--path.sysfs={root}/sys", f"--path.rootfs={root}",
            "--collector.disable-defaults", *(f"--collector.{name}" for name in collectors)]


# Runs a command as its child and reports the child's peak RSS: read by the test itself, the peak
# would include the test process's own memory, which a forked child starts out sharing.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\npeak_rss_kb={usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_kb(*args: str, timeout: float = 60.0) -> tuple[int, str, str, int]:
    """`pyexporter --once ARGS`: exit status, stdout, stderr and peak RSS in kB."""
    proc = subprocess.run([sys.executable, "-c", _LAUNCHER, *pyexporter_cmd("--once", *args)],
                          capture_output=True, cwd=ROOT, timeout=timeout)
    err = proc.stderr.decode("utf-8", "replace")
    match = re.search(r"peak_rss_kb=(\d+)", err)
    assert match, err
    return proc.returncode, proc.stdout.decode("utf-8"), err, int(match.group(1))


def assert_promtool_parses(text: str) -> None:
    """Prometheus's own parser (promtool) takes TEXT (its lint remarks on names are not errors)."""
    promtool = which("promtool")
    require(promtool is not None, "promtool is not installed (apt-get install prometheus)")
    check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
    assert b"error while linting" not in check.stdout + check.stderr, check.stdout + check.stderr


# -- unbounded reads ------------------------------------------------------------------------------

ZERO_LINKS = {"meminfo": "meminfo", "stat": "stat", "loadavg": "loadavg", "net/dev": "netdev",
              "1/mountinfo": "filesystem", "self/mountinfo": "filesystem"}


def test_files_leading_to_dev_zero_fail_their_collectors_in_bounded_memory(tmp_path) -> None:
    root = tree(str(tmp_path / "root"), "basic")
    for path in ZERO_LINKS:
        link = os.path.join(root, "proc", path)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink("/dev/zero", link)
    collectors = sorted(set(ZERO_LINKS.values()))
    status, out, err, peak_kb = peak_rss_kb(*tree_flags(root, *collectors, "uname"), "--no-collector.netdev.netlink")
    assert status == 0, err
    for name in collectors:
        assert value(out, f'node_scrape_collector_success{{collector="{name}"}}') == 0
        assert value(out, f'node_scrape_collector_timeout{{collector="{name}"}}') == 0
    assert value(out, 'node_scrape_collector_success{collector="uname"}') == 1
    assert "not a regular file" in err
    # Today's main grew about 1 GB a second here until the kernel killed it.
    assert peak_kb < 200 * 1024


def test_an_enormous_proc_file_is_refused_not_read_whole(tmp_path) -> None:
    root = tree(str(tmp_path / "root"), "basic")
    with open(os.path.join(root, "proc", "meminfo"), "wb") as fh:
        fh.truncate(512 * 1024 * 1024)  # sparse: costs no disk
    status, out, err, peak_kb = peak_rss_kb(*tree_flags(root, "meminfo", "loadavg"))
    assert status == 0, err
    assert value(out, 'node_scrape_collector_success{collector="meminfo"}') == 0
    assert value(out, 'node_scrape_collector_success{collector="loadavg"}') == 1
    assert "larger than" in err
    assert peak_kb < 200 * 1024


# -- reads that never return -----------------------------------------------------------------------

def test_a_fifo_is_refused_without_waiting(tmp_path, run_pyexporter) -> None:
    root = tree(str(tmp_path / "root"), "basic")
    os.mkfifo(os.path.join(root, "proc", "meminfo"))
    base, _ = run_pyexporter(*tree_flags(root, "meminfo", "loadavg"), "--scrape.timeout=60s")
    status, text = scrape(f"{base}/metrics", timeout=30)
    assert status == 200
    assert value(text, 'node_scrape_collector_success{collector="meminfo"}') == 0
    # Refused, not waited on until the deadline.
    assert value(text, 'node_scrape_collector_timeout{collector="meminfo"}') == 0
    assert value(text, 'node_scrape_collector_success{collector="loadavg"}') == 1
    status, text = scrape(f"{base}/metrics?collect[]=meminfo", timeout=30)
    assert value(text, 'node_scrape_collector_success{collector="meminfo"}') == 0


class HungMount:
    """A FUSE mount whose files' reads hang until `release()`."""

    def __init__(self, source: str, mountpoint: str, release_path: str) -> None:
        self.mountpoint = mountpoint
        self.release_path = release_path
        os.makedirs(mountpoint, exist_ok=True)
        self.proc = subprocess.Popen(pyexporter_cmd(source, mountpoint, release_path, module="tests.hung_fs"),
                                     cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while not os.path.ismount(mountpoint):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""  # type: ignore[union-attr]
                self.close()
                require(False, f"cannot mount a FUSE filesystem here: {err.strip()[-300:]}")
            time.sleep(0.05)

    def path(self, name: str) -> str:
        return os.path.join(self.mountpoint, name)

    def release(self) -> None:
        with open(self.release_path, "w"):
            pass

    def close(self) -> None:
        self.release()
        try:
            # The kernel's number for this FUSE connection (see /sys/fs/fuse/connections).
            connection = os.minor(os.stat(self.mountpoint).st_dev) if os.path.ismount(self.mountpoint) else None
        except OSError:
            connection = None
        subprocess.run(["fusermount", "-u", "-z", self.mountpoint], capture_output=True, check=False)
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        # A reader still waiting on the connection would sit in uninterruptible sleep for good (and
        # count as iowait in every later CPU measurement): abort what is left of it.
        abort = f"/sys/fs/fuse/connections/{connection}/abort"
        if connection is not None and os.path.exists(abort):
            with contextlib.suppress(OSError), open(abort, "w") as fh:
                fh.write("1")


@pytest.fixture
def hung_meminfo(tmp_path) -> Iterator[tuple[str, HungMount]]:
    """A proc tree whose meminfo leads to a file on a hung FUSE mount, loadavg and stat being fine."""
    require(os.path.exists("/dev/fuse"), "no /dev/fuse on this machine")
    require(which("fusermount") is not None, "fusermount is not installed (apt-get install fuse)")
    try:
        import fuse  # noqa: F401
    except (ImportError, OSError) as err:
        require(False, f"fusepy cannot be used: {err}")
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(os.path.join(FIXTURES, "meminfo", "proc", "meminfo"), source / "meminfo")
    mount = HungMount(str(source), str(tmp_path / "mnt"), str(tmp_path / "release"))
    try:
        root = tree(str(tmp_path / "root"), "basic", "stat")
        os.symlink(mount.path("meminfo"), os.path.join(root, "proc", "meminfo"))
        yield root, mount
    finally:
        mount.close()


def thread_count(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        return int(re.search(r"^Threads:\s+(\d+)", fh.read(), flags=re.M).group(1))  # type: ignore[union-attr]


def test_a_hung_read_costs_only_its_collector(hung_meminfo, run_pyexporter) -> None:
    root, mount = hung_meminfo
    base, proc = run_pyexporter(*tree_flags(root, "meminfo", "loadavg", "stat"), "--scrape.timeout=60s",
                                "--web.max-requests=2")
    prometheus = {"X-Prometheus-Scrape-Timeout-Seconds": "2"}
    # The first scrape waits for meminfo until its deadline (2 s less the margin), then answers.
    status, text = scrape(f"{base}/metrics", timeout=30, headers=prometheus)
    assert status == 200
    assert value(text, 'node_scrape_collector_success{collector="meminfo"}') == 0
    assert value(text, 'node_scrape_collector_timeout{collector="meminfo"}') == 1
    for name in ("loadavg", "stat"):
        assert value(text, f'node_scrape_collector_success{{collector="{name}"}}') == 1
    assert value(text, "node_load1") == 0.21
    # Scrapes that do not ask for meminfo never wait for it (the default deadline is 60 s).
    status, text = scrape(f"{base}/metrics?collect[]=loadavg&collect[]=stat", timeout=20)
    assert status == 200
    assert "node_memory_" not in text and value(text, "node_load1") == 0.21
    # The stuck collector is reported at once and not started again: requests do not pile up
    # against --web.max-requests, and threads do not grow with scrapes.
    threads = thread_count(proc.pid)
    for _ in range(10):
        status, text = scrape(f"{base}/metrics", timeout=20)  # no header: a 60 s deadline
        assert status == 200
        assert value(text, 'node_scrape_collector_timeout{collector="meminfo"}') == 1
        assert value(text, 'node_scrape_collector_success{collector="stat"}') == 1
    assert thread_count(proc.pid) <= threads + 1
    # When the read returns, the collector recovers by itself.
    mount.release()
    deadline = time.monotonic() + 30
    while True:
        status, text = scrape(f"{base}/metrics?collect[]=meminfo", timeout=20)
        if value(text, 'node_scrape_collector_success{collector="meminfo"}') == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert value(text, 'node_scrape_collector_success{collector="meminfo"}') == 1
    assert value(text, "node_memory_MemTotal_bytes") > 0


def test_sigterm_with_a_hung_read_exits_0_and_names_what_it_abandons(hung_meminfo, run_pyexporter) -> None:
    root, _ = hung_meminfo
    base, proc = run_pyexporter(*tree_flags(root, "meminfo", "loadavg"), "--scrape.timeout=60s")
    in_flight = threading.Thread(target=scrape, args=(f"{base}/metrics",), kwargs={"timeout": 90})
    in_flight.start()
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("still running 30 s after SIGTERM")
    in_flight.join(30)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert re.search(r"abandoned.*collectors=meminfo", err), err


def test_once_with_a_hung_read_prints_the_rest_by_its_deadline(hung_meminfo) -> None:
    root, _ = hung_meminfo
    status, out, err, _ = peak_rss_kb(*tree_flags(root, "meminfo", "loadavg"), "--scrape.timeout=1s", timeout=60)
    assert status == 0, err
    assert value(out, 'node_scrape_collector_timeout{collector="meminfo"}') == 1
    assert value(out, "node_load1") == 0.21


# -- names that are not UTF-8 ----------------------------------------------------------------------

BAD = b"caf\xe9\xff"


def test_names_that_are_not_utf8_are_served_as_node_exporter_serves_them(tmp_path, run_pyexporter) -> None:
    root = tree(str(tmp_path / "root"), "basic")
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    with open(os.path.join(os.fsencode(textfiles), b"bad" + BAD + b".prom"), "w", encoding="utf-8") as fh:
        fh.write("job_runs 3\n")
    net = os.path.join(os.fsencode(root), b"sys", b"class", b"net", b"eth" + BAD)
    os.makedirs(net)
    for name, text in (("operstate", "up"), ("mtu", "1500"), ("address", "00:11:22:33:44:55")):
        with open(os.path.join(net, name.encode()), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    mount_point = b"/mnt/" + BAD
    mountinfo = b"28 1 8:1 / " + mount_point + b" rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    for pid in ("1", "self"):
        os.makedirs(os.path.join(root, "proc", pid), exist_ok=True)
        with open(os.path.join(root, "proc", pid, "mountinfo"), "wb") as fh:
            fh.write(mountinfo)
    args = [*tree_flags(root, "textfile", "netclass", "filesystem", "loadavg"),
            f"--collector.textfile.directory={textfiles}"]

    status, out, err, _ = peak_rss_kb(*args)
    assert status == 0, err
    base, _ = run_pyexporter(*args)
    for text in (out, scrape(f"{base}/metrics")[1],
                 scrape(f"{base}/metrics", headers={"Accept": "application/openmetrics-text"})[1]):
        for name in ("textfile", "netclass", "filesystem", "loadavg"):
            assert f'node_scrape_collector_success{{collector="{name}"}} 1' in text, name
        # Each run of invalid bytes is one U+FFFD, as Go's strings.ToValidUTF8.
        assert 'file="' in text and f"bad{'caf'}\ufffd.prom" in text
        assert 'device="eth' + "caf\ufffd" + '"' in text
        assert 'mountpoint="/mnt/caf\ufffd"' in text
    assert "not valid UTF-8" in err
    assert_promtool_parses(out)


def test_prometheus_keeps_the_target_up_while_a_read_hangs(hung_meminfo, run_pyexporter, prometheus) -> None:
    """node_exporter fails the whole scrape here and Prometheus reports a false "node down"."""
    from tests.e2e.conftest import one_second_config
    from tests.e2e.test_prometheus import query, wait_for

    root, _ = hung_meminfo
    exporter, _ = run_pyexporter(*tree_flags(root, "meminfo", "loadavg"))
    base = prometheus(one_second_config({"node": exporter.removeprefix("http://")}))
    assert wait_for(base, 'count_over_time(up{job="node"}[20s]) >= 6'), "too few scrapes"
    assert float(query(base, 'min_over_time(up{job="node"}[20s])')[0]["value"][1]) == 1.0
    # Each scrape answers by Prometheus's own timeout (1 s) less the margin.
    assert float(query(base, 'max_over_time(scrape_duration_seconds{job="node"}[20s])')[0]["value"][1]) < 1.0
    assert float(query(base, 'node_scrape_collector_timeout{collector="meminfo"}')[0]["value"][1]) == 1.0
    assert float(query(base, 'node_scrape_collector_success{collector="loadavg"}')[0]["value"][1]) == 1.0
    assert float(query(base, "node_load1")[0]["value"][1]) == 0.21


# -- textfiles that collide with built-in families -------------------------------------------------

COLLIDING = """node_scrape_collector_success{collector="cpu"} 0
process_cpu_seconds_total 5
node_load1 7
# TYPE reqs counter
reqs 5
# TYPE jobs_total counter
jobs_total 3
"""


def test_textfiles_cannot_replace_or_corrupt_built_in_families(tmp_path, run_pyexporter, prometheus) -> None:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    from tests.e2e.conftest import one_second_config
    from tests.e2e.test_prometheus import query, wait_for

    root = tree(str(tmp_path / "root"), "basic")
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    (textfiles / "own.prom").write_text(COLLIDING)
    base, proc = run_pyexporter(*tree_flags(root, "loadavg", "textfile"), f"--collector.textfile.directory={textfiles}")

    _, text = scrape(f"{base}/metrics")
    # One HELP/TYPE block per name, the built-in families whole and first.
    for name in ("node_scrape_collector_success", "process_cpu_seconds_total", "node_load1"):
        assert text.count(f"# TYPE {name} ") == 1, name
    assert re.findall(r'^node_scrape_collector_success\{collector="(\w+)"\}', text, flags=re.M) == [
        "loadavg", "textfile"]
    assert value(text, "node_load1") == 0.21
    assert value(text, "process_cpu_seconds_total") != 5
    assert value(text, "node_textfile_scrape_error") == 1
    # Textfile samples keep their own names, as node_exporter serves them.
    assert "# TYPE reqs counter\nreqs 5.0\n" in text
    assert "# TYPE jobs_total counter\njobs_total 3.0\n" in text
    assert_promtool_parses(text)

    # OpenMetrics: valid, still without renaming a sample.
    _, om = scrape(f"{base}/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert "# TYPE reqs unknown\nreqs 5.0\n" in om
    assert "# TYPE jobs counter\njobs_total 3.0\n" in om
    parsed = {family.name: family for family in text_string_to_metric_families(om)}
    assert parsed["reqs"].type == "unknown" and parsed["jobs"].type == "counter"

    # What Prometheus stores, scraping as it does (OpenMetrics preferred).
    prom = prometheus(one_second_config({"node": base.removeprefix("http://")}))
    assert wait_for(prom, 'up{job="node"} == 1'), "target never came up"
    assert float(wait_for(prom, "reqs")[0]["value"][1]) == 5
    assert float(query(prom, "jobs_total")[0]["value"][1]) == 3
    assert float(query(prom, "node_load1")[0]["value"][1]) == 0.21
    assert float(query(prom, 'count(node_scrape_collector_success{job="node"})')[0]["value"][1]) == 2
    assert float(query(prom, "node_textfile_scrape_error")[0]["value"][1]) == 1
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    assert "pyexporter collects that name itself" in err
