"""node_exporter's include/exclude filter (collector/device_filter.go), the one every collector
that filters names uses, and the flag rules around it."""

from __future__ import annotations

import re

from pyexporter.flags import FlagValueError

# A deprecated flag: its value and its full name.
_OldFlag = tuple[re.Pattern[str] | None, str]


class DeviceFilter:
    """device_filter.go: a name is ignored when the exclude pattern matches it or the include
    pattern does not; unanchored regex search, either, both or none."""

    def __init__(self, exclude: re.Pattern[str] | None, include: re.Pattern[str] | None) -> None:
        self.exclude = exclude
        self.include = include

    def ignored(self, name: str) -> bool:
        if self.exclude is not None and self.exclude.search(name):
            return True
        return self.include is not None and not self.include.search(name)


def exclusive_filter(
    flag_prefix: str,
    exclude: re.Pattern[str] | None,
    include: re.Pattern[str] | None,
    *,
    default_exclude: str | None = None,
    names: tuple[str, str] = ("device-exclude", "device-include"),
    old: tuple[_OldFlag, _OldFlag] | None = None,
) -> DeviceFilter:
    """The filter of a pair of flags node_exporter refuses together: FlagValueError when both
    are given. Where the exclude flag has a default (DEFAULT_EXCLUDE), an include given alone
    replaces it rather than clashing with it. NAMES are the (exclude, include) flags' names
    under `--FLAG_PREFIX.`; OLD, the (exclude, include) pair's deprecated flags as (value, full
    flag name), which stand in for the current ones and may not be given with them."""
    if old is not None:
        exclude = _deprecated_alias(exclude, old[0][0], f"{flag_prefix}.{names[0]}", old[0][1])
        include = _deprecated_alias(include, old[1][0], f"{flag_prefix}.{names[1]}", old[1][1])
    if include is not None and exclude is not None and exclude.pattern == default_exclude:
        exclude = None
    if include is not None and exclude is not None:
        raise FlagValueError(
            f"--{flag_prefix}.{names[0]} and --{flag_prefix}.{names[1]} are mutually exclusive"
        )
    return DeviceFilter(exclude, include)


def _deprecated_alias(
    current: re.Pattern[str] | None, old: re.Pattern[str] | None, current_flag: str, old_flag: str
) -> re.Pattern[str] | None:
    """The value of a flag that has a deprecated name: the old name's when only it is given;
    FlagValueError when both are."""
    if old is None:
        return current
    if current is not None:
        raise FlagValueError(f"--{old_flag} and --{current_flag} are mutually exclusive")
    return old
