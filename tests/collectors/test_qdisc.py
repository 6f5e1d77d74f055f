import os

import pytest

from pyexporter.flags import FlagValueError
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import FIXTURES, run_collector, sample, samples

FIX = {"fixtures": os.path.join(FIXTURES, "qdisc")}


def test_qdisc_from_fixture() -> None:
    families = run_collector("qdisc", Paths(), FIX)
    eth0 = {"device": "eth0", "kind": "fq_codel"}
    assert sample(families, "node_qdisc_bytes_total", **eth0) == 1000
    assert sample(families, "node_qdisc_packets_total", **eth0) == 10
    assert sample(families, "node_qdisc_drops_total", **eth0) == 1
    assert sample(families, "node_qdisc_requeues_total", **eth0) == 2
    assert sample(families, "node_qdisc_overlimits_total", **eth0) == 3
    assert sample(families, "node_qdisc_current_queue_length", **eth0) == 4
    assert sample(families, "node_qdisc_backlog", **eth0) == 500
    assert sample(families, "node_qdisc_bytes_total", device="docker0", kind="noqueue") == 0
    assert len(samples(families)) == 14  # the child qdisc (parent != root) is left out


def test_qdisc_device_filters() -> None:
    families = run_collector("qdisc", Paths(), {**FIX, "device-exclude": "^docker"})
    assert {dict(k[1])["device"] for k in samples(families)} == {"eth0"}
    families = run_collector("qdisc", Paths(), {**FIX, "old-device-include": "^docker"})
    assert {dict(k[1])["device"] for k in samples(families)} == {"docker0"}
    with pytest.raises(FlagValueError):
        run_collector("qdisc", Paths(), {**FIX, "device-include": "a", "device-exclude": "b"})


def test_qdisc_fixture_absent(tmp_path) -> None:
    with pytest.raises(OSError):
        run_collector("qdisc", Paths(), {"fixtures": str(tmp_path)})


def test_qdisc_fixture_malformed(tmp_path) -> None:
    (tmp_path / "results.json").write_text("not json")
    with pytest.raises(CollectorError):
        run_collector("qdisc", Paths(), {"fixtures": str(tmp_path)})
