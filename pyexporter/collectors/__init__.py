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
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pyexporter.flags import Flag, FlagValueError, NoOptions, Options, build_options, options_flags
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import Collector, CollectorContext

_CollectorClass = TypeVar("_CollectorClass", bound=Collector[Any])


@dataclass(frozen=True, slots=True)
class CollectorSpec(Generic[Options]):
    name: str
    default_enabled: bool
    factory: type[Collector[Options]]
    options_type: type[Options]
    flags: tuple[Flag, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "flags", options_flags(self.options_type))

    def flag_name(self, flag: Flag) -> str:
        return flag.full_name or f"collector.{self.name}.{flag.name}"

    def options(self, given: Mapping[str, object] | None = None) -> Options:
        """This collector's options: flag defaults overridden by GIVEN {flag name: value}, each
        converted to its field's type; FlagValueError for an unknown name or a bad value."""
        given = given or {}
        unknown = set(given) - {f.name for f in self.flags}
        if unknown:
            raise FlagValueError(f"collector {self.name} has no option {sorted(unknown)[0]!r}")
        return build_options(self.options_type, self.flags, given, self.flag_name)

    def build(
        self,
        paths: Paths,
        given: object = None,
        logger: logging.Logger | None = None,
        enabled: frozenset[str] | None = None,
    ) -> Collector[Options]:
        """The collector, with GIVEN options: built already (an options_type), or None or
        {flag name: value} to build."""
        if isinstance(given, self.options_type):
            options = given
        elif given is None or isinstance(given, Mapping):
            options = self.options(given)
        else:
            raise TypeError(f"collector {self.name}: options {given!r} are not {self.options_type.__name__}")
        ctx = CollectorContext(
            paths=paths,
            options=options,
            logger=logger or logging.getLogger(f"pyexporter.collector.{self.name}"),
            enabled=enabled,
        )
        return self.factory(ctx)


REGISTRY: dict[str, CollectorSpec[Any]] = {}


def _declared_options(cls: type[Collector[Any]]) -> object:
    """The X of a class declared `class C(Collector[X])` (or of its nearest such base)."""
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is Collector:
                return typing.get_args(base)[0]
    return None


def collector(
    name: str, default: bool = True, options: type[object] = NoOptions
) -> Callable[[type[_CollectorClass]], type[_CollectorClass]]:
    """Register a Collector subclass under node_exporter's collector name, with the dataclass of
    its flags' options (flags.flag fields), the one it is declared with: `Collector[OPTIONS]`."""

    def register(cls: type[_CollectorClass]) -> type[_CollectorClass]:
        if name in REGISTRY:
            raise RuntimeError(f"collector {name!r} registered twice")
        declared = _declared_options(cls)
        if declared is not options:
            raise TypeError(f"collector {name!r}: {cls.__name__} is declared with options {declared!r}, "
                            f"registered with {options.__name__}")
        cls.name = name
        REGISTRY[name] = CollectorSpec(name, default, cls, options)
        return cls

    return register


# The collectors their modules declare off by default. Their modules are imported only when the
# command line names them (or --help lists every flag), so a server with the default collectors does
# not hold them. tests/unit/test_cli.py holds this set to the modules' declarations.
OFF_BY_DEFAULT = frozenset({
    "buddyinfo", "cgroups", "container", "cpu_vulnerabilities", "drbd", "drm", "ethtool", "interrupts",
    "ksmd", "lnstat", "logind", "meminfo_numa", "mountstats", "namedprocess", "network_route",
    "nvmesubsystem", "pcidevice", "perf", "processes", "qdisc", "slabinfo", "softirqs", "swap", "sysctl",
    "systemd", "tcpstat", "wifi", "xfrm", "zoneinfo",
})


def collector_names() -> list[str]:
    """Every collector's name, which is its module's, without importing any of them."""
    return sorted(module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_"))


def load(names: Iterable[str] | None = None) -> dict[str, CollectorSpec[Any]]:
    """Import the modules of the NAMED collectors (every collector's by default); return the
    registry, sorted by name: those collectors and any registered before."""
    modules = set(collector_names())
    for name in modules if names is None else names:
        if name in modules:
            importlib.import_module(f"{__name__}.{name}")
    return dict(sorted(REGISTRY.items()))


def load_all() -> dict[str, CollectorSpec[Any]]:
    """Import every collector module in this package; return the registry, sorted by name."""
    return load()
