from pyexporter.collectors.timex import STA_NANO, TIME_ERROR, Timex, convert_timex


def _timex(**kw: int) -> Timex:
    base = dict.fromkeys(Timex._fields, 0)
    base.update(kw)
    return Timex(**base)


def test_convert_micro() -> None:
    v = convert_timex(_timex(state=0, offset=677, freq=53272, maxerror=1007500, tick=10000, constant=7,
                             ppsfreq=65536, stabil=131072, jitter=5, tai=37, jitcnt=3))
    assert v.sync_status == 1
    assert v.offset_seconds == 677e-6
    assert v.frequency_adjustment_ratio == 1 + 53272 / (1e6 * 65536)
    assert v.maxerror_seconds == 1.0075
    assert v.tick_seconds == 0.01
    assert v.loop_time_constant == 7
    assert v.pps_frequency_hertz == 1e-6
    assert v.pps_stability_hertz == 2e-6
    assert v.pps_jitter_seconds == 5e-6
    assert v.tai_offset_seconds == 37 and v.pps_jitter_total == 3


def test_convert_nano_and_unsynced() -> None:
    v = convert_timex(_timex(state=TIME_ERROR, status=STA_NANO, offset=5000, jitter=7))
    assert v.sync_status == 0
    assert v.offset_seconds == 5e-6
    assert v.pps_jitter_seconds == 7e-9
    assert v.status == STA_NANO
