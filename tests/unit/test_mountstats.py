import pytest

from pyexporter.collectors.mountstats import (
    parse_age,
    parse_mountinfo_addresses,
    parse_mountstats,
    parse_operation,
    parse_transport,
)
from pyexporter.toolkit.collector import CollectorError

EVENTS = " ".join(str(i) for i in range(27))
NFS = f"""device rootfs mounted on / with fstype rootfs
device h:/e mounted on /m with fstype nfs statvers=1.0
\tage:\t42
\tbytes:\t1 2 3 4 5 6 7 8
\tevents:\t{EVENTS}
\txprt:\tudp 800 1 20 21 0 3 5
\tper-op statistics
\t        NULL: 0 0 0 0 0 0 0 0
\t        READ: 5 6 0 70 80 9 10 11

"""


def test_parse_mountstats() -> None:
    mounts = parse_mountstats(NFS)
    assert [(m.device, m.mount_point, m.fstype) for m in mounts] == [("rootfs", "/", "rootfs"), ("h:/e", "/m", "nfs")]
    assert mounts[0].stats is None
    stats = mounts[1].stats
    assert stats is not None
    assert stats.stat_version == "1.0"
    assert stats.age_seconds == 42
    assert stats.bytes == (1, 2, 3, 4, 5, 6, 7, 8)
    assert stats.events[26] == 26
    (xprt,) = stats.transports
    assert (xprt.protocol, xprt.port, xprt.bind, xprt.connect, xprt.idle_time_seconds, xprt.sends) == (
        "udp", 800, 1, 0, 0, 20)
    assert xprt.cumulative_backlog == 5 and xprt.maximum_rpc_slots_used == 0
    assert [op.operation for op in stats.operations] == ["NULL", "READ"]
    assert stats.operations[1].request_milliseconds == 11
    assert stats.operations[1].errors is None


def test_transport_versions() -> None:
    tcp = parse_transport("tcp 1 2 3 4 5 6 7 8 9 10 11 12 13".split(), "1.1")
    assert (tcp.connect, tcp.idle_time_seconds, tcp.cumulative_pending_queue) == (3, 5, 13)
    rdma = parse_transport(["rdma"] + [str(i) for i in range(1, 21)], "1.1")
    assert (rdma.cumulative_backlog, rdma.maximum_rpc_slots_used) == (10, 0)


@pytest.mark.parametrize(
    ("fields", "version"),
    [("tcp 1 2 3".split(), "1.1"), ("sctp 1 2 3 4 5 6 7".split(), "1.0"), ("tcp 1".split(), "2.0"),
     ("udp 1 2 3 4 5 6 x".split(), "1.0")],
)
def test_transport_garbage(fields: list[str], version: str) -> None:
    with pytest.raises(CollectorError):
        parse_transport(fields, version)


def test_operation_errors_field() -> None:
    assert parse_operation("GETATTR: 1 2 3 4 5 6 7 8 9".split()).errors == 9
    with pytest.raises(CollectorError):
        parse_operation("GETATTR: 1 2 3".split())


@pytest.mark.parametrize(
    "text",
    [
        "device x mounted",
        "device x mounted at /m with fstype nfs",
        "device x mounted on /m with fstype ext4 statvers=1.1\n",
        "device x mounted on /m with fstype nfs statvers=1.1\n\tbytes:\t1 2 3\n",
        "device x mounted on /m with fstype nfs statvers=1.1\n\tevents:\t1\n",
        "device x mounted on /m with fstype nfs statvers=1.1\n\tage:\tsoon\n",
        "device x mounted on /m with fstype nfs statvers=1.1\n\tper-op statistics\n\tREAD: 1 2\n",
    ],
)
def test_mountstats_garbage(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_mountstats(text)


def test_empty() -> None:
    assert parse_mountstats("") == []
    assert parse_mountinfo_addresses("") == []


def test_mountinfo_addresses() -> None:
    text = (
        "1 0 0:5 / / rw shared:1 - rootfs rootfs rw\n"
        "50 1 0:42 / /m rw shared:2 master:1 - nfs h:/e rw,vers=3,mountaddr=1.1.1.1,addr=10.0.0.1\n"
    )
    assert parse_mountinfo_addresses(text) == ["", "10.0.0.1"]
    with pytest.raises(CollectorError):
        parse_mountinfo_addresses("1 0 0:5 / / rw\n")


@pytest.mark.parametrize(("text", "seconds"), [
    # procfs: time.ParseDuration(text + "s"), then Duration.Seconds().
    ("42", 42.0), ("+42", 42.0), ("-3", -3.0), ("1.5", 1.5), (".25", 0.25), ("7.", 7.0),
    ("0.0000000019", 0.000000001), ("9223372036.854775807", 9223372036.854775807),
])
def test_age_as_go_parse_duration_reads_it(text: str, seconds: float) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", [
    ".", "", "-", "1e3", "inf", "nan", "0x10", "1_0", "\u0661", "5m", "9223372036.854775808",
])
def test_age_go_refuses(text: str) -> None:
    with pytest.raises(CollectorError):
        parse_age(text)


@pytest.mark.parametrize("line", [
    # procfs: strconv.ParseUint(x, 10, 64) for every counter.
    "\tbytes:\t1 2 3 4 5 6 7 -8",
    "\tbytes:\t1 2 3 4 5 6 7 +8",
    "\tbytes:\t1 2 3 4 5 6 7 1_0",
    "\tbytes:\t1 2 3 4 5 6 7 18446744073709551616",
    "\tbytes:\t1 2 3 4 5 6 7 \u0668",
])
def test_counters_go_refuses(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_mountstats(f"device x mounted on /m with fstype nfs statvers=1.1\n{line}\n")


def test_operation_counters_full_range() -> None:
    op = parse_operation(["READ:", *["18446744073709551615"] * 9])
    assert op.requests == op.errors == 2**64 - 1
    with pytest.raises(CollectorError):
        parse_operation("READ: 1 2 3 4 5 6 7 -8".split())


def test_nfs4_statvers_11_sections_missing_and_repeated() -> None:
    """procfs parseMountStatsNFS: an nfs4 mount at statvers=1.1 whose entry lacks age/bytes/events
    keeps them zero; opts:/caps: lines are skipped; every xprt: line (nconnect) is a transport;
    parseNFSOperationStats stops at the blank line before the next device."""
    text = (
        "device srv:/x mounted on /n with fstype nfs4 statvers=1.1\n"
        "\topts:\trw,vers=4.2,addr=10.0.0.1\n\tcaps:\tcaps=0x3fff,wtmult=512\n"
        "\txprt:\ttcp 0 0 1 0 3 10 10 0 10 0 2 0 0\n"
        "\txprt:\ttcp 0 0 1 0 4 20 20 0 20 0 2 0 0\n"
        "\tper-op statistics\n\t        NULL: 1 1 0 44 24 0 0 0 0\n\n"
        "device proc mounted on /proc with fstype proc\n"
    )
    mounts = parse_mountstats(text)
    assert [m.fstype for m in mounts] == ["nfs4", "proc"]
    stats = mounts[0].stats
    assert stats is not None and stats.stat_version == "1.1"
    assert stats.age_seconds == 0 and stats.bytes == (0,) * 8 and stats.events == (0,) * 27
    assert [(t.protocol, t.idle_time_seconds, t.sends) for t in stats.transports] == [("tcp", 3, 10), ("tcp", 4, 20)]
    assert [(o.operation, o.errors) for o in stats.operations] == [("NULL", 0)]


def test_mountinfo_as_procfs_splits_it() -> None:
    """procfs parseMountInfoString: single-space fields (an empty source is a field), the `-`
    fourth from the end; mountOptionsParser keeps the second `=` part and the last `addr`."""
    text = (
        "60 1 0:50 / /a rw - nfs4  rw,addr=10.0.0.2\n"  # empty source
        "61 1 0:51 / /b rw - nfs h:/e rw,addr=10.0.0.3=x,addr=10.0.0.4\n"
        "62 1 0:52 / /c rw - nfs h:/f rw,addr\n"
    )
    assert parse_mountinfo_addresses(text) == ["10.0.0.2", "10.0.0.4", ""]
    for bad in ("60 1 0:50 / /a rw - nfs4 h:/e\n", "60 1 0:50 / /a rw shared:1 - nfs4 h:/e rw extra\n"):
        with pytest.raises(CollectorError):
            parse_mountinfo_addresses(bad)
