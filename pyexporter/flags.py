"""Flag values and typed options: what the command line, the web configuration and the collectors'
own `--collector.NAME.*` flags share.

A collector's options are a frozen dataclass whose fields are declared with `flag(...)`: the field's
type annotation says how the flag's text is converted (str, bool, int, float, a regex that is None
when empty, a repeatable list), so a typo in an option's name is an AttributeError that mypy
reports, and a bad value is one FlagValueError when the flags are parsed.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar


class FlagValueError(ValueError):
    """A flag value that cannot be used; the message is shown to the user as it is."""


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w|y)")
_DURATION_UNITS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
    "d": 86400.0, "w": 604800.0, "y": 31536000.0,
}


def parse_duration(text: str) -> float:
    """A Go/Prometheus duration such as `5s`, `1m30s` or `500ms`, in seconds."""
    text = text.strip()
    if text in ("0", ""):
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if not match:
            raise FlagValueError(f"invalid duration {text!r} (expected e.g. 5s, 1m30s, 500ms)")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return total


def compile_regex(text: str) -> re.Pattern[str] | None:
    """A flag regex; empty means "not set", as node_exporter treats it."""
    if text == "":
        return None
    try:
        return re.compile(text)
    except re.error as err:
        raise FlagValueError(f"invalid regular expression {text!r}: {err}") from None


def _to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise FlagValueError(f"invalid boolean {value!r}")


def _to_int(value: object) -> int:
    if isinstance(value, bool):
        raise FlagValueError(f"invalid integer {value!r}")
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise FlagValueError(f"invalid integer {value!r}") from None


def _to_float(value: object) -> float:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        raise FlagValueError(f"invalid number {value!r}") from None


def _to_duration(value: object) -> float:
    return value if isinstance(value, float) else parse_duration(str(value))


def _to_regex(value: object) -> re.Pattern[str] | None:
    return value if isinstance(value, re.Pattern) or value is None else compile_regex(str(value))


def _to_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(item) for item in value)
    if value is None:
        return ()
    raise FlagValueError(f"invalid list {value!r}")


FlagKind = Literal["str", "bool", "int", "float", "duration", "regex", "list"]

_CONVERTERS: dict[FlagKind, Callable[[object], object]] = {
    "str": str,
    "bool": _to_bool,
    "int": _to_int,
    "float": _to_float,
    "duration": _to_duration,
    "regex": _to_regex,
    "list": _to_list,
}

# The field annotation each kind is held in; a duration is a float of seconds.
_KIND_OF_TYPE: dict[object, FlagKind] = {
    str: "str", bool: "bool", int: "int", float: "float",
    re.Pattern[str] | None: "regex", tuple[str, ...]: "list",
}


@dataclass(frozen=True, slots=True)
class Flag:
    """One `--collector.NAME.<name>` flag, setting the options field `field`.

    `full_name` is for the few flags node_exporter names outside `collector.NAME.`.
    """

    name: str
    help: str
    default: object
    kind: FlagKind
    field: str
    full_name: str | None = None

    def convert(self, value: object) -> object:
        return _CONVERTERS[self.kind](value)


@dataclass(frozen=True, slots=True)
class _Declared:
    name: str
    help: str
    default: object
    duration: bool
    full_name: str | None


_FLAG_KEY = "pyexporter.flag"


def flag(name: str, help: str, default: object = "", *, duration: bool = False,
         full_name: str | None = None) -> Any:
    """Declare an options field set by the flag `--collector.NAME.<name>` (or `--<full_name>`).

    DEFAULT is given as on the command line (a regex as its text); `duration=True` reads a float
    field as a Go duration. Returns a dataclass field, typed Any as dataclasses.field is.
    """
    return dataclasses.field(metadata={_FLAG_KEY: _Declared(name, help, default, duration, full_name)})


@dataclass(frozen=True, slots=True)
class NoOptions:
    """The options of a collector that takes no flags."""


# The options dataclass of a collector, in generic code.
Options = TypeVar("Options")


def options_flags(options_type: type[object]) -> tuple[Flag, ...]:
    """The flags of an options dataclass, in field order; TypeError for a field that is not
    declared with `flag` or whose annotation no flag kind holds."""
    if not dataclasses.is_dataclass(options_type):
        raise TypeError(f"{options_type.__name__} is not a dataclass")
    hints = typing.get_type_hints(options_type)
    flags = []
    for field in dataclasses.fields(options_type):
        declared = field.metadata.get(_FLAG_KEY)
        if not isinstance(declared, _Declared):
            raise TypeError(f"{options_type.__name__}.{field.name} is not declared with flag()")
        kind = _KIND_OF_TYPE.get(hints[field.name])
        if kind is None:
            raise TypeError(f"{options_type.__name__}.{field.name}: no flag kind is held in {hints[field.name]}")
        if declared.duration:
            if kind != "float":
                raise TypeError(f"{options_type.__name__}.{field.name}: a duration is held in a float")
            kind = "duration"
        flags.append(Flag(declared.name, declared.help, declared.default, kind, field.name, declared.full_name))
    return tuple(flags)


def build_options(options_type: type[Options], flags: tuple[Flag, ...], given: Mapping[str, object],
                  flag_name: Callable[[Flag], str]) -> Options:
    """OPTIONS_TYPE from GIVEN {flag name: value} over the flags' defaults, each converted to its
    field's type; FlagValueError naming the flag (`--` + FLAG_NAME(flag)) for a bad value."""
    values: dict[str, object] = {}
    for one in flags:
        raw = given.get(one.name, one.default)
        try:
            values[one.field] = one.convert(raw)
        except FlagValueError as err:
            raise FlagValueError(f"--{flag_name(one)}: {err}") from None
    return options_type(**values)
