from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from pyexporter.exporter import Exporter
from pyexporter.settings import Settings
from pyexporter.web import create_app
from tests.helpers import fixture_paths


@pytest.fixture
async def start_server() -> AsyncIterator[Callable[..., Any]]:
    """Start the real aiohttp app on an ephemeral 127.0.0.1 port; returns (base_url, exporter, app)."""
    servers: list[TestServer] = []

    async def start(**overrides: Any) -> tuple[str, Exporter, Any]:
        settings = Settings(
            paths=overrides.pop("paths", fixture_paths("basic")),
            enabled_collectors=overrides.pop("enabled_collectors", ("loadavg",)),
            **overrides,
        )
        exporter = Exporter(settings)
        app = create_app(exporter)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}", exporter, app

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # aiohttp asks for gzip by default; scrapes here ask for it only where a test says so.
    async with aiohttp.ClientSession(auto_decompress=False, headers={"Accept-Encoding": "identity"}) as session:
        yield session
