"""Logging as node_exporter does it: one line per event, logfmt by default or JSON.

Every log call in the code base is written one way, as go-kit's logger calls are in node_exporter:

- The message is a constant string that names the event (node_exporter's wording where it logs
  the same event). Nothing is formatted into it: no %-arguments, no f-strings, no str.format.
- Every value that varies travels as a field, in `extra={"kv": {...}}`, under a snake_case key
  (node_exporter's key where it has one: "collector", "address", "file", "err", ...).
- An exception is logged as its text, `"err": str(err)`. A traceback (`exc_info`, log.exception)
  is printed only for debug records, so it can never stand in for "err".

tests/unit/test_logs.py checks every module of the package for it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
_LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error"}


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields: dict[str, object] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        ),
        "level": _LEVEL_NAMES.get(record.levelno, record.levelname.lower()),
        "source": f"{record.module}.py:{record.lineno}",
        "msg": record.getMessage(),
    }
    fields.update(getattr(record, "kv", {}))
    if record.exc_info and record.levelno <= logging.DEBUG:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


def _logfmt_value(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n\t\\'):
        return json.dumps(text, ensure_ascii=False)
    return text


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in _fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


def setup_logging(level: str = "info", fmt: str = "logfmt") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    root = logging.getLogger("pyexporter")
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level])
    root.propagate = False
    # aiohttp's access log would add a line per scrape; node_exporter logs none.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
