"""Memory management: glibc malloc tuning that Python does not expose, what aiohttp loads and a
metrics server never uses, and the cyclic garbage collector's pauses during a scrape.

Python has no binding for mallopt(3) or malloc_trim(3), so they are called through ctypes. On a
C library without them (musl) every function here does nothing. Both keep resident memory down:

- one malloc arena instead of one per thread: worker threads otherwise each get an arena of
  their own, and the few reads each makes leave part of it resident;
- trimming once after start-up hands back the heap that importing the modules left free.
  Trimming after every scrape as well bought nothing more, so it is not done.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import mimetypes
import os
import threading
from collections.abc import Iterator

# mallopt(3) parameter numbers, from <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None)  # the symbols already loaded into this process, libc's among them
    except OSError:
        return None


_LIBC = _libc()


def limit_malloc_arenas(arenas: int = 1) -> bool:
    """Share `arenas` malloc arenas among all threads; call before starting any thread."""
    mallopt = getattr(_LIBC, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


# glibc's ceiling for the mmap threshold it raises by itself (DEFAULT_MMAP_THRESHOLD_MAX, 64-bit).
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
# Freed memory the heap may keep at its top: more than a default scrape's transient allocations.
HEAP_TOP_KEPT = 4 * 1024 * 1024


def keep_freed_heap(kept: int = HEAP_TOP_KEPT) -> bool:
    """Let the heap keep up to KEPT bytes free at its top instead of handing them back.

    glibc hands back the heap's free top once it exceeds 128 KiB. Every scrape frees more than
    that (gzip's deflate state alone is about 256 KiB), so each one gave it back and the next faulted
    it in again, page by page. Setting a threshold turns glibc's own raising of it off, so the mmap
    threshold is set to the ceiling that raising would reach: allocations up to 32 MiB stay in the heap.
    """
    mallopt = getattr(_LIBC, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) and bool(mallopt(_M_TRIM_THRESHOLD, kept))


def release_free_memory() -> bool:
    """Return free heap pages to the kernel (malloc_trim(0)); True if any were released."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is None:
        return False
    return bool(trim(0))


# Where OpenSSL looks for the system's CA certificates, when these name a file or directory.
_CA_LOCATION_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")
# frozenlist's own switch to its pure-Python FrozenList.
_FROZENLIST_PURE_PYTHON = "FROZENLIST_NO_EXTENSIONS"


@contextlib.contextmanager
def lean_aiohttp_import() -> Iterator[None]:
    """A block to import aiohttp in, without three things it loads and a metrics server never uses.

    - The CA certificates: aiohttp builds its client contexts at import, and OpenSSL parses the
      whole system bundle into each; the exporter makes no outgoing TLS connection, and its TLS
      server loads only the files it is given.
    - /etc/mime.types: aiohttp's file responses build their type table from it at import; no file
      is ever served.
    - frozenlist's compiled FrozenList: a C++ extension that brings in libstdc++; aiohttp uses
      frozen lists for its signal and middleware lists, read a few times per request.

    It works only on the import that first loads aiohttp (and frozenlist, and mimetypes' tables):
    so every module of ours that imports aiohttp does it in this block, whichever is imported
    first. Later blocks change nothing. Environment and mimetypes settings are restored on leaving;
    only what is built inside the block is affected.
    """
    variables = (*_CA_LOCATION_VARIABLES, _FROZENLIST_PURE_PYTHON)
    saved_environment = {name: os.environ.get(name) for name in variables}
    saved_mime_files = mimetypes.knownfiles
    for name in _CA_LOCATION_VARIABLES:
        os.environ[name] = os.devnull + "/no-certificates"  # a path that exists for nobody
    os.environ[_FROZENLIST_PURE_PYTHON] = "1"
    mimetypes.knownfiles = []
    try:
        yield
    finally:
        mimetypes.knownfiles = saved_mime_files
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_pause_lock = threading.Lock()
_pauses = 0
_resume_collection = False


def pause_cyclic_gc() -> None:
    """No automatic cyclic garbage collection until every pause is resumed.

    A scrape makes a great many short-lived objects (samples, label dicts, lines), all freed by
    reference counting. The cyclic collector, run every 700 allocations, walks the ones still
    alive in vain: CPU spent for nothing, at a cost per sample that grows with the scrape's size.
    Cycles made meanwhile elsewhere are collected once it resumes.
    """
    global _pauses, _resume_collection
    with _pause_lock:
        if _pauses == 0:
            _resume_collection = gc.isenabled()
            gc.disable()
        _pauses += 1


def resume_cyclic_gc() -> None:
    global _pauses
    with _pause_lock:
        _pauses -= 1
        if _pauses == 0 and _resume_collection:
            gc.enable()


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """pause_cyclic_gc for the length of the block."""
    pause_cyclic_gc()
    try:
        yield
    finally:
        resume_cyclic_gc()
