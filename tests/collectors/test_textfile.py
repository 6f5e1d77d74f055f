import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.core import Metric, SummaryMetricFamily

from pyexporter.collectors import load_all
from pyexporter.collectors.textfile import TextfileCollector
from pyexporter.exposition import encode, merge
from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.scrape import TakenNames
from pyexporter.toolkit.families import CounterMetricFamily, GaugeMetricFamily, VerbatimFamily, exposition_names
from tests.helpers import (
    FIXTURES,
    SHARED_FIXTURES,
    LogRecords,
    captured_logs,
    exposition,
    run_collector,
    sample,
    samples,
)

PROM = os.path.join(FIXTURES, "textfile", "prom")
UPSTREAM_CASES = os.path.join(SHARED_FIXTURES, "textfile")


@pytest.fixture
def records() -> Iterator[LogRecords]:
    with captured_logs("pyexporter.collector.textfile") as handler:
        yield handler


def _collector(directory: str | Path, **options: object) -> TextfileCollector:
    built = load_all()["textfile"].build(Paths(), {"directory": str(directory), **options})
    assert isinstance(built, TextfileCollector)
    return built


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


def test_malformed_file_sets_error_and_keeps_good_files(records: LogRecords) -> None:
    bad = os.path.join(PROM, "bad")
    families = run_collector("textfile", Paths(), {"directory": bad})
    assert sample(families, "node_textfile_scrape_error") == 1
    assert sample(families, "fine") == 1
    names = {k[0] for k in samples(families)}
    assert "x" not in names and "stamped" not in names
    files = {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"}
    assert files == {os.path.join(bad, "ok.prom")}
    logged = {kv["file"] for kv in records.kv("failed to collect textfile data")}
    assert logged == {os.path.join(bad, "broken.prom"), os.path.join(bad, "stamped.prom")}


def test_repeatable_and_glob_directories() -> None:
    families = run_collector(
        "textfile", Paths(), {"directory": [os.path.join(PROM, "go*"), os.path.join(PROM, "bad")]}
    )
    assert sample(families, "plain") == 7
    assert sample(families, "fine") == 1
    assert sample(families, "node_textfile_scrape_error") == 1


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path / "nope")})
    assert samples(families) == {("node_textfile_scrape_error", frozenset()): 1.0}


def test_mtime_is_whole_seconds(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    path.write_text("m 1\n")
    os.utime(path, (1_700_000_000.75, 1_700_000_000.75))
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert sample(families, "node_textfile_mtime_seconds", file=str(path)) == 1_700_000_000


def _parse_exposition(text: str) -> tuple[dict[str, str], dict[tuple[str, frozenset[tuple[str, str]]], float]]:
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
def test_upstream_textfile_case(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_a_fifo_named_prom_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    (tmp_path / "good.prom").write_text("good_metric 1\n")
    os.mkfifo(tmp_path / "pipe.prom")
    families = run_collector("textfile", Paths(), {"directory": [str(tmp_path)]})
    values = samples(families)
    assert values[("good_metric", frozenset())] == 1
    assert values[("node_textfile_scrape_error", frozenset())] == 1


# --- exact names (class 5) ------------------------------------------------------------------------


def test_every_sample_is_served_under_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_text(
        "# HELP reqs Requests.\n# TYPE reqs counter\nreqs 5\n"
        "# TYPE done_total counter\ndone_total 2\n"
        "# TYPE x counter\nx_total 3\nx 4\n"
    )
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert all(type(f) is VerbatimFamily for f in families if not f.name.startswith("node_textfile_"))
    text = exposition(families)
    for block in ("# HELP reqs Requests.\n# TYPE reqs counter\nreqs 5.0\n",
                  "# TYPE done_total counter\ndone_total 2.0\n",
                  "# TYPE x counter\nx 4.0\n",
                  "# TYPE x_total untyped\nx_total 3.0\n"):
        assert block in text
    merged, _ = merge(families)
    openmetrics = encode(merged, "application/openmetrics-text; version=1.0.0")[0].decode()
    # OpenMetrics counters must end in _total: `reqs` is served as unknown, `done_total` as `done`.
    assert "# TYPE reqs unknown\nreqs 5.0\n" in openmetrics
    assert "# TYPE done counter\ndone_total 2.0\n" in openmetrics


def test_series_collected_twice_keep_the_first(tmp_path: Path, records: LogRecords) -> None:
    (tmp_path / "a.prom").write_text('m{a="1"} 1\nm{a="1"} 9\nn 1\n')
    (tmp_path / "b.prom").write_text('m{a="1"} 2\nm{a="2"} 3\n# TYPE h histogram\nh_bucket{y="",le="1"} 1\nh_sum 300\n')
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert sample(families, "m", a="1") == 1
    assert sample(families, "m", a="2") == 3
    # {y=""} and {} are one series once filled; the second (with the sum) is dropped, as Go does.
    assert sample(families, "h_sum", y="") == 0
    logged = records.kv("collected before with the same name and label values")
    assert [(kv["metric"], kv["series"], kv["labels"]) for kv in logged] == [
        ("m", 1, {"a": "1"}), ("m", 1, {"a": "1"}), ("h", 1, {"y": ""})]
    assert sample(families, "node_textfile_scrape_error") == 0


def test_one_summary_per_label_set_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_text('# TYPE s summary\ns{quantile="0.5"} 1\ns_count 1\n')
    (tmp_path / "b.prom").write_text('# TYPE s summary\ns{quantile="0.99"} 2\ns_count 2\ns_sum{x="1"} 3\n')
    values = samples(run_collector("textfile", Paths(), {"directory": str(tmp_path)}))
    # b.prom's summary of the same (empty) label set is dropped whole, its 0.99 quantile too.
    assert ("s", frozenset({("quantile", "0.99")})) not in values
    assert values[("s_count", frozenset())] == 1
    assert values[("s_sum", frozenset({("x", "1")}))] == 3


def test_help_of_a_family_without_help_names_every_file(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.prom").write_text(f'm{{f="{name}"}} 1\n')
    [family] = [f for f in run_collector("textfile", Paths(), {"directory": str(tmp_path)}) if f.name == "m"]
    paths = ", ".join(str(tmp_path / f"{name}.prom") for name in ("a", "b", "c"))
    assert family.documentation == f"Metric read from {paths}"
    assert len(family.samples) == 3


def test_help_given_in_one_file_and_missing_in_another(tmp_path: Path, records: LogRecords) -> None:
    # node_exporter gives the second family "Metric read from a, b", which its registry refuses.
    (tmp_path / "a.prom").write_text("# HELP m Mine.\nm 1\n")
    (tmp_path / "b.prom").write_text('m{x="2"} 2\n')
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert samples([f for f in families if f.name == "m"]) == {("m", frozenset()): 1.0}
    assert records.kv("conflicts with an earlier one")[0]["file"] == str(tmp_path / "b.prom")


# --- built-in families win (class 4) --------------------------------------------------------------


def _builtins() -> list[Metric]:
    success = GaugeMetricFamily("node_scrape_collector_success", "node_exporter: Whether a collector succeeded.",
                                labels=["collector"])
    success.add_metric(["cpu"], 1)
    cpu = CounterMetricFamily("process_cpu_seconds", "Total user and system CPU time spent in seconds.", value=3)
    switches = CounterMetricFamily("node_context_switches_total", "Total number of context switches.", value=9)
    rpc = SummaryMetricFamily("node_rpc_latency", "A built-in summary.", count_value=1, sum_value=2)
    return [success, cpu, switches, rpc]


def _taken(families: list[Metric]) -> set[str]:
    return set().union(*(exposition_names(f) for f in families))


def test_give_way_drops_textfile_families_that_pyexporter_collects(tmp_path: Path, records: LogRecords) -> None:
    (tmp_path / "own.prom").write_text(
        'node_scrape_collector_success{collector="cpu"} 0\n'
        "process_cpu_seconds_total 5\n"
        "# TYPE node_context_switches_total counter\nnode_context_switches_total 7\n"
        "node_rpc_latency_count 4\n"
        "# HELP mine Kept.\nmine 1\n"
        "# TYPE node_rpc_latency_bucket histogram\nnode_rpc_latency_bucket_bucket{le=\"1\"} 1\n"
    )
    (tmp_path / "z.prom").write_text("process_cpu_seconds_total 6\n")
    collector = _collector(tmp_path)
    assert TextfileCollector.gives_way
    produced = list(collector.collect())
    before = [(f.name, list(f.samples)) for f in produced]
    served = collector.give_way(produced, _taken(_builtins()))

    assert [f.name for f in served] == ["mine", "node_rpc_latency_bucket", "node_textfile_mtime_seconds",
                                        "node_textfile_scrape_error"]
    assert sample(served, "node_textfile_scrape_error") == 1
    # Nothing given in was changed: the families may be shared with another scrape.
    assert [(f.name, list(f.samples)) for f in produced] == before
    assert sample(produced, "node_textfile_scrape_error") == 0
    dropped = records.kv("pyexporter collects that name itself")
    assert [(kv["metric"], kv["name"]) for kv in dropped] == [
        ("node_scrape_collector_success", "node_scrape_collector_success"),
        ("process_cpu_seconds_total", "process_cpu_seconds_total"),
        # Its OpenMetrics name: a counter node_context_switches, as the built-in one.
        ("node_context_switches_total", "node_context_switches"),
        ("node_rpc_latency_count", "node_rpc_latency_count"),
    ]
    assert dropped[1]["files"] == f"{tmp_path / 'own.prom'}, {tmp_path / 'z.prom'}"
    # The exposition is valid: one HELP/TYPE block per name.
    text = exposition([*_builtins(), *served])
    assert text.count("# TYPE node_scrape_collector_success ") == 1
    assert text.count("# TYPE process_cpu_seconds_total ") == 1


def test_give_way_without_clashes_returns_the_families_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_text("mine 1\n")
    collector = _collector(tmp_path)
    produced = list(collector.collect())
    assert collector.give_way(produced, _taken(_builtins())) is produced


def test_give_way_keeps_the_collectors_own_families(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_text("mine 1\n")
    collector = _collector(tmp_path)
    produced = list(collector.collect())
    taken = {"mine", "node_textfile_mtime_seconds", "node_textfile_scrape_error"}
    assert [f.name for f in collector.give_way(produced, taken)] == [
        "node_textfile_mtime_seconds", "node_textfile_scrape_error"]


def test_textfile_families_may_not_take_the_collectors_own_names(tmp_path: Path, records: LogRecords) -> None:
    (tmp_path / "a.prom").write_text("node_textfile_scrape_error 0\nnode_textfile_mtime_seconds 1\nok 1\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert [f.name for f in families] == ["ok", "node_textfile_mtime_seconds", "node_textfile_scrape_error"]
    assert sample(families, "node_textfile_scrape_error") == 1
    assert len(records.kv("served by another family")) == 2


def test_textfile_families_that_collide_with_each_other(tmp_path: Path, records: LogRecords) -> None:
    # client_golang refuses a histogram `h` next to an untyped `h_count`: the later one goes.
    (tmp_path / "a.prom").write_text('# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n')
    (tmp_path / "b.prom").write_text("h_count 5\n# TYPE s summary\ns_sum 1\ns_bucket 2\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert sample(families, "h_count") == 1
    assert [f.name for f in families if not f.name.startswith("node_")] == ["h", "s", "s_bucket"]
    [kv] = records.kv("served by another family")
    assert (kv["metric"], kv["name"], kv["other"]) == ("h_count", "h_count", "h")
    assert sample(families, "node_textfile_scrape_error") == 1


# --- what node_exporter would crash on, and what it refuses ---------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [('a{__foo="x"} 1\n', "reserved"), ("# TYPE a gauge_histogram\na 1\n", "unexpected type"),
     ("a 1\r\n", "expected float as value"), ("a 1", "unexpected end of input stream"),
     ('a{b="\udcff"} 1\n', "invalid label value")],
)
def test_files_node_exporter_refuses_or_crashes_on(tmp_path: Path, records: LogRecords, text: str, reason: str) -> None:
    (tmp_path / "bad.prom").write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp_path / "good.prom").write_text("good 1\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert sample(families, "good") == 1
    assert sample(families, "node_textfile_scrape_error") == 1
    [kv] = records.kv("failed to collect textfile data")
    assert kv["file"] == str(tmp_path / "bad.prom")
    assert reason in str(kv["err"])


def test_help_that_is_not_utf8_is_served_with_replacement_characters(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_bytes(b"# HELP a bad \xff\xfe help\na 1\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    # Kept as read; the exposition serves the run of invalid bytes as one U+FFFD.
    assert "# HELP a bad \ufffd help\n" in exposition(families)


# --- large directories and files (class 6) --------------------------------------------------------


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path, records: LogRecords) -> None:
    (tmp_path / "big.prom").write_text("big 1\n" * 100)
    (tmp_path / "small.prom").write_text("small 1\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path), "max-file-size": 599})
    assert sample(families, "small") == 1
    assert "big" not in {f.name for f in families}
    assert sample(families, "node_textfile_scrape_error") == 1
    assert {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"} == {
        str(tmp_path / "small.prom")}
    [kv] = records.kv("failed to collect textfile data")
    assert kv["file"] == str(tmp_path / "big.prom")
    assert str(kv["err"]) == (f'textfile "{tmp_path / "big.prom"}" is 600 bytes, more than the 599 bytes that '
                              "--collector.textfile.max-file-size allows; skipping entire file")
    # At the limit, it is read.
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path), "max-file-size": 600})
    assert sample(families, "big") == 1


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path, records: LogRecords) -> None:
    # /proc files are regular files of size 0 that read longer: one that grows while read.
    (tmp_path / "grows.prom").symlink_to("/proc/self/maps")
    (tmp_path / "small.prom").write_text("small 1\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path), "max-file-size": 64})
    assert sample(families, "small") == 1
    assert sample(families, "node_textfile_scrape_error") == 1
    [kv] = records.kv("failed to collect textfile data")
    assert "is more than 64 bytes" in str(kv["err"]) and "--collector.textfile.max-file-size" in str(kv["err"])


def test_max_file_size_flag() -> None:
    spec = load_all()["textfile"]
    [flag] = [f for f in spec.flags if f.name == "max-file-size"]
    assert (spec.flag_name(flag), flag.default, flag.kind) == (
        "collector.textfile.max-file-size", 16 * 1024 * 1024, "int")
    assert _collector("").max_file_size == 16 * 1024 * 1024
    assert _collector("", **{"max-file-size": 0}).max_file_size == 0
    with pytest.raises(FlagValueError, match="max-file-size"):
        _collector("", **{"max-file-size": -1})


def test_the_default_limit_and_no_limit(tmp_path: Path, records: LogRecords) -> None:
    # Long comment lines make a file past the default limit that is quick to parse.
    with open(tmp_path / "a.prom", "w") as fh:
        for _ in range(17):
            fh.write("# " + "x" * (1 << 20) + "\n")
        fh.write("a 1\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert sample(families, "node_textfile_scrape_error") == 1
    assert "more than the 16777216 bytes" in str(records.kv("failed to collect textfile data")[0]["err"])
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path), "max-file-size": 0})
    assert sample(families, "node_textfile_scrape_error") == 0
    assert sample(families, "a") == 1


def test_many_files_cost_linear_time(tmp_path: Path) -> None:
    """Doubling the files about doubles the time (a quadratic step, such as the HELP of a family in
    every file rebuilt per file, would give 4x)."""
    import time

    def seconds(count: int) -> float:
        directory = tmp_path / str(count)
        directory.mkdir()
        for i in range(count):
            (directory / f"f{i:05d}.prom").write_text(f'shared{{f="{i}"}} 1\nown_{i} 2\n')
        collector = _collector(directory)
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            families = list(collector.collect())
            best = min(best, time.perf_counter() - started)
        assert len(next(f for f in families if f.name == "shared").samples) == count
        return best

    small, large = seconds(1000), seconds(4000)
    assert large < small * 7


def test_non_utf8_file_names(tmp_path: Path, records: LogRecords) -> None:
    directory = os.fsencode(str(tmp_path))
    with open(os.path.join(directory, b"bad\xff.prom"), "w") as fh:
        fh.write("from_bad_name 1\n")
    with open(os.path.join(directory, b"broken\xfe.prom"), "w") as fh:
        fh.write("broken{\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert sample(families, "from_bad_name") == 1
    # The label, and the HELP that names the file, are served with U+FFFD for the byte that is not UTF-8.
    text = exposition(families)
    assert f'node_textfile_mtime_seconds{{file="{tmp_path}/bad\ufffd.prom"}}' in text
    assert f"# HELP from_bad_name Metric read from {tmp_path}/bad\ufffd.prom\n" in text
    [kv] = records.kv("failed to collect textfile data")
    assert kv["file"] == f"{tmp_path}/broken\\xfe.prom"


# --- OpenMetrics files (issue 17) -----------------------------------------------------------------
# node_exporter reads only the classic format (its #1988); a file whose last line is `# EOF` is read
# with prometheus-client's OpenMetrics parser, and served as tests/unit/test_textfile_openmetrics.py
# pins each type.

OPENMETRICS = os.path.join(FIXTURES, "textfile", "openmetrics")
OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0"


def _served_both_ways(families: list[Metric]) -> tuple[str, str]:
    merged, _ = merge(families)
    return encode(merged)[0].decode(), encode(merged, OPENMETRICS_ACCEPT)[0].decode()


def test_a_directory_mixing_classic_and_openmetrics_files(records: LogRecords) -> None:
    mixed = os.path.join(OPENMETRICS, "mixed")
    families = run_collector("textfile", Paths(), {"directory": mixed})
    # zz_bad_created.prom is refused (a negative _created), the other files are served.
    assert sample(families, "node_textfile_scrape_error") == 1
    [kv] = records.kv("failed to collect textfile data")
    assert kv["file"] == os.path.join(mixed, "zz_bad_created.prom")
    assert '"export_runs_created" is -1' in str(kv["err"])
    files = {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"}
    assert files == {os.path.join(mixed, name) for name in ("classic.prom", "types.prom", "units.prom")}
    assert sample(families, "cron_runs", task="backup") == 12
    assert sample(families, "jobs_processed_total", queue="a") == 5
    assert sample(families, "jobs_processed_created", queue="a") == 1700000000.5
    assert sample(families, "build_info", version="1.2", revision="abc") == 1
    assert sample(families, "backup_state", backup_state="done") == 1
    assert sample(families, "queue_size_gsum") == 27
    assert sample(families, "request_seconds_bucket", le="1.0") == 3
    assert sample(families, "rpc_seconds", quantile="0.9") == 0.7
    assert sample(families, "disk_free_bytes", disk="a") == 1024
    assert "export_runs_total" not in {k[0] for k in samples(families)}

    text, om = _served_both_ways(families)
    # Text format: what prometheus-client's text encoder makes of each type.
    for block in ("# TYPE jobs_processed_total counter\n", "# TYPE jobs_processed_created gauge\n",
                  "# TYPE build_info gauge\n", "# TYPE backup_state gauge\n", "# TYPE queue_size histogram\n",
                  "# TYPE queue_size_gsum gauge\n", "# TYPE request_seconds_created gauge\n",
                  "# TYPE rpc_seconds_created gauge\n", "# TYPE mystery untyped\n",
                  # The classic file's counter keeps its own name.
                  '# TYPE cron_runs counter\ncron_runs{task="backup"} 12.0\n'):
        assert block in text
    assert "# UNIT" not in text and "# EOF" not in text
    # OpenMetrics: each type natively, units kept.
    for block in ('# TYPE jobs_processed counter\njobs_processed_total{queue="a"} 5.0\n'
                  'jobs_processed_created{queue="a"} 1.7000000005e+09\n',
                  "# TYPE build info\n", "# TYPE backup_state stateset\n", "# TYPE queue_size gaugehistogram\n",
                  "# TYPE request_seconds histogram\n# UNIT request_seconds seconds\n",
                  "# TYPE disk_free_bytes gauge\n# UNIT disk_free_bytes bytes\n",
                  "# TYPE mystery unknown\n", "# TYPE batch_runs counter\nbatch_runs_total 3.0\n"):
        assert block in om
    assert om.endswith("# EOF\n")


def test_openmetrics_files_refused_one_by_one(records: LogRecords) -> None:
    bad = os.path.join(OPENMETRICS, "bad")
    families = run_collector("textfile", Paths(), {"directory": bad})
    assert sample(families, "fine_info", v="1") == 1
    assert sample(families, "node_textfile_scrape_error") == 1
    files = {dict(k[1])["file"] for k in samples(families) if k[0] == "node_textfile_mtime_seconds"}
    assert files == {os.path.join(bad, "ok.prom")}
    errors = {os.path.basename(str(kv["file"])): str(kv["err"])
              for kv in records.kv("failed to collect textfile data")}
    assert set(errors) == {"created_nan.prom", "duplicate_family.prom", "exemplar.prom", "no_eof.prom",
                           "stamped.prom"}
    assert errors["created_nan.prom"].startswith(
        f"failed to parse OpenMetrics textfile data from \"{os.path.join(bad, 'created_nan.prom')}\": ")
    assert "a _created sample must be a time in seconds" in errors["created_nan.prom"]
    assert "at line 7: Clashing name: dup" in errors["duplicate_family.prom"]
    assert '"ex_total" has an exemplar' in errors["exemplar.prom"]
    assert '"stamped" has a timestamp' in errors["stamped.prom"]
    # Without `# EOF` the file is classic text, where `info` is no type (Go's TextParser).
    assert errors["no_eof.prom"].startswith("failed to parse textfile data from")
    assert "text format parsing error in line 1: unknown metric type \"info\"" in errors["no_eof.prom"]


def test_openmetrics_families_of_one_name_in_several_files_are_merged(tmp_path: Path, records: LogRecords) -> None:
    (tmp_path / "a.prom").write_text('# TYPE c counter\nc_total{f="a"} 1\nc_created{f="a"} 10\n# EOF\n')
    (tmp_path / "b.prom").write_text('# TYPE c counter\nc_total{f="b"} 2\nc_total{f="a"} 3\nc_created{f="a"} 5\n'
                                     "# EOF\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    [family] = [f for f in families if f.name == "c"]
    # The series {f="a"} of b.prom (its _total and its _created) was collected before: dropped.
    assert [(s.name, s.labels, s.value) for s in family.samples] == [
        ("c_total", {"f": "a"}, 1.0), ("c_created", {"f": "a"}, 10.0), ("c_total", {"f": "b"}, 2.0)]
    [kv] = records.kv("collected before with the same name and label values")
    assert (kv["labels"], kv["series"], kv["file"]) == ({"f": "a"}, 1, str(tmp_path / "b.prom"))
    assert family.documentation == f"Metric read from {tmp_path / 'a.prom'}, {tmp_path / 'b.prom'}"


@pytest.mark.parametrize(
    ("first", "second", "kept", "message"),
    [
        # An OpenMetrics counter `jobs` serves `jobs_total`, as the classic counter does.
        ("# TYPE jobs counter\njobs_total 1\n# EOF\n", "# TYPE jobs_total counter\njobs_total 2\n",
         "jobs", "served by another family"),
        # A classic counter `x_total` is the OpenMetrics counter `x`.
        ("# TYPE x_total counter\nx_total 2\n", "# TYPE x gauge\nx 1\n# EOF\n", "x_total", "served by another family"),
        # One name from a classic and an OpenMetrics file.
        ("g 1\n", "# TYPE g unknown\ng{o=\"1\"} 2\n# EOF\n", "g", "read from an OpenMetrics and a classic file"),
        # One name with two units.
        ("# TYPE t_seconds gauge\n# UNIT t_seconds seconds\nt_seconds 1\n# EOF\n",
         "# TYPE t_seconds gauge\nt_seconds{o=\"1\"} 2\n# EOF\n", "t_seconds", "or with another unit"),
    ],
)
def test_openmetrics_and_classic_families_that_collide(
    tmp_path: Path, records: LogRecords, first: str, second: str, kept: str, message: str
) -> None:
    (tmp_path / "a.prom").write_text(first)
    (tmp_path / "b.prom").write_text(second)
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path)})
    assert [f.name for f in families if not f.name.startswith("node_")] == [kept]
    assert len(families[0].samples) == 1
    assert sample(families, "node_textfile_scrape_error") == 1
    [kv] = records.kv(message)
    assert kv["file" if "file" in kv else "files"] == str(tmp_path / "b.prom")
    text, om = _served_both_ways(families)
    assert text.count("# TYPE ") == om.count("# TYPE ")


def test_give_way_drops_openmetrics_families_that_pyexporter_collects(tmp_path: Path, records: LogRecords) -> None:
    (tmp_path / "om.prom").write_text("# TYPE node_context_switches counter\nnode_context_switches_total 7\n"
                                      "# TYPE node_rpc_latency_created gauge\nnode_rpc_latency_created 1\n"
                                      "# TYPE mine info\nmine_info 1\n# EOF\n")
    collector = _collector(tmp_path)
    # As a scrape asks: TakenNames knows the `_created` a built-in summary may serve.
    served = collector.give_way(list(collector.collect()), TakenNames(_builtins()))
    assert [f.name for f in served] == ["mine", "node_textfile_mtime_seconds", "node_textfile_scrape_error"]
    assert sample(served, "node_textfile_scrape_error") == 1
    dropped = records.kv("pyexporter collects that name itself")
    assert [(kv["metric"], kv["name"]) for kv in dropped] == [
        ("node_context_switches", "node_context_switches"),
        ("node_rpc_latency_created", "node_rpc_latency_created"),
    ]


def test_an_openmetrics_file_over_the_limit_is_refused(tmp_path: Path, records: LogRecords) -> None:
    (tmp_path / "big.prom").write_text("# TYPE big gauge\n" + "".join(f'big{{i="{i}"}} 1\n' for i in range(100))
                                       + "# EOF\n")
    families = run_collector("textfile", Paths(), {"directory": str(tmp_path), "max-file-size": 1000})
    assert sample(families, "node_textfile_scrape_error") == 1
    [kv] = records.kv("failed to collect textfile data")
    assert "more than the 1000 bytes that --collector.textfile.max-file-size allows" in str(kv["err"])
