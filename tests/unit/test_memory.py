"""Resident-memory measures: glibc tuning, and modules that only some servers need."""

from __future__ import annotations

import ast
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyexporter
from pyexporter.memory import limit_malloc_arenas

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt and malloc_trim are glibc's")


@glibc
def test_malloc_arena_limit_reaches_glibc() -> None:
    assert limit_malloc_arenas(8) is True  # the default's order, as other tests' threads expect


_TRIM_PROBE = """
import json
from pyexporter.memory import release_free_memory

def rss_kib():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))

release_free_memory()
chunks = [bytes(4000) for _ in range(16384)]  # 64 MiB in blocks below the mmap threshold: the heap
pin = [bytes(4000) for _ in range(16)]  # after them, so that freeing them cannot shrink the heap's top
del chunks
freed = rss_kib()
released = release_free_memory()
print(json.dumps([released, freed - rss_kib()]))
"""


@glibc
def test_release_free_memory_hands_freed_heap_back_to_the_kernel() -> None:
    # In a fresh interpreter: glibc keeps freed heap pages resident until malloc_trim gives them back.
    run = subprocess.run([sys.executable, "-c", _TRIM_PROBE], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    released, given_back_kib = json.loads(run.stdout)
    assert released is True
    assert given_back_kib >= 32 * 1024, f"RSS fell by {given_back_kib} KiB only"


_HEAP_PROBE = """
import resource, sys
from pyexporter.memory import keep_freed_heap

if sys.argv[1] == "kept":
    assert keep_freed_heap()
blocks = [b"x" * 64_000 for _ in range(8)]  # 512 KB in blocks below the mmap threshold: the heap's top
del blocks
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):  # as scrapes do: the same amount allocated and freed again and again
    blocks = [b"x" * 64_000 for _ in range(8)]
    del blocks
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@glibc
def test_keep_freed_heap_spares_the_page_faults_of_each_scrape() -> None:
    # In fresh interpreters: by default glibc hands the freed top back each time, and faults it in again.
    faults = {}
    for mode in ("default", "kept"):
        run = subprocess.run([sys.executable, "-c", _HEAP_PROBE, mode], capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        faults[mode] = int(run.stdout)
    assert faults["default"] >= 200, faults
    assert faults["kept"] <= 20, faults


def test_server_without_web_config_or_textfiles_loads_neither_yaml_nor_decimal() -> None:
    # This host, default collectors: a real scrape, in a fresh interpreter.
    code = (
        "import sys\n"
        "from pyexporter.cli import parse_args\n"
        "from pyexporter.exporter import Exporter\n"
        "import pyexporter.server\n"
        "exporter = Exporter(parse_args([]))\n"
        "exporter.render()\n"
        "print(sorted(m for m in ('yaml', 'decimal', 'prometheus_client.parser', 'ctypes.util') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def _is_lean_block(node: ast.AST) -> bool:
    return isinstance(node, ast.With) and any(
        isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Name)
        and item.context_expr.func.id == "lean_aiohttp_import"
        for item in node.items
    )


def _aiohttp_imports(node: ast.AST, sheltered: bool = False) -> Iterator[tuple[int, bool]]:
    """(line, inside a lean_aiohttp_import block) for each import of aiohttp under NODE, leaving out
    those under `if TYPE_CHECKING:`."""
    if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
        return
    sheltered = sheltered or _is_lean_block(node)
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
    if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
        name == "aiohttp" or name.startswith("aiohttp.") for name in names
    ):
        yield node.lineno, sheltered
    for child in ast.iter_child_nodes(node):
        yield from _aiohttp_imports(child, sheltered)


def aiohttp_importers() -> dict[str, list[int]]:
    """Every pyexporter module that imports aiohttp -> the lines of those imports that are not inside
    a `with lean_aiohttp_import():` block."""
    package = Path(pyexporter.__file__).parent
    found: dict[str, list[int]] = {}
    for path in sorted(package.rglob("*.py")):
        imports = list(_aiohttp_imports(ast.parse(path.read_text(), str(path))))
        if imports:
            module = ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
            found[module] = [line for line, sheltered in imports if not sheltered]
    return found


def test_every_aiohttp_import_is_a_lean_one() -> None:
    # The lean import works only on the import that loads aiohttp first, so every module that
    # imports aiohttp does it in the block: then the order in which they are imported does not matter.
    found = aiohttp_importers()
    assert {"pyexporter.listener", "pyexporter.server", "pyexporter.web"} <= set(found)
    assert {module: lines for module, lines in found.items() if lines} == {}


# Imports FIRST, then the whole server, and makes an application, as start-up does; then reports what
# was loaded: CA certificates in any SSLContext, whether mimetypes read a mime.types file, whether
# libstdc++ (frozenlist's compiled extension) is mapped, and whether the settings were put back.
LEAN_PROBE = """
import gc, json, mimetypes, os, ssl
before = dict(os.environ), list(mimetypes.knownfiles)
import {first}
import pyexporter.server
from aiohttp import web
web.Application()
print(json.dumps({{
    "certificates": sum(o.cert_store_stats()["x509"] for o in gc.get_objects() if isinstance(o, ssl.SSLContext)),
    "mime_types_read": mimetypes.types_map != mimetypes.MimeTypes().types_map[True],
    "libstdc++": "libstdc++" in open("/proc/self/maps").read(),
    "restored": before == (dict(os.environ), mimetypes.knownfiles),
}}))
"""
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def lean_probe(first: str) -> dict[str, object]:
    """LEAN_PROBE in a fresh interpreter, told to find the system's CA bundle."""
    env = {**os.environ, "SSL_CERT_FILE": SYSTEM_CA_BUNDLE}
    code = LEAN_PROBE.format(first=first)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert run.returncode == 0, run.stderr
    result: dict[str, object] = json.loads(run.stdout)
    return result


@pytest.mark.parametrize("first", sorted(aiohttp_importers()))
def test_server_skips_ca_bundle_mime_types_and_libstdcxx_whichever_module_is_imported_first(first: str) -> None:
    # tests/web/test_aiohttp_internals.py shows that a plain import of aiohttp loads all three here.
    assert lean_probe(first) == {"certificates": 0, "mime_types_read": False, "libstdc++": False, "restored": True}


def test_cyclic_gc_pauses_nest_across_threads_and_resume_as_they_found_it() -> None:
    import gc
    import threading

    from pyexporter.memory import cyclic_gc_paused

    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()

    def other_scrape() -> None:
        with cyclic_gc_paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other_scrape)
    thread.start()
    inside.wait(5)
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other scrape is still running
    leave.set()
    thread.join(5)
    assert gc.isenabled()

    gc.disable()  # whoever disabled it before keeps it disabled
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
