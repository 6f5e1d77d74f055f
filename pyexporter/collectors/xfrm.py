"""xfrm: IPsec transformation error counters from /proc/net/xfrm_stat, as node_exporter's xfrm collector
(collector/xfrm.go: Update) over procfs's net_xfrm.go (NewXfrmStat).

A missing xfrm_stat (a kernel without CONFIG_XFRM_STATISTICS) reports nothing; node_exporter
returns the open error there, which also reports nothing but marks the collector failed."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import Metric

from pyexporter.collectors import collector
from pyexporter.flags import NoOptions
from pyexporter.toolkit.collector import Collector, CollectorError
from pyexporter.toolkit.families import CounterMetricFamily
from pyexporter.toolkit.files import read_text
from pyexporter.toolkit.numbers import NumberError, parse_int

# (kernel counter, metric name without node_xfrm_ and _total, HELP), in node_exporter's order.
XFRM_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("XfrmInError", "in_error_packets", "All errors not matched by other"),
    ("XfrmInBufferError", "in_buffer_error_packets", "No buffer is left"),
    ("XfrmInHdrError", "in_hdr_error_packets", "Header error"),
    ("XfrmInNoStates", "in_no_states_packets",
     "No state is found i.e. Either inbound SPI, address, or IPsec protocol at SA is wrong"),
    ("XfrmInStateProtoError", "in_state_proto_error_packets",
     "Transformation protocol specific error e.g. SA key is wrong"),
    ("XfrmInStateModeError", "in_state_mode_error_packets", "Transformation mode specific error"),
    ("XfrmInStateSeqError", "in_state_seq_error_packets",
     "Sequence error i.e. Sequence number is out of window"),
    ("XfrmInStateExpired", "in_state_expired_packets", "State is expired"),
    ("XfrmInStateMismatch", "in_state_mismatch_packets",
     "State has mismatch option e.g. UDP encapsulation type is mismatch"),
    ("XfrmInStateInvalid", "in_state_invalid_packets", "State is invalid"),
    ("XfrmInTmplMismatch", "in_tmpl_mismatch_packets",
     "No matching template for states e.g. Inbound SAs are correct but SP rule is wrong"),
    ("XfrmInNoPols", "in_no_pols_packets",
     "No policy is found for states e.g. Inbound SAs are correct but no SP is found"),
    ("XfrmInPolBlock", "in_pol_block_packets", "Policy discards"),
    ("XfrmInPolError", "in_pol_error_packets", "Policy error"),
    ("XfrmOutError", "out_error_packets", "All errors which is not matched others"),
    ("XfrmOutBundleGenError", "out_bundle_gen_error_packets", "Bundle generation error"),
    ("XfrmOutBundleCheckError", "out_bundle_check_error_packets", "Bundle check error"),
    ("XfrmOutNoStates", "out_no_states_packets", "No state is found"),
    ("XfrmOutStateProtoError", "out_state_proto_error_packets", "Transformation protocol specific error"),
    ("XfrmOutStateModeError", "out_state_mode_error_packets", "Transformation mode specific error"),
    ("XfrmOutStateSeqError", "out_state_seq_error_packets", "Sequence error i.e. Sequence number overflow"),
    ("XfrmOutStateExpired", "out_state_expired_packets", "State is expired"),
    ("XfrmOutPolBlock", "out_pol_block_packets", "Policy discards"),
    ("XfrmOutPolDead", "out_pol_dead_packets", "Policy is dead"),
    ("XfrmOutPolError", "out_pol_error_packets", "Policy error"),
    ("XfrmFwdHdrError", "fwd_hdr_error_packets", "Forward routing of a packet is not allowed"),
    ("XfrmOutStateInvalid", "out_state_invalid_packets", "State is invalid, perhaps expired"),
    ("XfrmAcquireError", "acquire_error_packets", "State hasn\u2019t been fully acquired before use"),
)


def parse_xfrm_stat(text: str) -> dict[str, int]:
    """`Name value` lines of /proc/net/xfrm_stat, as {name: value}, each value through strconv.Atoi."""
    stats: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise CollectorError(f"unexpected /proc/net/xfrm_stat line: {line[:80]!r}")
        try:
            stats[fields[0]] = parse_int(fields[1])
        except NumberError as err:
            raise CollectorError(f"unexpected /proc/net/xfrm_stat line: {line[:80]!r}: {err}") from None
    return stats


@collector("xfrm", default=False)
class XfrmCollector(Collector[NoOptions]):
    def collect(self) -> Iterable[Metric]:
        text = read_text(self.paths.proc("net", "xfrm_stat"))  # missing: the collector fails, as in Go
        # An empty file gives every counter 0, as procfs's NewXfrmStat returns its zero struct.
        stats = parse_xfrm_stat(text)
        for key, name, help_text in XFRM_COUNTERS:
            # Counters an older kernel lacks read as 0, as node_exporter's zero-valued struct does.
            yield CounterMetricFamily(f"node_xfrm_{name}_total", help_text, value=stats.get(key, 0))
