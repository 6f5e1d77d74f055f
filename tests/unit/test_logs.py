"""Logging: one line per event in logfmt (default) or JSON, each with ts, level and msg, and no
traceback for expected conditions at info level."""

from __future__ import annotations

import ast
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyexporter
from pyexporter.logs import setup_logging

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_PAIR = re.compile(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^\s"=]*)(?: |$)')


def parse_logfmt(line: str) -> dict[str, str]:
    """KEY=VALUE pairs, VALUE bare or a JSON-quoted string; anything else in the line fails."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        match = _PAIR.match(line, pos)
        assert match, f"not logfmt at {pos}: {line!r}"
        key, value = match.groups()
        fields[key] = json.loads(value) if value.startswith('"') else value
        pos = match.end()
    return fields


def parse(fmt: str, line: str) -> dict[str, str]:
    return json.loads(line) if fmt == "json" else parse_logfmt(line)


@pytest.fixture
def pyexporter_logger() -> Iterator[logging.Logger]:
    """The package logger, put back afterwards: setup_logging replaces its handlers."""
    logger = logging.getLogger("pyexporter")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def _boom() -> None:
    raise FileNotFoundError(2, "No such file or directory", "/proc/loadavg")


@pytest.mark.parametrize("fmt", ["logfmt", "json"])
def test_one_line_per_event_with_ts_level_msg(
    fmt: str, capsys: pytest.CaptureFixture[str], pyexporter_logger: logging.Logger
) -> None:
    setup_logging("debug", fmt)
    log = logging.getLogger("pyexporter.test")
    log.debug("debug event")
    log.info("two\nlines", extra={"kv": {"path": "/a b/c", "quote": 'say "hi"', "n": 3}})
    log.warning("warn event", extra={"kv": {"empty": "", "multi": "x\ny"}})
    try:
        _boom()
    except OSError:
        log.error("collector failed", exc_info=True, extra={"kv": {"name": "loadavg"}})
        log.debug("details", exc_info=True)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5, lines
    events = [parse(fmt, line) for line in lines]
    for event in events:
        assert {"ts", "level", "msg"} <= set(event), event
        assert TS.match(event["ts"]), event["ts"]
    assert [e["level"] for e in events] == ["debug", "info", "warn", "error", "debug"]
    assert events[1]["msg"] == "two\nlines"
    assert events[1]["path"] == "/a b/c" and events[1]["quote"] == 'say "hi"' and str(events[1]["n"]) == "3"
    assert events[2]["empty"] == "" and events[2]["multi"] == "x\ny"
    # The traceback is a debug-level detail only, and even then it stays inside one line.
    assert "exc" not in events[3]
    assert "Traceback" in events[4]["exc"]


@pytest.mark.parametrize("fmt", ["logfmt", "json"])
def test_info_level_hides_debug_and_tracebacks(
    fmt: str, capsys: pytest.CaptureFixture[str], pyexporter_logger: logging.Logger
) -> None:
    setup_logging("info", fmt)
    log = logging.getLogger("pyexporter.test")
    log.debug("not shown")
    try:
        _boom()
    except OSError:
        log.error("collector failed", exc_info=True)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert parse(fmt, line)["msg"] == "collector failed"


@pytest.mark.parametrize("fmt", ["logfmt", "json"])
def test_failing_collector_logs_one_line(fmt: str, tmp_path: Path) -> None:
    """An expected condition (a missing /proc file) in a real run: one error line, no traceback."""
    (tmp_path / "proc").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "pyexporter", "--once", f"--log.format={fmt}", f"--path.procfs={tmp_path}/proc",
         "--collector.disable-defaults", "--collector.loadavg"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'node_scrape_collector_success{collector="loadavg"} 0.0' in proc.stdout
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    event = parse(fmt, lines[0])
    assert event["level"] == "error" and event["msg"] == "collector failed" and event["name"] == "loadavg"
    assert "loadavg" in event["err"]


# Every module of the package follows logs.py's rule.
_PACKAGE = Path(pyexporter.__file__).parent
STRUCTURED_MODULES = tuple(str(path.relative_to(_PACKAGE)) for path in sorted(_PACKAGE.rglob("*.py")))
_LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}


def _logger_name(node: ast.expr) -> str:
    """`log`, `http_log`, `self.log` -> the name the logger goes by in the call."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _constant_message(node: ast.expr) -> bool:
    """A string literal, or a choice between two (one of two events, as "TLS is enabled." or not)."""
    if isinstance(node, ast.IfExp):
        return _constant_message(node.body) and _constant_message(node.orelse)
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def style_violations(source: str) -> list[str]:
    """Log calls in SOURCE that break logs.py's rule: a constant message, every value in extra kv."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _LEVELS
                and _logger_name(node.func.value).endswith("log")):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        extra = keywords.get("extra")
        if len(node.args) != 1 or not _constant_message(node.args[0]):
            found.append(f"line {node.lineno}: the message is not one constant string")
        elif extra is not None and not (
            isinstance(extra, ast.Dict) and [ast.literal_eval(key) for key in extra.keys if key is not None] == ["kv"]
        ):
            found.append(f"line {node.lineno}: extra is not {{'kv': {{...}}}}")
    return found


def test_style_check_tells_the_styles_apart() -> None:
    assert style_violations('log.info("Listening on", extra={"kv": {"address": address}})') == []
    assert style_violations('log.info("TLS is enabled." if tls else "TLS is disabled.")') == []
    assert style_violations('self.log.debug("statfs failed for %s: %s", mount_point, err)') != []
    assert style_violations('log.error(f"cannot read {path}")') != []
    assert style_violations('log.error("cannot read", extra={"path": path})') != []


@pytest.mark.parametrize("module", STRUCTURED_MODULES)
def test_log_calls_have_a_constant_message_and_values_in_kv(module: str) -> None:
    path = Path(pyexporter.__file__).parent / module
    assert style_violations(path.read_text()) == []
