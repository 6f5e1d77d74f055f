"""node_exporter's own end-to-end fixtures (../shared/fixtures/node_exporter) and the flags
upstream's end-to-end-test.sh runs them with, as collector options."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import SHARED_FIXTURES

PROMDIFF = os.path.join(os.path.dirname(os.path.abspath(SHARED_FIXTURES)), "..", "tools", "promdiff")
E2E_OUTPUT = os.path.join(SHARED_FIXTURES, "e2e-output.txt")
AVAILABLE = os.path.isfile(E2E_OUTPUT) and os.path.isfile(PROMDIFF)

# Families upstream's test ignores because they depend on the machine or the moment.
UPSTREAM_IGNORE = (
    r"^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|"
    r"node_textfile_mtime_seconds|node_time_(zone|seconds)|node_network_(receive|transmit)_(bytes|packets)_total)"
)


# Upstream runs from its repository root with relative paths, and some labels and HELP texts
# carry the path as given (rapl's `path`, textfile's HELP); run from a folder where this relative
# path leads to the fixtures, and they match to the letter.
RELATIVE_ROOT = "collector/fixtures"


def make_upstream_cwd(folder: str) -> str:
    """Make FOLDER a working directory in which RELATIVE_ROOT leads to the shared fixtures."""
    os.makedirs(os.path.join(folder, "collector"), exist_ok=True)
    link = os.path.join(folder, RELATIVE_ROOT)
    if not os.path.islink(link):
        os.symlink(os.path.abspath(SHARED_FIXTURES), link)
    return folder


# The collectors upstream's end-to-end-test.sh enables explicitly (besides the default ones).
UPSTREAM_ENABLED = """
arp bcache bcachefs bonding btrfs buddyinfo cgroups conntrack cpu cpufreq cpu_vulnerabilities diskstats dmi
drbd edac entropy fibrechannel filefd hwmon infiniband interrupts ipvs kernel_hung ksmd lnstat loadavg mdadm
meminfo meminfo_numa mountstats netdev netstat nfs nfsd pcidevice pressure processes qdisc rapl schedstat
slabinfo sockstat softirqs stat sysctl textfile thermal_zone tls udp_queues vmstat watchdog wifi xfrm xfs zfs
zoneinfo
""".split()


def upstream_flags(fix: str = SHARED_FIXTURES) -> list[str]:
    """pyexporter command-line flags equivalent to upstream's end-to-end run (for the collectors
    pyexporter has), with the fixtures at FIX; the collectors upstream disables stay disabled."""
    from pyexporter.collectors import load_all

    built = load_all()
    enable = [f"--collector.{name}" for name in UPSTREAM_ENABLED if name in built]
    return [*enable,
        f"--path.rootfs={fix}",
        f"--path.procfs={fix}/proc",
        f"--path.sysfs={fix}/sys",
        f"--path.udev.data={fix}/udev/data",
        "--collector.cpu.info",
        "--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$",
        "--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$",
        "--collector.arp.device-exclude=nope",
        "--no-collector.arp.netlink",
        "--collector.bcache.priorityStats",
        "--collector.hwmon.chip-include=(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)",
        "--collector.netclass.ignore-invalid-speed",
        "--collector.netclass.ignored-devices=(dmz|int)",
        "--collector.netdev.device-include=lo",
        "--collector.stat.softirq",
        "--collector.qdisc.device-include=(wlan0|eth0)",
        f"--collector.qdisc.fixtures={fix}/qdisc/",
        f"--collector.wifi.fixtures={fix}/wifi",
        f"--collector.textfile.directory={fix}/textfile/two_metric_files/",
        "--collector.sysctl.include-info=kernel.seccomp.actions_avail",
        "--collector.sysctl.include=fs.file-nr",
        "--collector.sysctl.include=fs.file-nr:total,current,max",
        "--collector.sysctl.include=kernel.threads-max",
        "--no-collector.filesystem",
        "--no-collector.timex",
        "--no-collector.uname",
        "--no-collector.selinux",
    ]


UPSTREAM_OPTIONS: dict[str, dict[str, object]] = {
    "cpu": {
        "info": True,
        "info.bugs-include": "^(cpu_meltdown|spectre_.*|mds)$",
        "info.flags-include": "^(aes|avx.?|constant_tsc)$",
    },
    "arp": {"device-exclude": "nope", "netlink": False},
    "bcache": {"priorityStats": True},
    "hwmon": {"chip-include": "(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)"},
    "netclass": {"ignore-invalid-speed": True, "ignored-devices": "(dmz|int)"},
    "netdev": {"device-include": "lo"},
    "stat": {"softirq": True},
    "sysctl": {
        "include": ["fs.file-nr", "fs.file-nr:total,current,max", "kernel.threads-max"],
        "include-info": ["kernel.seccomp.actions_avail"],
    },
    "textfile": {"directory": os.path.join(SHARED_FIXTURES, "textfile", "two_metric_files")},
}


def render_on_upstream_fixtures(collectors: list[str]) -> str:
    """The text exposition of COLLECTORS run on upstream's fixtures with upstream's options
    (options for collectors not asked for are left out)."""
    from pyexporter.exposition import encode, merge
    from pyexporter.paths import Paths
    from pyexporter.scrape import Scraper

    options = {name: UPSTREAM_OPTIONS[name] for name in collectors if name in UPSTREAM_OPTIONS}
    scraper = Scraper(Paths.under(SHARED_FIXTURES), collectors, options)
    merged, _ = merge(scraper.gather())
    return encode(merged)[0].decode()


def promdiff(
    actual_path: str, family: str | None = None, verbose: bool = False, all_grades: bool = False
) -> tuple[int, str]:
    """Run ../shared/tools/promdiff against e2e-output.txt; (exit status, output).
    Quiet (non-ok families only) unless VERBOSE or ALL_GRADES."""
    cmd = [sys.executable, PROMDIFF, E2E_OUTPUT, actual_path, "--ignore", UPSTREAM_IGNORE]
    if family:
        cmd += ["--family", family]
    if verbose:
        cmd.append("-v")
    elif not all_grades:
        cmd.append("-q")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


if __name__ == "__main__":
    # python -m tests.upstream COLLECTOR... [--family REGEX]: grade collectors against upstream.
    import argparse
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("collectors", nargs="+")
    parser.add_argument("--family")
    parser.add_argument("-v", action="store_true")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as out:
        out.write(render_on_upstream_fixtures(args.collectors))
    status, report = promdiff(out.name, args.family, args.v)
    print(report)
    print(f"(exposition kept at {out.name})")
    sys.exit(status)


def grades(report: str) -> dict[str, str]:
    """{family: grade} from promdiff's per-family lines."""
    found: dict[str, str] = {}
    for line in report.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("ok", "value", "labels", "type", "missing", "extra"):
            found[parts[1]] = parts[0]
    return found
