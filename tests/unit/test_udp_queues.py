import pytest

from pyexporter.collectors.udp_queues import QueueSummary, parse_udp_summary
from pyexporter.toolkit.collector import CollectorError

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
LINE = "   {sl}: 00000000:0016 00000000:0000 0A {q} 00:00000000 00000000     0        0 2740 1\n"


def test_parse_udp_summary() -> None:
    text = HEADER + LINE.format(sl=0, q="00000015:00000000") + LINE.format(sl=1, q="00000001:00000100")
    assert parse_udp_summary(text) == QueueSummary(0x16, 0x100, 2)
    assert parse_udp_summary(HEADER) == QueueSummary(0, 0, 0)
    assert parse_udp_summary("") == QueueSummary(0, 0, 0)


@pytest.mark.parametrize(
    "line",
    [
        "   0: 00000000:0016 00000000:0000 0A\n",
        LINE.format(sl=0, q="0000001500000000"),
        LINE.format(sl=0, q="zz:00"),
        LINE.format(sl="x", q="00:00"),
    ],
)
def test_parse_udp_summary_malformed(line: str) -> None:
    with pytest.raises(CollectorError):
        parse_udp_summary(HEADER + line)
