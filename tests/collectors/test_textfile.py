import logging
import os
import shutil

import pytest

from pyexporter.collectors.textfile import TextfileCollector
from pyexporter.paths import Paths
from tests.helpers import FIXTURES, SHARED_FIXTURES, exposition, run_collector, sample, samples

PROM = os.path.join(FIXTURES, "textfile", "prom")
UPSTREAM_CASES = os.path.join(SHARED_FIXTURES, "textfile")


def test_default_directory_emits_only_scrape_error() -> None:
    families = run_collector("textfile", Paths())
    assert samples(families) == {("node_textfile_scrape_error", frozenset()): 0.0}


def test_good_directory() -> None:
    good = os.path.join(PROM, "good")
    families = run_collector("textfile", Paths(), {"directory": good})
    assert sample(families, "node_textfile_scrape_error") == 0
    # Label sets are completed across the family; files merged.
    assert sample(families, "jobs_total", queue="fast", host="") == 3
    assert sample(families, "jobs_total", queue="slow", host="x") == 4
    assert sample(families, "jobs_total", queue="batch") == 5
    assert sample(families, "plain") == 7
    assert sample(families, "lat_bucket", le="0.5") == 1
    assert sample(families, "lat_bucket", le="1e+06") == 2
    assert sample(families, "lat_bucket", le="+Inf") == 2
    assert sample(families, "lat_sum") == 3.5
    files = {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"}
    assert files == {os.path.join(good, "a.prom"), os.path.join(good, "b.prom")}
    text = exposition(families)
    assert f"# HELP plain Metric read from {os.path.join(good, 'b.prom')}\n" in text
    assert "# TYPE jobs_total counter\n" in text


def test_malformed_file_sets_error_and_keeps_good_files(caplog: pytest.LogCaptureFixture) -> None:
    bad = os.path.join(PROM, "bad")
    with caplog.at_level(logging.ERROR):
        families = run_collector("textfile", Paths(), {"directory": bad})
    assert sample(families, "node_textfile_scrape_error") == 1
    assert sample(families, "fine") == 1
    names = {k[0] for k in samples(families)}
    assert "x" not in names and "stamped" not in names
    files = {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"}
    assert files == {os.path.join(bad, "ok.prom")}
    logged = {r.kv["file"] for r in caplog.records if hasattr(r, "kv") and "file" in r.kv}  # type: ignore[attr-defined]
    assert logged == {os.path.join(bad, "broken.prom"), os.path.join(bad, "stamped.prom")}


def test_repeatable_and_glob_directories() -> None:
    families = run_collector(
        "textfile", None, {"directory": [os.path.join(PROM, "go*"), os.path.join(PROM, "bad")]}
    )
    assert sample(families, "plain") == 7
    assert sample(families, "fine") == 1
    assert sample(families, "node_textfile_scrape_error") == 1


def test_missing_directory_is_an_error(tmp_path) -> None:
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path / "nope")})
    assert samples(families) == {("node_textfile_scrape_error", frozenset()): 1.0}


def test_mtime_is_whole_seconds(tmp_path) -> None:
    path = tmp_path / "m.prom"
    path.write_text("m 1\n")
    os.utime(path, (1_700_000_000.75, 1_700_000_000.75))
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert sample(families, "node_textfile_mtime_seconds", file=str(path)) == 1_700_000_000


def _parse_exposition(text: str) -> tuple[dict[str, str], dict[tuple[str, frozenset], float]]:
    from prometheus_client.parser import text_string_to_metric_families

    helps, values = {}, {}
    for fam in text_string_to_metric_families(text):
        if fam.name == "node_textfile_mtime_seconds":
            values.update({("mtime_file", frozenset(s.labels.items())): 1.0 for s in fam.samples})
            continue
        helps[fam.name] = fam.documentation
        values.update({(s.name, frozenset(s.labels.items())): s.value for s in fam.samples})
    return helps, values


UPSTREAM = sorted(
    name[: -len(".out")] for name in (os.listdir(UPSTREAM_CASES) if os.path.isdir(UPSTREAM_CASES) else [])
    if name.endswith(".out")
)


@pytest.mark.skipif(not UPSTREAM, reason="../shared fixtures absent")
@pytest.mark.parametrize("case", UPSTREAM)
def test_upstream_textfile_case(case: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Upstream runs each case from its collector/ folder as fixtures/textfile/NAME; copying the
    # case to the same relative path makes file labels and generated HELP comparable verbatim.
    monkeypatch.chdir(tmp_path)
    if case == "glob_extra_dimension":
        directory = "fixtures/textfile/*_extra_dimension"
        for src in ("histogram_extra_dimension", "summary_extra_dimension"):
            shutil.copytree(os.path.join(UPSTREAM_CASES, src), tmp_path / "fixtures" / "textfile" / src)
    else:
        directory = f"fixtures/textfile/{case}"
        if os.path.isdir(os.path.join(UPSTREAM_CASES, case)):
            shutil.copytree(os.path.join(UPSTREAM_CASES, case), tmp_path / directory)
    families = run_collector("textfile", Paths(), {"directory": directory})
    with open(os.path.join(UPSTREAM_CASES, case + ".out"), encoding="utf-8") as fh:
        expected = _parse_exposition(fh.read())
    assert _parse_exposition(exposition(families)) == expected


def test_collector_class_registered() -> None:
    assert TextfileCollector.name == "textfile"


def test_a_fifo_named_prom_is_refused_not_waited_on(tmp_path) -> None:
    import os

    (tmp_path / "good.prom").write_text("good_metric 1\n")
    os.mkfifo(tmp_path / "pipe.prom")
    families = run_collector("textfile", Paths(), {"directory": [str(tmp_path)]})
    values = samples(families)
    assert values[("good_metric", frozenset())] == 1
    assert values[("node_textfile_scrape_error", frozenset())] == 1
