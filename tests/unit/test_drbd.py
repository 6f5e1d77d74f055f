from pyexporter.collectors.drbd import DrbdValue, parse_drbd


def test_parse_drbd_devices_and_pairs() -> None:
    text = "version: 8.4.3 (api:1/proto:86-101)\n 1: cs:Connected ro:Primary/Secondary\n 10: ns:5 wo:d\n"
    assert parse_drbd(text) == [
        DrbdValue("unknown", "version", ""),
        DrbdValue("drbd1", "cs", "Connected"),
        DrbdValue("drbd1", "ro", "Primary/Secondary"),
        DrbdValue("drbd10", "ns", "5"),
        DrbdValue("drbd10", "wo", "d"),
    ]


def test_parse_drbd_before_any_device_is_unknown() -> None:
    assert parse_drbd("ns:1") == [DrbdValue("unknown", "ns", "1")]


def test_parse_drbd_empty_and_garbage() -> None:
    assert parse_drbd("") == []
    assert parse_drbd("a:b:c r----- (api:1/proto:86-101)") == []
    assert parse_drbd("x:") == [DrbdValue("unknown", "x", "")]
