"""edac: memory error counters from /sys/devices/system/edac/mc, as node_exporter's edac collector
(collector/edac_linux.go, which reads every counter with readUintFromFile: a controller's or
csrow's counter that fails fails the collector, a channel's ch*_ue_count is skipped)."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import list_dir, read_text
from pyexporter.toolkit.numbers import NumberError, go_trim_space, read_uint_file

_CONTROLLER = re.compile(r"mc([0-9]*)")
_CSROW = re.compile(r"csrow([0-9]*)")
_CHANNEL = re.compile(r"ch([0-9]+)_ce_count")


def format_dimm_label(text: str) -> str:
    """node_exporter's rewrite of a chN_dimm_label: drop '#', set off csrow/channel with '_'."""
    label = go_trim_space(text).replace("#", "")
    return label.replace("csrow", "_csrow").replace("channel", "_channel")


def _captured(pattern: re.Pattern[str], name: str) -> str:
    """The number PATTERN captures in NAME; node_exporter fails the scrape when it does not match
    (the glob that found NAME makes that impossible)."""
    match = pattern.match(name)
    if match is None:
        raise CollectorError(f"{name!r} didn't match regexp {pattern.pattern}")
    return match.group(1)


def _glob(directory: str, pattern: str) -> list[str]:
    return [name for name in list_dir(directory) if fnmatch.fnmatchcase(name, pattern)]


class _ErrorCounters:
    """The six counter families of one scrape, one per kind of count."""

    def __init__(self) -> None:
        self.ce = CounterMetricFamily(
            "node_edac_correctable_errors_total", "Total correctable memory errors.", labels=["controller"]
        )
        self.ue = CounterMetricFamily(
            "node_edac_uncorrectable_errors_total", "Total uncorrectable memory errors.", labels=["controller"]
        )
        self.csrow_ce = CounterMetricFamily(
            "node_edac_csrow_correctable_errors_total",
            "Total correctable memory errors for this csrow.",
            labels=["controller", "csrow"],
        )
        self.csrow_ue = CounterMetricFamily(
            "node_edac_csrow_uncorrectable_errors_total",
            "Total uncorrectable memory errors for this csrow.",
            labels=["controller", "csrow"],
        )
        channel_labels = ["controller", "csrow", "channel", "dimm_label"]
        self.channel_ce = CounterMetricFamily(
            "node_edac_channel_correctable_errors_total",
            "Total correctable memory errors for this channel.",
            labels=channel_labels,
        )
        self.channel_ue = CounterMetricFamily(
            "node_edac_channel_uncorrectable_errors_total",
            "Total uncorrectable memory errors for this channel.",
            labels=channel_labels,
        )

    def all(self) -> list[CounterMetricFamily]:
        return [self.ce, self.ue, self.csrow_ce, self.csrow_ue, self.channel_ce, self.channel_ue]


@collector("edac")
class EdacCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        mc_dir = self.paths.sys("devices", "system", "edac", "mc")
        families = _ErrorCounters()
        for controller_name in _glob(mc_dir, "mc[0-9]*"):
            controller = os.path.join(mc_dir, controller_name)
            number = _captured(_CONTROLLER, controller_name)
            families.ce.add_metric([number], self._count(controller, "ce_count"))
            # Errors the controller could not place in a csrow.
            families.csrow_ce.add_metric([number, "unknown"], self._count(controller, "ce_noinfo_count"))
            families.ue.add_metric([number], self._count(controller, "ue_count"))
            families.csrow_ue.add_metric([number, "unknown"], self._count(controller, "ue_noinfo_count"))
            for csrow_name in _glob(controller, "csrow[0-9]*"):
                self._csrow(families, number, os.path.join(controller, csrow_name), csrow_name)
        for family in families.all():
            if family.samples:
                yield family

    def _csrow(self, families: _ErrorCounters, controller: str, csrow: str, csrow_name: str) -> None:
        number = _captured(_CSROW, csrow_name)
        families.csrow_ce.add_metric([controller, number], self._count(csrow, "ce_count"))
        families.csrow_ue.add_metric([controller, number], self._count(csrow, "ue_count"))
        for channel_file in _glob(csrow, "ch*_ce_count"):
            match = _CHANNEL.search(channel_file)
            if match is None:
                continue
            channel = match.group(1)
            try:
                label = format_dimm_label(read_text(os.path.join(csrow, f"ch{channel}_dimm_label")))
            except OSError:
                label = "unknown"
            labels = [controller, number, channel, label]
            # Not every driver has both per-channel counters; a missing one is left out.
            ce = self._optional_count(csrow, f"ch{channel}_ce_count")
            if ce is not None:
                families.channel_ce.add_metric(labels, ce)
            # A channel's ue_count that cannot be read or parsed is logged and skipped
            # upstream, unlike every other counter.
            try:
                families.channel_ue.add_metric(labels, read_uint_file(os.path.join(csrow, f"ch{channel}_ue_count")))
            except (OSError, NumberError) as err:
                self.log.debug("couldn't get ue_count for channel",
                               extra={"kv": {"controller": controller, "csrow": number, "channel": channel,
                                             "err": str(err)}})

    @staticmethod
    def _count(directory: str, name: str) -> int:
        path = os.path.join(directory, name)
        try:
            return read_uint_file(path)
        except NumberError as err:
            # node_exporter names the file too: "couldn't get ce_count for controller 0: ...".
            raise CollectorError(f"couldn't get {path}: {err}") from err

    @classmethod
    def _optional_count(cls, directory: str, name: str) -> int | None:
        try:
            return cls._count(directory, name)
        except FileNotFoundError:
            return None
