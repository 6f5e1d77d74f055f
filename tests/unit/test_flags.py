"""Typed collector options: a frozen dataclass whose field types say how each flag converts."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from prometheus_client.core import Metric

from pyexporter.collectors import REGISTRY, CollectorSpec, collector, load_all
from pyexporter.flags import FlagValueError, NoOptions, flag, options_flags
from pyexporter.toolkit.collector import Collector


@dataclass(frozen=True, slots=True)
class _Options:
    name: str = flag("name", "A string.", "x")
    enabled: bool = flag("enabled", "A boolean.", False)
    workers: int = flag("workers", "An integer.", 4)
    ratio: float = flag("ratio", "A number.", 0.5)
    timeout: float = flag("timeout", "A duration.", "5s", duration=True)
    pattern: re.Pattern[str] | None = flag("pattern", "A regex.", "")
    items: tuple[str, ...] = flag("item", "A list.", (), full_name="collector.other.item")


def _spec() -> CollectorSpec[_Options]:
    class _Collector(Collector[_Options]):
        def collect(self) -> Iterable[Metric]:
            return []

    return CollectorSpec("test_typed", False, _Collector, _Options)


def test_kinds_follow_the_field_types() -> None:
    kinds = {f.field: f.kind for f in options_flags(_Options)}
    assert kinds == {"name": "str", "enabled": "bool", "workers": "int", "ratio": "float", "timeout": "duration",
                     "pattern": "regex", "items": "list"}
    spec = _spec()
    assert [spec.flag_name(f) for f in spec.flags][-1] == "collector.other.item"


def test_options_are_built_typed_and_frozen() -> None:
    options = _spec().options({"enabled": "true", "workers": "8", "timeout": "1m30s", "pattern": "^a", "item": ["p"]})
    assert options == _Options("x", True, 8, 0.5, 90.0, re.compile("^a"), ("p",))
    defaults = _spec().options()
    assert defaults.pattern is None and defaults.items == () and defaults.timeout == 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        defaults.workers = 2  # type: ignore[misc]


@pytest.mark.parametrize(("given", "message"), [
    ({"workers": "many"}, "--collector.test_typed.workers: invalid integer"),
    ({"enabled": "maybe"}, "--collector.test_typed.enabled: invalid boolean"),
    ({"timeout": "5 parsecs"}, "--collector.test_typed.timeout: invalid duration"),
    ({"pattern": "("}, "--collector.test_typed.pattern: invalid regular expression"),
    ({"nmae": "x"}, "collector test_typed has no option 'nmae'"),
])
def test_bad_values_name_their_flag(given: dict[str, object], message: str) -> None:
    with pytest.raises(FlagValueError, match=re.escape(message)):
        _spec().options(given)


def test_a_field_no_flag_kind_holds_is_refused() -> None:
    @dataclass(frozen=True)
    class Untyped:
        limit: list[int] = flag("limit", "No kind holds a list of ints.")

    @dataclass(frozen=True)
    class Undeclared:
        limit: int = 3

    @dataclass(frozen=True)
    class NotADuration:
        limit: int = flag("limit", "Durations are floats.", "5s", duration=True)

    for options_type in (Untyped, Undeclared, NotADuration):
        with pytest.raises(TypeError, match="limit"):
            options_flags(options_type)


def test_a_collector_registered_with_other_options_than_it_declares_is_refused() -> None:
    class _Mismatch(Collector[NoOptions]):
        def collect(self) -> Iterable[Metric]:
            return []

    with pytest.raises(TypeError, match="declared with options"):
        collector("test_mismatch", options=_Options)(_Mismatch)
    assert "test_mismatch" not in REGISTRY


def test_every_collector_declares_typed_options() -> None:
    for name, spec in load_all().items():
        assert dataclasses.is_dataclass(spec.options_type), name
        assert spec.options_type.__dataclass_params__.frozen, name  # type: ignore[attr-defined]
        built = spec.options()
        assert isinstance(built, spec.options_type), name
