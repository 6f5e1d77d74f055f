"""The one include/exclude filter (node_exporter's device_filter.go) and its flag rules."""

from __future__ import annotations

import re

import pytest

from pyexporter.flags import FlagValueError
from pyexporter.toolkit.filters import DeviceFilter, exclusive_filter


def test_device_filter_is_device_filter_go() -> None:
    assert DeviceFilter(None, re.compile("^lo$")).ignored("eth0")
    assert not DeviceFilter(None, re.compile("lo")).ignored("lo")
    assert DeviceFilter(re.compile("eth"), None).ignored("veth1")  # unanchored search
    assert not DeviceFilter(None, None).ignored("x")


def test_include_still_applies_when_an_exclude_is_set() -> None:
    # hwmon's old filter dropped the include as soon as an exclude was given.
    both = DeviceFilter(re.compile("nvme"), re.compile("^platform"))
    assert both.ignored("acpi_thermal")
    assert both.ignored("platform_nvme0")
    assert not both.ignored("platform_coretemp_0")


def test_exclusive_filter_refuses_both_flags() -> None:
    with pytest.raises(FlagValueError, match=r"--collector\.arp\.device-exclude and --collector\.arp\.device-include"):
        exclusive_filter("collector.arp", re.compile("b"), re.compile("a"))
    assert exclusive_filter("collector.arp", None, re.compile("^a")).ignored("b")


def test_include_alone_replaces_the_default_exclude() -> None:
    default = "^(ram|loop)\\d+$"
    only_loop = exclusive_filter("collector.diskstats", re.compile(default), re.compile("^loop"),
                                 default_exclude=default)
    assert not only_loop.ignored("loop0")
    assert only_loop.ignored("sda")
    with pytest.raises(FlagValueError, match=r"mount-points-exclude and --collector\.filesystem\.mount-points-include"):
        exclusive_filter("collector.filesystem", re.compile("^/x"), re.compile("^/y"), default_exclude=default,
                         names=("mount-points-exclude", "mount-points-include"))


def test_deprecated_flags_stand_in_for_the_current_ones() -> None:
    new, old = re.compile("^new"), re.compile("^old")

    def netdev(include: re.Pattern[str] | None, whitelist: re.Pattern[str] | None) -> DeviceFilter:
        return exclusive_filter("collector.netdev", None, include,
                                old=((None, "collector.netdev.device-blacklist"),
                                     (whitelist, "collector.netdev.device-whitelist")))

    assert netdev(new, None).ignored("old0") and not netdev(new, None).ignored("new0")
    assert netdev(None, old).ignored("new0") and not netdev(None, old).ignored("old0")
    assert not netdev(None, None).ignored("any")
    with pytest.raises(FlagValueError, match=r"device-whitelist and --collector\.netdev\.device-include"):
        netdev(new, old)
