"""Resident-memory measures: glibc tuning, and modules that only some servers need."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from pyexporter.memory import limit_malloc_arenas, release_free_memory

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt and malloc_trim are glibc's")


@glibc
def test_malloc_tuning_reaches_glibc() -> None:
    assert limit_malloc_arenas(8) is True  # the default's order, as other tests' threads expect
    assert isinstance(release_free_memory(), bool)


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


def test_server_import_skips_ca_bundle_mime_types_and_libstdcxx_and_restores_settings() -> None:
    code = (
        "import os, json, mimetypes\n"
        "before = dict(os.environ), list(mimetypes.knownfiles)\n"
        "import pyexporter.server\n"
        "import aiohttp.connector\n"
        "certificates = aiohttp.connector._SSL_CONTEXT_VERIFIED.cert_store_stats()['x509']\n"
        "restored = before == (dict(os.environ), mimetypes.knownfiles)\n"
        "only_builtin_types = mimetypes.types_map == mimetypes.MimeTypes().types_map[True]\n"
        "maps = open('/proc/self/maps').read()\n"
        "print(json.dumps([certificates, only_builtin_types, 'libstdc++' in maps, restored]))\n"
    )
    env = {**os.environ, "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [0, True, False, True]


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
