"""Every registered collector on hostile trees: nothing mounted, garbage in every file, files that
cannot be opened, files that vanish between listing and reading. The scrape always completes,
each collector reports success 0 or 1, and a failing one fails with its own CollectorError (or the
OSError of the file it could not read), never a stray ValueError, IndexError or the like.

Collectors that read live kernel state (netdev over netlink, timex, uname, time, filesystem's
statfs) report real data on any tree; that is fine here.
"""

from __future__ import annotations

import os
import random
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from pyexporter.collectors import load_all
from pyexporter.exporter import Exporter
from pyexporter.exposition import encode, merge
from pyexporter.paths import Paths
from pyexporter.scrape import Scraper
from pyexporter.settings import Settings
from pyexporter.toolkit.collector import CollectorError
from pyexporter.web import create_app
from tests.helpers import (
    FIXTURES,
    SHARED_FIXTURES,
    LogRecords,
    captured_logs,
    fixture_paths,
    run_collector,
    sample,
    samples,
)

ALL = sorted(load_all())


def _options(root: str) -> dict[str, dict[str, Any]]:
    """Options that make collectors read (and so parse) more; the textfile directories are globs
    below the tree, so spoiled .prom files are read too."""
    return {
        "cpu": {"info": True},
        "bcache": {"priorityStats": True},
        "stat": {"softirq": True},
        "arp": {"netlink": False},
        "textfile": {"directory": [os.path.join(root, "prom", "*"), os.path.join(root, "textfile", "*")]},
    }


def _subclass_names(cls: type[BaseException]) -> set[str]:
    names, pending = set(), [cls]
    while pending:
        current = pending.pop()
        names.add(current.__name__)
        pending.extend(current.__subclasses__())
    return names


# A collector may fail with its own error, or with the OSError of a file it could not read.
ALLOWED_ERRORS = _subclass_names(CollectorError) | _subclass_names(OSError)


@pytest.fixture
def records() -> Iterator[LogRecords]:
    with captured_logs("pyexporter") as handler:
        yield handler


def _error_type(err: str) -> str:
    # scrape._describe: "Type: message", or "Type" alone.
    return err.split(":", 1)[0]


def scrape_all(paths: Paths, records: LogRecords, root: str = "") -> dict[str, float]:
    """Build and gather every collector on PATHS; check the scrape's invariants; {name: success}."""
    records.records.clear()
    scraper = Scraper(paths, ALL, _options(root or paths.rootfs))
    families = scraper.gather()
    success = {s.labels["collector"]: s.value for f in families for s in f.samples
               if s.name == "node_scrape_collector_success"}
    assert sorted(success) == ALL
    assert set(success.values()) <= {0.0, 1.0}
    # Whatever was collected still renders in both formats.
    merged, _ = merge(families)
    encode(merged)
    encode(merged, "application/openmetrics-text; version=1.0.0")

    leaks = []
    for record in records.records:
        assert record.exc_info is None, "a collector failure is one log line, without a traceback"
        kv = getattr(record, "kv", {})
        if record.getMessage() == "collector failed":
            assert success[kv["name"]] == 0.0
            if _error_type(kv["err"]) not in ALLOWED_ERRORS:
                leaks.append(f"{kv['name']}: {kv['err']}")
        elif record.getMessage() == "collector could not start":
            if _error_type(kv["err"]) not in ALLOWED_ERRORS:
                leaks.append(f"{kv['name']} (start): {kv['err']}")
    assert not leaks, "collectors failed with an error that is not theirs:\n" + "\n".join(leaks)
    return success


# --- nothing mounted -------------------------------------------------------------------------

def test_empty_roots(tmp_path, records: LogRecords) -> None:
    empty = str(tmp_path)
    scrape_all(Paths(procfs=empty, sysfs=empty, rootfs=empty, udev_data=empty), records)


def test_missing_roots(tmp_path, records: LogRecords) -> None:
    gone = str(tmp_path / "not-there")
    scrape_all(Paths(procfs=gone, sysfs=gone, rootfs=gone, udev_data=gone), records)


def test_roots_that_are_files(tmp_path, records: LogRecords) -> None:
    file = tmp_path / "file"
    file.write_text("not a directory\n")
    scrape_all(Paths(procfs=str(file), sysfs=str(file), rootfs=str(file), udev_data=str(file)), records)


def test_sysfs_not_mounted(tmp_path, records: LogRecords) -> None:
    """A container without /sys: the real /proc, an empty sysfs."""
    success = scrape_all(Paths(sysfs=str(tmp_path), udev_data=str(tmp_path / "udev")), records, str(tmp_path))
    # Sysfs-only collectors find no devices: those whose Go code globs report nothing, successfully;
    # those that read a class directory return node_exporter's ErrNoData (success 0, a debug line).
    for name in ("bcache", "btrfs", "thermal_zone"):
        if name in success:
            assert success[name] == 1.0, name
    for name in ("hwmon", "infiniband", "nvme", "powersupplyclass", "rapl", "pcidevice", "dmi", "watchdog",
                 "bcachefs"):
        if name in success:
            assert success[name] == 0.0, name


# --- fixture trees with every file spoiled -----------------------------------------------------

# Integers past float range ("9" * 400) are left to test_value_past_float_range_fails_only_its_collector.
ODD_NUMBERS = ("18446744073709551616", "1e400", "NaN", "-1", "-9223372036854775809", "²", "0x", "")
_NUMBER = re.compile(r"[0-9]+")


def _is_link_file(path: str) -> bool:
    """A ttar-style stand-in for a symlink (see files._link_target): kept, so the tree keeps its shape."""
    try:
        if os.path.getsize(path) > 1024:
            return False
        with open(path, "rb") as fh:
            text = fh.read()
    except OSError:
        return False
    return text.startswith(b"../") and b"\n" not in text.rstrip(b"\n")


def _garbage(path: str, rng: random.Random) -> None:
    with open(path, "wb") as fh:
        fh.write(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))


def _truncate(path: str, rng: random.Random) -> None:
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.truncate(rng.randrange(size) if size else 0)


def _odd_numbers(path: str, rng: random.Random) -> None:
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    odd = rng.choice(ODD_NUMBERS)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_NUMBER.sub(lambda m: odd if rng.random() < 0.5 else m.group(0), text))


def _invalid_utf8(path: str, rng: random.Random) -> None:
    with open(path, "rb") as fh:
        data = fh.read()
    at = rng.randrange(len(data) + 1)
    with open(path, "wb") as fh:
        fh.write(data[:at] + b"\xff\xfe\xc3(\x80" + data[at:])


def _empty(path: str, rng: random.Random) -> None:
    open(path, "w").close()


def _directory(path: str, rng: random.Random) -> None:
    """Unreadable, whoever we are (tests run as root, so permissions would not stop a read)."""
    os.remove(path)
    os.mkdir(path)


def _dangling(path: str, rng: random.Random) -> None:
    os.remove(path)
    os.symlink(path + ".gone", path)


def _unreadable(path: str, rng: random.Random) -> None:
    os.chmod(path, 0)


SPOILERS: dict[str, Callable[[str, random.Random], None]] = {
    "garbage": _garbage,
    "truncated": _truncate,
    "odd-numbers": _odd_numbers,
    "invalid-utf8": _invalid_utf8,
    "empty": _empty,
    "directory": _directory,
    "dangling-symlink": _dangling,
}
# Root reads files whatever their mode (the test suite runs as root here and in CI); the directory
# and dangling-symlink spoilers make files unreadable for anyone.
if os.geteuid() != 0:
    SPOILERS["chmod-000"] = _unreadable


def _trees() -> list[str]:
    trees: list[str] = []
    for name in sorted(os.listdir(FIXTURES)):
        tree = os.path.join(FIXTURES, name)
        # A collector's fixture may hold several trees (container's v1/ and v2/), each laid out as
        # node_exporter's fixtures are.
        variants = [os.path.join(tree, sub) for sub in sorted(os.listdir(tree))
                    if os.path.isdir(os.path.join(tree, sub, "proc")) or os.path.isdir(os.path.join(tree, sub, "sys"))]
        is_tree = os.path.isdir(os.path.join(tree, "proc")) or os.path.isdir(os.path.join(tree, "sys"))
        trees.extend(variants if variants and not is_tree else [tree])
    if os.path.isdir(SHARED_FIXTURES):
        trees.append(os.path.abspath(SHARED_FIXTURES))
    return trees


TREES = _trees()


def _tree_id(tree: str) -> str:
    if tree.startswith(os.path.abspath(SHARED_FIXTURES)):
        return "node_exporter"
    return os.path.relpath(tree, FIXTURES)


def spoiled_copy(tree: str, dest: str, spoil: Callable[[str, random.Random], None], seed: str) -> str:
    """DEST: a copy of TREE (symlinks kept as links) with SPOIL applied to every regular file."""
    shutil.copytree(tree, dest, symlinks=True)
    rng = random.Random(seed)
    for directory, _, files in os.walk(dest):
        for name in sorted(files):
            path = os.path.join(directory, name)
            if os.path.islink(path) or _is_link_file(path):
                continue
            spoil(path, rng)
    return dest


@pytest.mark.parametrize("spoiler", sorted(SPOILERS))
@pytest.mark.parametrize("tree", TREES, ids=_tree_id)
def test_spoiled_tree(tree: str, spoiler: str, tmp_path, records: LogRecords) -> None:
    root = spoiled_copy(tree, str(tmp_path / "tree"), SPOILERS[spoiler], f"{_tree_id(tree)}/{spoiler}")
    scrape_all(Paths.under(root), records)


# --- files that vanish between listing and reading ---------------------------------------------

class _VanishingScandir:
    def __init__(self, entries: list[os.DirEntry[str]]) -> None:
        self._entries = iter(entries)

    def __iter__(self) -> _VanishingScandir:
        return self

    def __next__(self) -> os.DirEntry[str]:
        return next(self._entries)

    def __enter__(self) -> _VanishingScandir:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def close(self) -> None:
        pass


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.remove(path)
        except OSError:
            pass


@pytest.fixture
def vanishing(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """vanishing(root, every, only=None): below ROOT, every EVERY-th entry a listing returns (of
    those whose name ONLY accepts) is deleted right after it was listed, as a process exits or a
    device is unplugged between readdir and open."""

    def arm(root: str, every: int, only: Callable[[str], bool] | None = None) -> None:
        real_listdir, real_scandir = os.listdir, os.scandir
        root = os.path.realpath(root) + os.sep
        removing = False  # rmtree lists directories too: those listings must not recurse here

        def doomed(path: Any, names: list[str]) -> list[str]:
            if removing:
                return []
            if isinstance(path, int):  # glob and rmtree list through directory fds
                path = os.readlink(f"/proc/self/fd/{path}")
            directory = os.path.realpath(os.fsdecode(path))
            if not (directory + os.sep).startswith(root):
                return []
            candidates = [n for n in names if only is None or only(n)]
            return [os.path.join(directory, n) for i, n in enumerate(candidates) if i % every == 0]

        def remove(victims: list[str]) -> None:
            nonlocal removing
            removing = True
            try:
                for victim in victims:
                    _remove(victim)
            finally:
                removing = False

        def listdir(path: Any = ".") -> list[str]:
            names = real_listdir(path)
            remove(doomed(path, names))
            return names

        def scandir(path: Any = ".") -> _VanishingScandir:
            with real_scandir(path) as it:
                entries = list(it)
            remove(doomed(path, [e.name for e in entries]))
            return _VanishingScandir(entries)

        monkeypatch.setattr(os, "listdir", listdir)
        monkeypatch.setattr(os, "scandir", scandir)

    return arm


@pytest.mark.parametrize("every", [1, 2], ids=["all-vanish", "half-vanish"])
@pytest.mark.parametrize("tree", TREES, ids=_tree_id)
def test_files_vanish_mid_scrape(tree: str, every: int, tmp_path, records: LogRecords, vanishing) -> None:
    root = str(tmp_path / "tree")
    shutil.copytree(tree, root, symlinks=True)
    vanishing(root, every)
    scrape_all(Paths.under(root), records)


@pytest.mark.parametrize("every", [1, 2], ids=["all-exit", "half-exit"])
def test_processes_exiting_mid_scrape_are_skipped(tmp_path, vanishing, every: int) -> None:
    """Pids (and tids) listed whose directories are gone by the time they are read are not
    counted, and the collector succeeds, as node_exporter skips them."""
    root = str(tmp_path / "tree")
    shutil.copytree(os.path.join(FIXTURES, "processes"), root, symlinks=True)
    real_listdir = os.listdir
    vanishing(os.path.join(root, "proc"), every, str.isdigit)
    families = run_collector("processes", Paths.under(root))
    alive = [n for n in real_listdir(os.path.join(root, "proc")) if n.isdigit()]
    assert sample(families, "node_processes_pids") == len(alive)
    assert sample(families, "node_processes_max_processes") > 0  # the limits did not vanish
    if every == 1:
        assert alive == []


# --- over HTTP ---------------------------------------------------------------------------------

def merged_fixtures(dest: str) -> str:
    """Every tree of tests/fixtures copied into one (node_exporter's when present): one tree on
    which every collector finds its files."""
    if os.path.isdir(SHARED_FIXTURES):
        shutil.copytree(SHARED_FIXTURES, dest)
    for name in sorted(os.listdir(FIXTURES)):
        try:
            shutil.copytree(os.path.join(FIXTURES, name), dest, symlinks=True, dirs_exist_ok=True)
        except shutil.Error:
            pass  # a link where upstream's tree has a directory: the first one stays, which will do
    return dest


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[str], Any]]:
    """serve(root): the real app on a loopback port with every collector on ROOT; its base URL."""
    servers: list[TestServer] = []

    async def start(root: str) -> str:
        settings = Settings(paths=Paths.under(root), enabled_collectors=tuple(ALL), collector_options=_options(root))
        server = TestServer(create_app(Exporter(settings)), host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        await server.close()


_SUCCESS_LINE = re.compile(r'^node_scrape_collector_success\{collector="([a-z_]+)"\} (\S+)$', re.MULTILINE)


async def http_scrape(base: str, accept: str = "") -> dict[str, float]:
    """One scrape over HTTP that must answer 200 without a traceback; {collector: success}."""
    headers = {"Accept-Encoding": "identity", **({"Accept": accept} if accept else {})}
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics", headers=headers) as resp:
        body = await resp.text()
        assert resp.status == 200, body[:200]
    assert "Traceback" not in body and 'File "' not in body
    if accept:
        # prometheus_client's OpenMetrics parser refuses NaN counters, which textfile passes on
        # as node_exporter does; the frame and the success lines are what matter here.
        assert body.endswith("# EOF\n")
    else:
        list(text_string_to_metric_families(body))
    success = {m.group(1): float(m.group(2)) for m in _SUCCESS_LINE.finditer(body)}
    assert sorted(success) == ALL
    assert set(success.values()) <= {0.0, 1.0}
    return success


@pytest.mark.parametrize("spoiler", ["garbage", "odd-numbers", "directory"])
async def test_http_scrape_of_spoiled_tree(tmp_path, serve, spoiler: str) -> None:
    merged = merged_fixtures(str(tmp_path / "merged"))
    root = spoiled_copy(merged, str(tmp_path / "tree"), SPOILERS[spoiler], f"http/{spoiler}")
    base = await serve(root)
    for accept in ("", "application/openmetrics-text; version=1.0.0"):
        success = await http_scrape(base, accept)
        assert 0.0 in success.values(), "a spoiled tree fails at least one collector"


# --- a number past float range -------------------------------------------------------------------

# Python's int() takes any number of digits; a garbage counter of 400 digits is an int no float
# holds. The scrape refuses such a value as its collector's failure, so encoding still succeeds.


def _entropy_past_float_range(dest: str) -> str:
    shutil.copytree(os.path.join(FIXTURES, "entropy"), dest)
    with open(os.path.join(dest, "proc", "sys", "kernel", "random", "entropy_avail"), "w") as fh:
        fh.write("9" * 400 + "\n")
    return dest


def test_value_past_float_range_fails_only_its_collector(tmp_path, records: LogRecords) -> None:
    success = scrape_all(Paths.under(_entropy_past_float_range(str(tmp_path / "tree"))), records)
    assert success["entropy"] == 0.0
    assert success["uname"] == 1.0


async def test_http_value_past_float_range(tmp_path, serve) -> None:
    success = await http_scrape(await serve(_entropy_past_float_range(str(tmp_path / "tree"))))
    assert success["entropy"] == 0.0


# --- textfile: one bad file never costs the good ones ----------------------------------------

BAD_PROM = {
    "syntax.prom": 'x{a="1" 2\n',
    "quantile.prom": '# TYPE s summary\ns{quantile="half"} 1\ns_sum 1\ns_count 1\n',
    "bucket.prom": '# TYPE h histogram\nh_bucket{le="²"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    "huge.prom": "huge " + "9" * 400 + "\n",
    "binary.prom": "\ufffd\x00\x01garbage\n",
    "stamped.prom": "stamped 1 1441205977284\n",
}


def test_textfile_bad_files_are_logged_and_good_ones_served(tmp_path, records: LogRecords) -> None:
    directory = tmp_path / "prom"
    directory.mkdir()
    (directory / "good.prom").write_text('# HELP good_total Good.\n# TYPE good_total counter\ngood_total{a="1"} 3\n')
    for name, text in BAD_PROM.items():
        (directory / name).write_text(text, encoding="utf-8")
    (directory / "invalid-utf8.prom").write_bytes(b"utf8 1\n\xff\xfe{\n")
    (directory / "a-directory.prom").mkdir()
    (directory / "dangling.prom").symlink_to(directory / "nowhere")
    records.records.clear()

    families = run_collector("textfile", Paths(), {"directory": str(directory)})

    assert sample(families, "node_textfile_scrape_error") == 1
    assert sample(families, "good_total", a="1") == 3
    mtimes = {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"}
    assert mtimes == {str(directory / "good.prom")}
    logged = {r.kv["file"]: r.kv["err"] for r in records.records  # type: ignore[attr-defined]
              if "file" in getattr(r, "kv", {})}
    bad = {*BAD_PROM, "invalid-utf8.prom", "a-directory.prom", "dangling.prom"}
    assert set(logged) == {str(directory / name) for name in bad}
    assert all(logged.values()), "each log line says why"
    assert "quantile label" in logged[str(directory / "quantile.prom")]
    assert "le label" in logged[str(directory / "bucket.prom")]
    assert "timestamp" in logged[str(directory / "stamped.prom")]
    assert "Is a directory" in logged[str(directory / "a-directory.prom")]


def test_textfile_garbage_only_directory(tmp_path, records: LogRecords) -> None:
    directory = tmp_path / "prom"
    directory.mkdir()
    rng = random.Random("textfile")
    for i in range(20):
        (directory / f"g{i}.prom").write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
    records.records.clear()
    families = run_collector("textfile", Paths(), {"directory": str(directory)})
    # The collector itself succeeds; each file that did not parse is one log line.
    assert sample(families, "node_textfile_scrape_error") == 1.0
    logged = {r.kv["file"] for r in records.records if "file" in getattr(r, "kv", {})}  # type: ignore[attr-defined]
    read = {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"}
    assert logged | read == {str(directory / f"g{i}.prom") for i in range(20)}


# --- a field name that would make an invalid metric name ------------------------------------


async def test_field_name_that_is_no_metric_name_fails_only_its_collector(tmp_path, serve) -> None:
    # prometheus-client takes any UTF-8 metric name; node_exporter refuses this one, and written out
    # as it is, it would break the whole exposition for Prometheus.
    root = tmp_path / "tree"
    (root / "proc").mkdir(parents=True)
    (root / "proc" / "meminfo").write_text("MemTotal: 100 kB\nMem{Free\": 50 kB\n")
    (root / "proc" / "loadavg").write_text("0.21 0.37 0.39 1/719 19737\n")
    base = await serve(str(root))
    success = await http_scrape(base)
    assert success["meminfo"] == 0.0
    assert success["loadavg"] == 1.0
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as resp:
        body = await resp.text()
    names = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line and not line.startswith("#")}
    assert all(re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name) for name in names), sorted(names)[:5]
    assert "node_load1" in names


# Files whose procfs parser refuses a blank line, as a line of too few fields (the kernel writes
# none; node_exporter fails the collector): a trailing one fails the collector here too.
@pytest.mark.parametrize(("name", "relative"), [
    ("buddyinfo", "buddyinfo"), ("cgroups", "cgroups"), ("softnet", "net/softnet_stat"), ("udp_queues", "net/udp"),
])
def test_a_trailing_blank_line_fails_as_procfs(tmp_path, name: str, relative: str) -> None:
    shutil.copytree(fixture_paths(name).proc(), tmp_path / "proc")
    with (tmp_path / "proc" / relative).open("a") as file:
        file.write("\n")
    with pytest.raises(CollectorError):
        run_collector(name, Paths.under(str(tmp_path)))
