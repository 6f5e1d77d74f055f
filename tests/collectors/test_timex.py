import errno

import pytest

from pyexporter.collectors.timex import Timex, TimexCollector
from pyexporter.paths import Paths
from pyexporter.toolkit.collector import CollectorError
from tests.helpers import by_name, run_collector, sample


def test_timex_live_host() -> None:
    families = by_name(run_collector("timex", Paths()))
    assert len(families) == 18
    assert families["node_timex_pps_jitter_total"].type == "counter"
    assert families["node_timex_offset_overflow_total"].type == "counter"
    assert sample(list(families.values()), "node_timex_sync_status") in (0, 1)
    assert sample(list(families.values()), "node_timex_tick_seconds") > 0


def test_overflow_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyexporter.collectors import load_all

    coll = load_all()["timex"].build(Paths())
    reading = Timex(*([0] * 17))._replace(offset=5_000_000)  # 5 s in microseconds
    monkeypatch.setattr(TimexCollector, "read", lambda self: reading)
    list(coll.collect())
    assert sample(list(coll.collect()), "node_timex_offset_overflow_total") == 2
    assert sample(list(coll.collect()), "node_timex_offset_seconds") == 5


def test_syscall_failure_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: TimexCollector) -> Timex:
        raise OSError(errno.EPERM, "denied")

    monkeypatch.setattr(TimexCollector, "read", fail)
    with pytest.raises(CollectorError):
        run_collector("timex", Paths())


def test_not_permitted_is_no_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """timexCollector.Update: adjtimex refused (EPERM) is ErrNoData, "Not collecting timex metrics"."""
    from pyexporter.toolkit.collector import NoDataError

    def refused(self: TimexCollector) -> Timex:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(TimexCollector, "read", refused)
    with pytest.raises(NoDataError):
        run_collector("timex", Paths())


def test_other_syscall_failures_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: TimexCollector) -> Timex:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(TimexCollector, "read", broken)
    with pytest.raises(CollectorError) as failure:
        run_collector("timex", Paths())
    assert type(failure.value) is CollectorError
