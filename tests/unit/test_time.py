from pyexporter.collectors.time import ClockSource, parse_clocksource, zone_now


def test_parse_clocksource() -> None:
    assert parse_clocksource("tsc hpet acpi_pm \n", "tsc\n") == ClockSource(("tsc", "hpet", "acpi_pm"), "tsc")


def test_parse_clocksource_empty() -> None:
    assert parse_clocksource("", "") == ClockSource((), "")


def test_zone_now() -> None:
    name, offset = zone_now(0.0)
    assert isinstance(name, str) and isinstance(offset, int)
