"""The real server on a loopback port, scraped over HTTP."""

from __future__ import annotations

import gzip
import platform

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from pyexporter import __version__
from pyexporter.web import LIMIT

TEXT_0_0_4 = "text/plain; version=0.0.4; charset=utf-8"


def parse(text: str) -> dict[str, dict[frozenset, float]]:
    return {
        family.name: {frozenset(s.labels.items()): s.value for s in family.samples}
        for family in text_string_to_metric_families(text)
    }


async def test_metrics_text_format_by_default(start_server, http: aiohttp.ClientSession) -> None:
    base, _, _ = await start_server()
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == TEXT_0_0_4
        assert "Content-Encoding" not in resp.headers
        families = parse(await resp.text())
    assert families["node_load1"] == {frozenset(): 0.21}
    assert families["node_scrape_collector_success"] == {frozenset({("collector", "loadavg")}): 1.0}
    build = frozenset({("version", __version__), ("pythonversion", platform.python_version())})
    assert families["pyexporter_build_info"] == {build: 1.0}
    assert "process_resident_memory_bytes" in families
    assert "python_info" in families
    assert families["promhttp_metric_handler_requests_in_flight"] == {frozenset(): 1.0}


async def test_openmetrics_on_request(start_server, http: aiohttp.ClientSession) -> None:
    base, _, _ = await start_server()
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    async with http.get(f"{base}/metrics", headers={"Accept": accept}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
        body = await resp.text()
    assert body.endswith("# EOF\n")
    assert "node_load1 0.21" in body


async def test_gzip_when_accepted(start_server, http: aiohttp.ClientSession) -> None:
    base, _, _ = await start_server()
    async with http.get(f"{base}/metrics", headers={"Accept-Encoding": "gzip"}) as resp:
        assert resp.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(await resp.read()).decode()
    assert "node_load5 0.37" in body


async def test_collect_filter(start_server, http: aiohttp.ClientSession) -> None:
    base, _, _ = await start_server()
    async with http.get(f"{base}/metrics", params=[("collect[]", "loadavg")]) as resp:
        assert resp.status == 200
        families = parse(await resp.text())
    assert families["node_scrape_collector_success"] == {frozenset({("collector", "loadavg")}): 1.0}
    async with http.get(f"{base}/metrics", params=[("exclude[]", "loadavg")]) as resp:
        assert resp.status == 200
        families = parse(await resp.text())
    assert "node_load1" not in families
    assert families["node_scrape_collector_success"] == {}


async def test_unknown_or_disabled_collector_is_400(start_server, http: aiohttp.ClientSession) -> None:
    base, _, _ = await start_server(enabled_collectors=())
    async with http.get(f"{base}/metrics", params=[("collect[]", "no_such_collector")]) as resp:
        assert resp.status == 400
        assert "missing collector: no_such_collector" in await resp.text()
    async with http.get(f"{base}/metrics", params=[("collect[]", "loadavg")]) as resp:
        assert resp.status == 400
        assert "disabled collector: loadavg" in await resp.text()
    async with http.get(f"{base}/metrics", params=[("exclude[]", "no_such_collector")]) as resp:
        assert resp.status == 400
    async with http.get(f"{base}/metrics", params=[("collect[]", "loadavg"), ("exclude[]", "loadavg")]) as resp:
        assert resp.status == 400
        assert "not allowed" in await resp.text()


async def test_failing_collector_fails_alone(start_server, http: aiohttp.ClientSession, tmp_path) -> None:
    from pyexporter.paths import Paths

    (tmp_path / "loadavg").write_text("garbage\n")
    base, _, _ = await start_server(paths=Paths(procfs=str(tmp_path)))
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        families = parse(await resp.text())
    assert families["node_scrape_collector_success"] == {frozenset({("collector", "loadavg")}): 0.0}
    assert "node_load1" not in families
    assert "pyexporter_build_info" in families


async def test_exporter_metrics_can_be_disabled(start_server, http: aiohttp.ClientSession) -> None:
    base, _, _ = await start_server(disable_exporter_metrics=True)
    async with http.get(f"{base}/metrics") as resp:
        families = parse(await resp.text())
    assert not [name for name in families if name.startswith(("process_", "python_", "promhttp_"))]
    assert "node_load1" in families


async def test_max_requests_answers_503(start_server, http: aiohttp.ClientSession) -> None:
    base, _, app = await start_server(max_requests=2)
    # Hold both slots as two slow scrapes would, then scrape once more.
    app[LIMIT].current = 2
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 503
        assert "Limit of concurrent requests reached (2)" in await resp.text()
    app[LIMIT].current = 0
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        families = parse(await resp.text())
    requests = families["promhttp_metric_handler_requests"]  # the parser drops _total
    assert requests[frozenset({("code", "503")})] == 1


async def test_landing_page_and_health(start_server, http: aiohttp.ClientSession) -> None:
    base, _, _ = await start_server(telemetry_path="/custom")
    async with http.get(f"{base}/") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html")
        page = await resp.text()
    assert __version__ in page
    assert 'href="/custom"' in page
    assert "<li>loadavg</li>" in page
    async with http.get(f"{base}/-/healthy") as resp:
        assert resp.status == 200
    async with http.get(f"{base}/custom") as resp:
        assert resp.status == 200
    async with http.get(f"{base}/metrics") as resp:
        assert resp.status == 404


async def test_metrics_at_the_root_replace_the_landing_page(start_server, http: aiohttp.ClientSession) -> None:
    # node_exporter 1.6 (#2590): with --web.telemetry-path=/ the metrics are served at / and
    # there is no landing page.
    base, _, _ = await start_server(telemetry_path="/")
    async with http.get(f"{base}/") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        assert "node_load1" in parse(await resp.text())
    async with http.get(f"{base}/-/healthy") as resp:
        assert resp.status == 200


async def test_a_repeated_entry_is_served_once(start_server, http: aiohttp.ClientSession, tmp_path) -> None:
    """A file that repeats an entry gives one series, the first, as node_exporter's registry keeps
    it; the scrape's gathering error is counted once."""
    from pyexporter.paths import Paths

    (tmp_path / "cgroups").write_text(
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
        "cpuset\t3\t47\t1\ncpu\t4\t90\t1\ncpuset\t5\t12\t0\n"
    )
    base, _, _ = await start_server(paths=Paths(procfs=str(tmp_path)), enabled_collectors=("cgroups",))
    for _ in range(2):
        async with http.get(f"{base}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    assert text.count('node_cgroups_cgroups{subsys_name="cpuset"}') == 1
    families = parse(text)
    assert families["node_cgroups_cgroups"][frozenset({("subsys_name", "cpuset")})] == 47.0
    assert families["node_scrape_collector_success"] == {frozenset({("collector", "cgroups")}): 1.0}
    assert families["promhttp_metric_handler_errors"][frozenset({("cause", "gathering")})] == 1.0
