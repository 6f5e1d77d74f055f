"""What we rely on in aiohttp beyond its documented API, each checked against the installed aiohttp.

A failure here names the internal and what we rely on it for: read aiohttp's changelog and source
for what replaced it, then change the code that relies on it (named in each message).
"""

from __future__ import annotations

import asyncio
import importlib.util
import mimetypes
import os

import pytest
from aiohttp import web

from pyexporter.exporter import Exporter
from pyexporter.server import serving
from pyexporter.settings import ListenAddress, Settings
from tests.helpers import fixture_paths
from tests.unit.test_memory import SYSTEM_CA_BUNDLE, lean_probe


def test_aiohttp_import_still_loads_what_the_lean_import_avoids() -> None:
    # The control for test_memory's lean-import tests: without it they would pass as well if aiohttp
    # stopped loading these, or loaded them somewhere the lean import does not reach.
    loaded = lean_probe("aiohttp.web")
    if os.path.isfile(SYSTEM_CA_BUNDLE):
        assert loaded["certificates"], (
            "aiohttp.connector._SSL_CONTEXT_VERIFIED / _SSL_CONTEXT_UNVERIFIED: aiohttp no longer loads the "
            "system CA certificates into client contexts made at import (connector._make_ssl_context). "
            "pyexporter.memory.lean_aiohttp_import points SSL_CERT_FILE/SSL_CERT_DIR nowhere for that import; "
            "find where aiohttp loads them now and whether that still happens in a server"
        )
    if any(os.path.isfile(path) for path in mimetypes.knownfiles):
        assert loaded["mime_types_read"], (
            "aiohttp.web_fileresponse.CONTENT_TYPES: aiohttp no longer builds a MimeTypes() at import, which "
            "read mimetypes.knownfiles; pyexporter.memory.lean_aiohttp_import empties knownfiles for that import"
        )
    if importlib.util.find_spec("frozenlist._frozenlist") is not None:
        assert loaded["libstdc++"], (
            "frozenlist._frozenlist: aiohttp's import no longer brings in frozenlist's compiled FrozenList (or it "
            "no longer needs libstdc++); pyexporter.memory.lean_aiohttp_import sets FROZENLIST_NO_EXTENSIONS for it"
        )


async def test_base_site_server_slot_is_closed_by_stop_and_reported_by_addresses() -> None:
    # pyexporter.listener.Listener, like aiohttp's own sites, stores its listening server in the
    # private BaseSite._server, so that BaseSite.stop closes it and BaseRunner.addresses reports it.
    assert "_server" in web.BaseSite.__slots__, (
        "aiohttp.web.BaseSite._server is gone: pyexporter.listener.Listener.start stores its server there"
    )
    settings = Settings(paths=fixture_paths("basic"), enabled_collectors=("loadavg",))
    async with serving(Exporter(settings), None, [ListenAddress("127.0.0.1", 0)]) as runner:
        (site,) = runner.sites
        ports = [address[1] for address in runner.addresses]
        assert len(ports) == 1 and f":{ports[0]}" in site.name, (
            "aiohttp.web.BaseRunner.addresses no longer reports the sockets of BaseSite._server, where "
            "pyexporter.listener.Listener keeps its server"
        )
        _, writer = await asyncio.open_connection("127.0.0.1", ports[0])
        writer.close()
        await site.stop()
        with pytest.raises(ConnectionRefusedError):
            _, writer = await asyncio.open_connection("127.0.0.1", ports[0])
            writer.close()
            pytest.fail(
                "aiohttp.web.BaseSite.stop no longer closes BaseSite._server: pyexporter.listener.Listener.stop "
                "relies on it to stop listening"
            )
