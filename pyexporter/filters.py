"""node_exporter's device include/exclude filters, shared by the collectors that take them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pyexporter.collectors import FlagValueError


class DeviceFilter:
    """node_exporter's include/exclude device filter: unanchored regex search, either or none."""

    def __init__(self, exclude: re.Pattern[str] | None, include: re.Pattern[str] | None) -> None:
        self.exclude = exclude
        self.include = include

    def ignored(self, name: str) -> bool:
        if self.exclude is not None and self.exclude.search(name):
            return True
        return self.include is not None and not self.include.search(name)


def device_filter(
    options: Mapping[str, object], flag_prefix: str, deprecated: tuple[str, str] | None = None
) -> DeviceFilter:
    """The filter from `device-include`/`device-exclude`, or their deprecated aliases
    (`deprecated` = (old include name, old exclude name)) when only those are set."""
    include = options.get("device-include")
    exclude = options.get("device-exclude")
    if deprecated is not None:
        old_include, old_exclude = (options.get(name) for name in deprecated)
        if old_include is not None:
            if include is not None:
                raise FlagValueError(
                    f"--{flag_prefix}.{deprecated[0]} and --{flag_prefix}.device-include are mutually exclusive"
                )
            include = old_include
        if old_exclude is not None:
            if exclude is not None:
                raise FlagValueError(
                    f"--{flag_prefix}.{deprecated[1]} and --{flag_prefix}.device-exclude are mutually exclusive"
                )
            exclude = old_exclude
    if include is not None and exclude is not None:
        raise FlagValueError(f"--{flag_prefix}.device-exclude & device-include are mutually exclusive")
    assert include is None or isinstance(include, re.Pattern)
    assert exclude is None or isinstance(exclude, re.Pattern)
    return DeviceFilter(exclude, include)
