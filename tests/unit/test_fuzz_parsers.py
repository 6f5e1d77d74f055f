"""Every pure parser, fuzzed: it returns records or raises CollectorError, never anything else.

Inputs are random text, random bytes decoded as `files.read_text` decodes them (errors="replace"),
and mutations of a valid sample: truncation, inserted characters or bytes, deleted or repeated
spans, and numbers swapped for huge, NaN, infinite, negative or non-ASCII-digit ones. The scrape
isolates any exception anyway; this keeps the log line a clear CollectorError message rather
than a stray ValueError, and catches the inputs (huge ranges, int(inf)) that would hang or leak.
"""

from __future__ import annotations

import math
import os
import re
import struct
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyexporter.collectors import (
    arp,
    bcache,
    bcachefs,
    btrfs,
    conntrack,
    cpu,
    diskstats,
    dmi,
    edac,
    filefd,
    filesystem,
    hwmon,
    infiniband,
    ipvs,
    kernel_hung,
    loadavg,
    mdadm,
    meminfo,
    netclass,
    netdev,
    netstat,
    nfs,
    nfsd,
    powersupplyclass,
    pressure,
    rapl,
    schedstat,
    selinux,
    sockstat,
    softnet,
    textfile,
    udp_queues,
    vmstat,
    watchdog,
    xfs,
    zfs,
)
from pyexporter.collectors import os as os_collector
from pyexporter.collectors import time as time_collector
from pyexporter.toolkit import numbers, procpid, procstat
from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.families import FamilyIndex

FUZZ = settings(
    # Kept small for the suite; PYEXPORTER_FUZZ_EXAMPLES=2000 for a longer hunt.
    max_examples=int(os.environ.get("PYEXPORTER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    # No example database: nothing is written into the tree, failures print their reproducer.
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# What a number in a valid sample is swapped for.
ODD_NUMBERS = (
    "18446744073709551616", "340282366920938463463374607431768211457", "9" * 400, "1e400", "-1e400",
    "1e-400", "NaN", "nan", "-nan", "inf", "-inf", "+Inf", "Infinity", "-1", "-0", "+5", "0x7fffffffffffffff",
    "0xZZ", "1.5", "-9223372036854775809", "²", "٣", "½", "1_000", "", "0", "00", "4294967296", "1e5", ".",
)
# Characters worth inserting: separators the parsers split on, and what str.splitlines() also
# breaks on but split("\n") does not (\x0b \x0c \x1c \x85 \u2028), digits int() refuses (²).
ODD_CHARS = "\x00\t\n\r\x0b\x0c\x1c\x85\u2028 :=-+#()[]{}\"'\\,./%\ufffd²٣½e"
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


@st.composite
def _mutation(draw: st.DrawFn, sample: str) -> str:
    text = sample
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.integers(0, 7))
        pos = draw(st.integers(0, len(text)))
        if op == 0:  # truncated file (a process exiting mid-read, a short read)
            text = text[:pos]
        elif op == 1:
            text = text[:pos] + draw(st.text(alphabet=ODD_CHARS, min_size=1, max_size=4)) + text[pos:]
        elif op == 2:
            text = text[:pos] + draw(st.text(max_size=6)) + text[pos:]
        elif op == 3:
            end = draw(st.integers(pos, min(len(text), pos + 40)))
            text = text[:pos] + text[end:]
        elif op in (4, 5):
            numbers = list(_NUMBER.finditer(text))
            if numbers:
                odd = draw(st.sampled_from(ODD_NUMBERS))
                if op == 4:
                    m = numbers[draw(st.integers(0, len(numbers) - 1))]
                    text = text[: m.start()] + odd + text[m.end():]
                else:
                    text = _NUMBER.sub(odd, text)
        elif op == 6:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
            text = "\n".join(lines)
        else:  # invalid UTF-8 in the middle of the file
            raw = text.encode("utf-8", "surrogatepass")
            at = min(pos, len(raw))
            text = _decode(raw[:at] + draw(st.binary(min_size=1, max_size=6)) + raw[at:])
    return text


def texts(sample: str) -> st.SearchStrategy[str]:
    mutated = _mutation(sample)
    return st.one_of(mutated, mutated, mutated, st.text(max_size=200), st.binary(max_size=200).map(_decode))


def _lines_to_attrs(names: Sequence[str]) -> Callable[[str], dict[str, str]]:
    """Spread one fuzzed text over attribute files: line i is the content of names[i]."""
    return lambda text: dict(zip(names, text.split("\n"), strict=False))


def _attrs_sample(values: dict[str, str]) -> tuple[list[str], str]:
    return list(values), "\n".join(values.values())


# --- valid samples ----------------------------------------------------------------------------

ARP = """IP address       HW type     Flags       HW address            Mask     Device
192.168.1.1    0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0
10.0.0.1       0x1         0x2         de:ad:be:ef:00:00     *        wg0
"""
WRITEBACK = ("rate:\t\t1.1M/sec\ndirty:\t\t20.4G\ntarget:\t\t20.4G\nproportional:\t427.5k\n"
             "integral:\t790.0k\nchange:\t\t-321.5k/sec\nnext io:\t17ms\n")
CONNTRACK = (
    "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop "
    "icmp_error  expect_new expect_create expect_delete search_restart\n"
    "00000021  00000000 00000001 00000000 00000003 0000588a 00000000 00000000 00000002 00000001 00000004 "
    "00000005 00000000  00000000 00000000 00000000 00000000\n"
)
PROC_STAT = """cpu  301854 612 111922 8979004 3552 2 3944 0 44 36
cpu0 44490 19 21045 1087069 220 1 3410 0 2 1
cpu1 200 2 100 10000 20 0 0 0
intr 1234 17 0 0 5
ctxt 5678
btime 1600000000
processes 42
procs_running 3
procs_blocked 1
softirq 55 1 2 3 4 5 6 7 8 9 10
"""
CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 142
model name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz
stepping\t: 10
microcode\t: 0xb4
cpu MHz\t\t: 799.998
cache size\t: 8192 KB
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu vme de pse
bugs\t\t: cpu_meltdown spectre_v1

processor\t: 1
cpu MHz\t\t: 800.000
Features\t: fp asimd
"""
DISKSTATS = """   7       0 loop0 10 0 20 0 0 0 0 0 0 0 0
   8       0 sda 100 5 2048 1500 200 10 4096 2500 3 3000 4500 40 1 800 250 60 125
 252       0 dm-0 80 0 1600 1200 150 0 3000 2000 0 2800 3200 30 0 700 200
"""
UDEV = "S:disk/by-id/ata-X\nW:12\nE:ID_ATA=1\nE:ID_MODEL=EXAMPLE\nE:ID_WWN=0x5000c500aaaabbbb\nE:NOEQ\n"
MOUNTINFO = (
    "24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
    "25 24 0:22 / /mnt/with\\040space rw,nosuid - tmpfs tmpfs rw,size=100k\n"
)
IP_VS = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  C0A80016:0CEA wlc
  -> C0A85216:0CEA      Tunnel  100    248        2
UDP  [2620:0000:0000:0000:0000:0000:0000:0001]:0035 rr
  -> [2620:0000:0000:0000:0000:0000:0000:0002]:0035 Masq 1 2 3
FWM  10001000 wlc
  -> C0A8321A:0CEA      Tunnel  20     64         1
"""
IP_VS_STATS = """   Total Incoming Outgoing         Incoming         Outgoing
   Conns  Packets  Packets            Bytes            Bytes
 16AA370 E33656E5        0     51D8C8883AB3                0
"""
MDSTAT = """Personalities : [raid1]
md3 : active raid6 sda1[8] sdh1[7] sdd1[10](S) sdc1[1](F)
      5853468288 blocks super 1.2 level 6, 64k chunk, algorithm 2 [4/3] [UU_U]
      bitmap: 0/30 pages [0KB], 65536KB chunk
      [=>...................]  check =  5.7% (114176/1993728) finish=0.2min speed=114176K/sec

md9 : active raid1 sdc2[2] sdd2[3]
      523968 blocks super 1.2 [2/2] [UU]
      resync=DELAYED

md120 : active linear sda1[1] sdb1[0]
        2095104 blocks super 1.2 0k rounding

unused devices: <none>
"""
MEMINFO = "MemTotal:        1000 kB\nActive(anon):      10 kB\n\nHugePages_Total:       4\n"
NET_DEV = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|"
    "bytes    packets errs drop fifo colls carrier compressed\n"
    "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n    lo:0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
)
NETSTAT = "TcpExt: SyncookiesSent ListenOverflows\nTcpExt: 1 2\nIpExt: InOctets OutOctets\nIpExt: 62863 27862\n"
SNMP6 = "Ip6InReceives                   \t7\nIcmp6InMsgs                     \t3\nUdpLite6InErrors 0\n"
NFS_CLIENT = (
    "net 18628 0 18628 6\nrpc 4329785 0 4338291\n"
    "proc2 18 2 69 0 0 4410 0 0 0 0 0 0 0 0 0 0 0 99 2\n"
    "proc3 22 1 4084749 29200 94754 32580 186 47747 7981 8639 0 6356 0 6962 0 7958 0 0 241 4 4 2 39\n"
    "proc4 61 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
    " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
)
NFSD = """rc 1 2 3
fh 4 0 0 0 0
io 1000 2000
th 8 0 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000
ra 32 0 0 0 0 0 0 0 0 0 0 5
net 30 10 20 3
rpc 40 6 1 2 3
proc2 18 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17
proc3 22 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21
proc4 2 1 50
wdeleg_getattr 7
proc4ops 40 """ + " ".join(str(i) for i in range(40)) + "\n"
OS_RELEASE = """# a comment
NAME="Debian GNU/Linux"
ID=debian
PRETTY_NAME='Debian GNU/Linux 12 (bookworm)'
VERSION="12 (bookworm)"
VERSION_ID="12.4"
export VERSION_CODENAME=bookworm
HOME_URL="https://www.debian.org/\\"x\\""
SUPPORT_END=2028-06-30
"""
PSI = "some avg10=0.18 avg60=0.34 avg300=0.10 total=1000000\nfull avg10=0.18 avg60=0.34 avg300=0.10 total=500000\n"
PID_STAT = (
    "42 (my (odd) proc) R 0 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 29 1000 200 18446744073709551615 "
    "1 1 0 0 0 0 0 4096 1260 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
)
SCHEDSTAT = (
    "version 15\ntimestamp 15819019232\n"
    "cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 2045936778163039 343796328169361 4767485306\n"
    "domain0 00000000,00000003 212499247 210112015 1861015\n"
    "cpu1 1 0 2 3 4 5 6 7 8\n"
)
SOCKSTAT = "sockets: used 229\nTCP: inuse 4 orphan 0 tw 4 alloc 17 mem 3\nUDP: inuse 1 mem 2\nFRAG: inuse 0 memory 0\n"
SOFTNET = (
    "00049279 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000002 00000003 00000004 "
    "00000005 00000000\n"
    "000dfb82 00000029 0000000a 00000000 00000000 00000000 00000000 00000000 00000000\n"
)
TEXTFILE = """# HELP c_total Things.
# TYPE c_total counter
c_total{a="1"} 2
u 3
# TYPE s summary
s{quantile="0.5",x="y"} 1.5
s_sum{x="y"} 10
s_count{x="y"} 4
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="+Inf"} 3
h_sum 2.5
h_count 3
g{a="1"} 1
g{b="2"} NaN
"""
UDP = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 00000000     0        0 2740 1 ffff 100 0\n"
    "   1: 0100007F:0035 00000000:0000 07 00000001:00000100 00:00000000 00000000   101        0 2741 2 ffff 0\n"
)
VMSTAT = "nr_free_pages 977769\npgpgin 100\npgfault 5000\n"
XFS = """extent_alloc 1 2 3 4
abt 5 6 7 8
blk_map 9 10 11 12 13 14 15
bmbt 16 17 18 19
dir 20 21 22 23
trans 1 2 3
ig 24 25 26 27 28 29 30
rw 31 32
vnodes 33 34 35 36 37 38 39
"""
KSTAT = """6 1 0x01 4 4368 5266997922 97951858082072
name                            type data
hits                            4    8772612
memory_available_bytes          3    -5
small                           1    7
label                           7    text
"""
POOL_IO = (
    "12 3 0x00 1 80 1 2\n"
    "nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt\n"
    "0 1 2 3 4 5 6 7 8 9 10 11\n"
)
OBJSET = "23 1 0x01\nname type data\ndataset_name 7    pool/a  b\nwrites 4 5\nnread 4 9\nother 3 9\n"
BCACHEFS_COUNTER = "since mount: 3\nsince filesystem creation: 1.5k\n"
BCACHEFS_IO_ERRORS = (
    "IO errors since filesystem creation\n  read: 3\n  write:1\nIO errors since 8 y ago\n  read: 9\n"
)

NETCLASS_ATTRS, NETCLASS_TEXT = _attrs_sample({
    "mtu": "1500", "flags": "0x1003", "speed": "-1", "address": "aa:bb:cc:dd:ee:ff", "carrier": "1",
    "dev_id": "0x0", "operstate": "up", "ifindex": "2", "tx_queue_len": "010", "duplex": "full",
})
POWER_ATTRS, POWER_TEXT = _attrs_sample({
    "capacity": "80", "status": "Full", "energy_now": "41660000", "temp": "0x10", "voltage_now": "12923000",
    "cycle_count": "0", "technology": "Li-ion", "online": "1",
})
WATCHDOG_ATTRS, WATCHDOG_TEXT = _attrs_sample({
    "bootstatus": "1", "fw_version": "0x10", "nowayout": "0", "timeleft": "300", "timeout": "60",
    "pretimeout": "120", "access_cs0": "0", "options": "0x8380", "identity": "Software Watchdog",
    "state": "active", "status": "0x8000", "pretimeout_governor": "noop",
})
HWMON_ATTRS, HWMON_TEXT = _attrs_sample({
    "input": "55000", "max": "100000", "crit": "105000", "crit_alarm": "0", "label": "Core 0", "": "1",
    "beep": "1", "fault": "0",
})


def _hwmon_sensor(sensor: str) -> Callable[[str], Any]:
    def run(text: str) -> Any:
        out = FamilyIndex()
        hwmon._emit_sensor(out, "platform_coretemp_0", sensor, _lines_to_attrs(HWMON_ATTRS)(text))
        return out.families()

    return run


def _textfile(text: str) -> Any:
    # The collector converts every accepted family; a parsed file must convert cleanly too.
    return [textfile.convert_family(f) for f in textfile.parse_textfile(text)]


def _two_values(parse: Callable[[str, str], Any]) -> Callable[[str], Any]:
    """For parsers given two files' contents: the first line is one file, the rest the other."""

    def run(text: str) -> Any:
        first, _, rest = text.partition("\n")
        return parse(first, rest)

    return run


# name -> (parser of one text, a valid sample). Names are module.function, as pytest ids.
PARSERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "arp.parse_arp": (arp.parse_arp, ARP),
    "bcache.dehumanize": (bcache.dehumanize, "20.4G"),
    "bcache.dehumanize_signed": (bcache.dehumanize_signed, "-427.5k"),
    "bcache.parse_writeback_rate_debug": (bcache.parse_writeback_rate_debug, WRITEBACK),
    "bcache.parse_priority_stats": (bcache.parse_priority_stats, "Unused:\t\t99%\nMetadata:\t0%\nAverage:\t10473\n"),
    "bcachefs.parse_human_bytes": (bcachefs.parse_human_bytes, "2.05G"),
    "bcachefs.parse_compression_stats": (bcachefs.parse_compression_stats, "type compressed uncompressed\n"
                                         "lz4:  1.5k  2k  1k\nzstd: 720 1M 9\n"),
    "bcachefs.parse_errors": (bcachefs.parse_errors, "btree_node_read 2 1700000000\nbad_key 5\n"),
    "bcachefs.parse_counter": (bcachefs.parse_counter, BCACHEFS_COUNTER),
    "bcachefs.parse_btree_write_stats": (bcachefs.parse_btree_write_stats, "   nr size\ninitial: 3 100k\n"),
    "bcachefs.parse_io_done": (bcachefs.parse_io_done, "read:\nsb : 1\nbtree: 2048\nwrite:\nuser: 2\n"),
    "bcachefs.parse_io_errors": (bcachefs.parse_io_errors, BCACHEFS_IO_ERRORS),
    "btrfs.parse_commit_stats": (btrfs.parse_commit_stats,
                                 "commits 5\nlast_commit_ms 10\nmax_commit_ms 20\ntotal_commit_ms 30\n"),
    "conntrack.parse_conntrack_stat": (conntrack.parse_conntrack_stat, CONNTRACK),
    "procstat.parse_stat_cpus": (procstat.parse_stat_cpus, PROC_STAT),
    "cpu.parse_cpuinfo": (cpu.parse_cpuinfo, CPUINFO),
    "cpu.parse_cpu_list": (cpu.parse_cpu_list, "0-3,5,7-8\n"),
    "diskstats.parse_diskstats": (diskstats.parse_diskstats, DISKSTATS),
    "diskstats.parse_udev_properties": (diskstats.parse_udev_properties, UDEV),
    "dmi.dmi_labels": (lambda t: dmi.dmi_labels({"bios_vendor": t.encode("utf-8", "surrogatepass")}), "LENOVO\n"),
    "edac.format_dimm_label": (edac.format_dimm_label, "CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 csrow channel\n"),
    "filefd.parse_file_nr": (filefd.parse_file_nr, "2048\t0\t9223372036854775807\n"),
    "filesystem.parse_mountinfo": (filesystem.parse_mountinfo, MOUNTINFO),
    "filesystem.unescape_mount_point": (filesystem.unescape_mount_point, "/mnt/a\\040b\\011c"),
    "hwmon.explode_sensor_filename": (hwmon.explode_sensor_filename, "temp1_crit_alarm"),
    "hwmon.clean_name": (hwmon.clean_name, "Platform-CoreTemp.0"),
    "hwmon._emit_sensor(temp1)": (_hwmon_sensor("temp1"), HWMON_TEXT),
    "hwmon._emit_sensor(fan2)": (_hwmon_sensor("fan2"), HWMON_TEXT),
    "hwmon._emit_sensor(freq1)": (_hwmon_sensor("freq1"), HWMON_TEXT),
    "hwmon._emit_sensor(vrm)": (_hwmon_sensor("vrm"), HWMON_TEXT),
    "infiniband.parse_state": (infiniband.parse_state, "4: ACTIVE\n"),
    "infiniband.parse_rate": (infiniband.parse_rate, "40 Gb/sec (4X QDR)\n"),
    "infiniband.parse_counter": (infiniband.parse_counter, "123456"),
    "ipvs.parse_ipvs_stats": (ipvs.parse_ipvs_stats, IP_VS_STATS),
    "ipvs.parse_ip_vs": (ipvs.parse_ip_vs, IP_VS),
    "ipvs.parse_ip_port": (ipvs.parse_ip_port, "[2620:0000:0000:0000:0000:0000:0000:0001]:0035"),
    "kernel_hung.parse_hung_task_count": (kernel_hung.parse_hung_task_count, "3\n"),
    "loadavg.parse_loadavg": (loadavg.parse_loadavg, "0.21 0.37 0.39 1/719 19737\n"),
    "mdadm.parse_mdstat": (mdadm.parse_mdstat, MDSTAT),
    "meminfo.parse_meminfo": (meminfo.parse_meminfo, MEMINFO),
    "netclass.parse_iface": (lambda t: netclass.parse_iface("eth0", _lines_to_attrs(NETCLASS_ATTRS)(t)),
                             NETCLASS_TEXT),
    "netdev.parse_net_dev": (netdev.parse_net_dev, NET_DEV),
    "netstat.parse_netstat": (netstat.parse_netstat, NETSTAT),
    "netstat.parse_snmp6": (netstat.parse_snmp6, SNMP6),
    "nfs.parse_client_rpc_stats": (nfs.parse_client_rpc_stats, NFS_CLIENT),
    "nfsd.parse_server_rpc_stats": (nfsd.parse_server_rpc_stats, NFSD),
    "os.parse_env": (os_collector.parse_env, OS_RELEASE),
    "os.parse_os_release": (os_collector.parse_os_release, OS_RELEASE),
    "powersupplyclass.parse_power_supply": (
        lambda t: powersupplyclass.parse_power_supply("BAT0", _lines_to_attrs(POWER_ATTRS)(t)), POWER_TEXT),
    "pressure.parse_psi": (pressure.parse_psi, PSI),
    "procpid.parse_stat": (lambda t: procpid.parse_stat(t.encode("utf-8", "surrogateescape")), PID_STAT),
    "rapl.zone_index_and_name": (lambda t: rapl.zone_index_and_name(t, {}), "package-0"),
    "rapl.sanitize_metric_name": (rapl.sanitize_metric_name, "package-0:dram"),
    "schedstat.parse_schedstat": (schedstat.parse_schedstat, SCHEDSTAT),
    "selinux.parse_enforce": (selinux.parse_enforce, "1\n"),
    "selinux.parse_config_mode": (selinux.parse_config_mode, "# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n"),
    "sockstat.parse_sockstat": (sockstat.parse_sockstat, SOCKSTAT),
    "softnet.parse_softnet": (softnet.parse_softnet, SOFTNET),
    "procstat.parse_kernel_stat": (procstat.parse_kernel_stat, PROC_STAT),
    "textfile.parse_textfile": (_textfile, TEXTFILE),
    "time.parse_clocksource": (_two_values(time_collector.parse_clocksource), "hpet acpi_pm tsc\ntsc\n"),
    "udp_queues.parse_udp_summary": (udp_queues.parse_udp_summary, UDP),
    "vmstat.parse_vmstat": (vmstat.parse_vmstat, VMSTAT),
    "watchdog.parse_watchdog": (
        lambda t: watchdog.parse_watchdog("watchdog0", _lines_to_attrs(WATCHDOG_ATTRS)(t)), WATCHDOG_TEXT),
    "xfs.parse_xfs_stats": (xfs.parse_xfs_stats, XFS),
    "numbers.parse_int": (lambda t: numbers.parse_int(t, 0), "-0x1_f"),
    "numbers.parse_uint": (lambda t: numbers.parse_uint(t, 16, 32), "ffff"),
    "numbers.parse_float": (numbers.parse_float, "-12.5e3"),
    "zfs.parse_kstat": (lambda t: zfs.parse_kstat(t, "arcstats"), KSTAT),
    "zfs.parse_pool_io": (zfs.parse_pool_io, POOL_IO),
    "zfs.parse_objset": (lambda t: zfs.parse_objset(t, "objset-0x36"), OBJSET),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_valid_sample_parses(name: str) -> None:
    """The samples are valid input: fuzzing starts from something the parser accepts."""
    parse, sample = PARSERS[name]
    parse(sample)


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_parser_returns_or_raises_collector_error(name: str, data: st.DataObject) -> None:
    parse, sample = PARSERS[name]
    text = data.draw(texts(sample), label="input")
    try:
        parse(text)
    except CollectorError:
        pass


@FUZZ
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_format_go_float_takes_any_float(value: float) -> None:
    text = textfile.format_go_float(value)
    assert math.isnan(value) or float(text.replace("+Inf", "inf").replace("-Inf", "-inf")) == value


@FUZZ
@given(mode=st.text(max_size=10) | st.sampled_from(["raid5", "raid6", "raid1", "single"]),
       devices=st.integers(-3, 5))
def test_layout_ratio_any_device_count(mode: str, devices: int) -> None:
    assert isinstance(btrfs.layout_ratio(mode, devices), float)


# --- rtnetlink: the one binary parser ---------------------------------------------------------

def _attr(kind: int, payload: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def _newlink(name: str, stats: list[int]) -> bytes:
    body = struct.pack("=BxHiII", 0, 772, 1, 0, 0) + _attr(3, name.encode() + b"\0") + _attr(20, b"alias\0")
    body += _attr(23, struct.pack(f"={len(stats)}Q", *stats))
    return struct.pack("=IHHII", 16 + len(body), 16, 2, 1, 0) + body


LINK_DUMP = _newlink("lo", list(range(24))) + _newlink("eth0", [7] * 24) + struct.pack("=IHHIIi", 20, 3, 2, 1, 0, 0)


@st.composite
def _binary_mutation(draw: st.DrawFn, sample: bytes) -> bytes:
    data = sample
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 3))
        if op == 0:
            data = data[:pos]
        elif op == 1:
            data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
        elif op == 2:
            end = draw(st.integers(pos, min(len(data), pos + 8)))
            data = data[:pos] + draw(st.binary(min_size=end - pos, max_size=end - pos)) + data[end:]
        else:  # a length or type field set to an extreme
            width = draw(st.sampled_from([2, 4]))
            if pos + width <= len(data):
                extreme = draw(st.sampled_from([0, 1, 3, 0xFFFF, 0xFFFFFFFF, 0x80000000]))
                packed = struct.pack("=H" if width == 2 else "=I", extreme & (0xFFFF if width == 2 else 0xFFFFFFFF))
                data = data[:pos] + packed + data[pos + width:]
    return data


@FUZZ
@given(data=st.one_of(_binary_mutation(LINK_DUMP), _binary_mutation(LINK_DUMP), st.binary(max_size=200)))
def test_link_dump_returns_or_raises_collector_error(data: bytes) -> None:
    try:
        netdev.parse_link_dump(data)
    except CollectorError:
        pass
    except OSError as err:
        # An NLMSG_ERROR reply is the kernel refusing the dump: an I/O error, not a parse error.
        assert "netlink link dump failed" in str(err)


@pytest.mark.parametrize("errno", [-(2**31), 2**31 - 1, 5])
def test_link_dump_error_reply_with_impossible_errno(errno: int) -> None:
    with pytest.raises(CollectorError, match="malformed netlink error reply"):
        netdev.parse_link_dump(struct.pack("=IHHIIi", 20, 2, 0, 1, 0, errno))


@FUZZ
@given(raw=st.binary(max_size=100))
def test_dmi_labels_take_any_bytes(raw: bytes) -> None:
    labels = dmi.dmi_labels({"product_name": raw, "not_a_dmi_file": raw})
    assert list(labels) == ["product_name"]
    labels["product_name"].encode("utf-8")  # always valid UTF-8, as a label value must be


# --- deterministic sweeps: the same nasty values in every position, on every run ---------------

def _sweep(sample: str) -> list[str]:
    """Every prefix of the sample; each number swapped, alone and all at once, for each odd number;
    each odd character inserted at each line start and end."""
    variants = [sample[:i] for i in range(len(sample))]
    numbers = list(_NUMBER.finditer(sample))[:40]
    for odd in ODD_NUMBERS:
        variants.append(_NUMBER.sub(odd, sample))
        variants.extend(sample[: m.start()] + odd + sample[m.end():] for m in numbers)
    cuts = sorted({0, len(sample)} | {m.start() for m in re.finditer("\n", sample)})
    for char in ODD_CHARS:
        variants.extend(sample[:i] + char + sample[i:] for i in cuts)
    return variants


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_parser_sweep(name: str) -> None:
    parse, sample = PARSERS[name]
    leaks = []
    for text in _sweep(sample):
        try:
            parse(text)
        except CollectorError:
            pass
        except Exception as err:  # noqa: BLE001 - collected so that one run lists every leak
            leaks.append(f"{type(err).__name__}: {err} <- {text[:120]!r}")
    assert not leaks, f"{len(leaks)} inputs leak a non-CollectorError, e.g.\n" + "\n".join(leaks[:5])
