"""The collector registry.

Each module in this package declares one collector with the `collector` decorator, under
node_exporter's name, with whether it is on by default and its own `--collector.NAME.*` flags.
`load_all` imports every module so that the registry is complete; `load` only the ones named.
Only OFF_BY_DEFAULT repeats a declaration, to spare a default server those modules' memory.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, ClassVar

from prometheus_client.core import Metric

from pyexporter.paths import Paths


class CollectorError(Exception):
    """A collector's input was unreadable or malformed; the scrape reports it and goes on."""


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


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise FlagValueError(f"invalid boolean {value!r}")


def _to_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FlagValueError(f"invalid integer {value!r}") from None


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FlagValueError(f"invalid number {value!r}") from None


def _to_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value or ())


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str": str,
    "bool": _to_bool,
    "int": _to_int,
    "float": _to_float,
    "duration": lambda v: v if isinstance(v, float) else parse_duration(str(v)),
    "regex": lambda v: v if isinstance(v, re.Pattern) or v is None else compile_regex(str(v)),
    "list": _to_list,
}


@dataclass(frozen=True, slots=True)
class Flag:
    """One `--collector.NAME.<name>` flag. `kind` is str, bool, int, float, duration, regex or list.

    Regex flags arrive in `options` compiled, or None when empty; durations as seconds.
    `full_name` is for the few flags node_exporter names outside `collector.NAME.`.
    """

    name: str
    help: str
    default: Any = ""
    kind: str = "str"
    full_name: str | None = None

    def convert(self, value: Any) -> Any:
        return _CONVERTERS[self.kind](value)


@dataclass(frozen=True, slots=True)
class CollectorContext:
    paths: Paths
    options: Mapping[str, Any]
    logger: logging.Logger


class Collector:
    """Base class: built once at start-up with its context, asked for families on every scrape.

    `collect` returns the metric families; raising any exception fails this collector alone.
    Build what never changes in `__init__`; read and parse in `collect`.
    """

    name: ClassVar[str] = ""
    # A collector that serves families others wrote (textfile) gives way to every family pyexporter
    # collects itself: once a gather is done, `give_way` decides what of its output is served.
    gives_way: ClassVar[bool] = False

    def __init__(self, ctx: CollectorContext) -> None:
        self.paths = ctx.paths
        self.options = ctx.options
        self.log = ctx.logger

    def collect(self) -> Iterable[Metric]:
        raise NotImplementedError

    def give_way(self, families: list[Metric], taken: AbstractSet[str]) -> list[Metric]:
        """What of FAMILIES (this collector's output in one gather) to serve, given TAKEN: every
        exposition name (exposition.exposition_names) of the other families of the exposition.
        Called only when `gives_way`; FAMILIES may be shared with other scrapes, so never change
        them: return new families where something differs."""
        return families


@dataclass(frozen=True, slots=True)
class CollectorSpec:
    name: str
    default_enabled: bool
    factory: type[Collector]
    flags: tuple[Flag, ...]

    def flag_name(self, flag: Flag) -> str:
        return flag.full_name or f"collector.{self.name}.{flag.name}"

    def options(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """This collector's options: flag defaults overridden by `given`, converted to their kinds."""
        given = given or {}
        unknown = set(given) - {f.name for f in self.flags}
        if unknown:
            raise FlagValueError(f"collector {self.name} has no option {sorted(unknown)[0]!r}")
        options: dict[str, Any] = {}
        for flag in self.flags:
            raw = given.get(flag.name, flag.default)
            try:
                options[flag.name] = flag.convert(raw)
            except FlagValueError as err:
                raise FlagValueError(f"--{self.flag_name(flag)}: {err}") from None
        return options

    def build(
        self,
        paths: Paths,
        given: Mapping[str, Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> Collector:
        ctx = CollectorContext(
            paths=paths,
            options=self.options(given),
            logger=logger or logging.getLogger(f"pyexporter.collector.{self.name}"),
        )
        return self.factory(ctx)


REGISTRY: dict[str, CollectorSpec] = {}


def collector(
    name: str, default: bool = True, flags: Iterable[Flag] = ()
) -> Callable[[type[Collector]], type[Collector]]:
    """Register a Collector subclass under node_exporter's collector name."""

    def register(cls: type[Collector]) -> type[Collector]:
        if name in REGISTRY:
            raise RuntimeError(f"collector {name!r} registered twice")
        cls.name = name
        REGISTRY[name] = CollectorSpec(name, default, cls, tuple(flags))
        return cls

    return register


# The collectors their modules declare off by default. Their modules are imported only when the
# command line names them (or --help lists every flag): a server with the default collectors holds
# 0.75 MB less. tests/unit/test_cli.py holds this set to the modules' declarations.
OFF_BY_DEFAULT = frozenset({
    "buddyinfo", "cgroups", "cpu_vulnerabilities", "drbd", "interrupts", "ksmd", "lnstat",
    "meminfo_numa", "mountstats", "namedprocess", "pcidevice", "processes", "qdisc", "slabinfo",
    "softirqs", "sysctl", "wifi", "xfrm", "zoneinfo",
})


def collector_names() -> list[str]:
    """Every collector's name, which is its module's, without importing any of them."""
    return sorted(module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_"))


def load(names: Iterable[str] | None = None) -> dict[str, CollectorSpec]:
    """Import the modules of the NAMED collectors (every collector's by default); return the
    registry, sorted by name: those collectors and any registered before."""
    modules = set(collector_names())
    for name in modules if names is None else names:
        if name in modules:
            importlib.import_module(f"{__name__}.{name}")
    return dict(sorted(REGISTRY.items()))


def load_all() -> dict[str, CollectorSpec]:
    """Import every collector module in this package; return the registry, sorted by name."""
    return load()
