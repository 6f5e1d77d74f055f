"""Go's strconv as node_exporter calls it, pinned on the inputs where Python's int() and float()
answer differently (expected values from Go's strconv documentation and sources)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from pyexporter.toolkit.numbers import (
    NumberError,
    go_trim_space,
    parse_float,
    parse_int,
    parse_ints,
    parse_uint,
    parse_uints,
    read_int_file,
    read_uint_file,
    scan_float,
)


@pytest.mark.parametrize(("text", "base", "expected"), [
    ("0", 10, 0), ("-0", 10, 0), ("+5", 10, 5), ("-42", 10, -42), ("007", 10, 7),
    ("9223372036854775807", 10, 2**63 - 1), ("-9223372036854775808", 10, -(2**63)),
    ("1_000", 0, 1000), ("0x1F", 0, 31), ("0X_1f", 0, 31), ("0o17", 0, 15), ("0b101", 0, 5), ("010", 0, 8),
    ("0", 0, 0), ("00", 0, 0), ("-0x10", 0, -16), ("0_7", 0, 7),
])
def test_parse_int_accepts_what_go_accepts(text: str, base: int, expected: int) -> None:
    assert parse_int(text, base) == expected


@pytest.mark.parametrize(("text", "base"), [
    ("", 10), (" 12 ", 10), ("12\n", 10), ("1_000", 10), ("0x1F", 10), ("1.0", 10), ("+-1", 10), ("--1", 10),
    ("١٢", 10), ("9223372036854775808", 10), ("-9223372036854775809", 10),
    ("08", 0), ("0x", 0), ("0b2", 0), ("_1", 0), ("1_", 0), ("1__0", 0), ("0x_", 0), (" 12 ", 0), ("2" * 30, 0),
])
def test_parse_int_refuses_what_go_refuses(text: str, base: int) -> None:
    with pytest.raises(NumberError, match=r"strconv\.ParseInt"):
        parse_int(text, base)


def test_parse_uint() -> None:
    assert parse_uint("18446744073709551615") == 2**64 - 1
    assert parse_uint(str(2**63)) == 2**63
    assert parse_uint("0x10", 0) == 16
    for text in ("+5", "-0", "18446744073709551616", " 1", ""):
        with pytest.raises(NumberError, match=r"strconv\.ParseUint"):
            parse_uint(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 1.0), ("-1.5", -1.5), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0), ("1E-2", 0.01), ("+7", 7.0),
    ("1_000.5", 1000.5), ("1e1_0", 1e10), ("0x1p3", 8.0), ("0x1.8P1", 3.0), ("-0x.8p1", -1.0),
    ("inf", math.inf), ("+Inf", math.inf), ("-INFINITY", -math.inf), ("1e-400", 0.0),
])
def test_parse_float_accepts_what_go_accepts(text: str, expected: float) -> None:
    assert parse_float(text) == expected


def test_parse_float_nan() -> None:
    assert math.isnan(parse_float("NaN"))
    assert math.isnan(parse_float("nan"))


@pytest.mark.parametrize("text", [
    "", " 1", "1 ", "1\n", ".", "-", "e5", "1e", "1e+", "1e_5", "_1", "1_", "1__0", "1_.5", "1._5", "0x1", "0x1.8",
    "0x_p1", "+nan", "-nan", "infin", "1e400", "-1e400", "0x1p2000", "١", "1,5", "0b1", "1e5.5",
])
def test_parse_float_refuses_what_go_refuses(text: str) -> None:
    with pytest.raises(NumberError, match=r"strconv\.ParseFloat"):
        parse_float(text)


def test_number_errors_are_collector_errors_and_value_errors() -> None:
    from pyexporter.toolkit.collector import CollectorError

    with pytest.raises(CollectorError):
        parse_int("x")
    with pytest.raises(ValueError, match="invalid syntax"):
        parse_int("x")


def test_trim_space_is_go_trim_space() -> None:
    assert go_trim_space(" \t5\n\u00a0") == "5"
    assert go_trim_space("\x1c5") == "\x1c5"  # not White_Space to Go, though str.strip() takes it


def test_read_files(tmp_path: Path) -> None:
    uint_file = tmp_path / "uint"
    uint_file.write_text(" 42\n")
    assert read_uint_file(str(uint_file)) == 42
    uint_file.write_text("-1\n")
    assert read_int_file(str(uint_file)) == -1
    with pytest.raises(NumberError):
        read_uint_file(str(uint_file))
    with pytest.raises(FileNotFoundError):
        read_uint_file(str(tmp_path / "missing"))


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 70000])
def test_read_value_text_reads_the_whole_file(tmp_path: Path, size: int) -> None:
    """One read of a page takes a value file whole; one that fills the page is read whole anew,
    as os.ReadFile reads it (so padding beyond a page still trims away)."""
    import os

    from pyexporter.toolkit.numbers import read_value_text

    text = " " * max(size - 2, 0) + "7\n"[: size]
    (tmp_path / "value").write_text(text)
    assert read_value_text(str(tmp_path / "value")) == text
    directory_fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert read_value_text("value", directory_fd) == text
    finally:
        os.close(directory_fd)
    if size >= 2:
        assert read_uint_file(str(tmp_path / "value")) == 7


def test_base_16_and_bit_sizes() -> None:
    assert parse_uint("ff", 16) == 255
    assert parse_uint("FFFFFFFFFFFFFFFF", 16) == 2**64 - 1
    assert parse_uint("65535", bits=16) == 65535
    assert parse_int("-2147483648", bits=32) == -(2**31)
    for text, base, bits in (("0xff", 16, 64), ("", 16, 64), ("g", 16, 64), ("10000", 16, 16), ("65536", 10, 16)):
        with pytest.raises(NumberError):
            parse_uint(text, base, bits)
    with pytest.raises(NumberError, match="out of range"):
        parse_int("2147483648", bits=32)


def test_chosen_floats_are_parsed_after_every_text_is_checked() -> None:
    from pyexporter.toolkit.numbers import parse_chosen_floats, parse_floats

    texts = ["1", "22", "333", "0", "9" * 19, "18446744073709551615", "-1", "1e3", "007"]
    for chosen in ([], [0], [2, 1], list(range(len(texts)))):
        everything = parse_floats(texts)
        assert parse_chosen_floats(texts, chosen) == [everything[i] for i in chosen]
        plain = texts[:5]  # the one-check path: fields of 1 to 19 plain digits
        assert parse_chosen_floats(plain, [i for i in chosen if i < 5]) == [float(plain[i]) for i in chosen if i < 5]
    assert parse_chosen_floats([], []) == []
    # A bad text fails the batch even where it is not chosen, as node_exporter parses every value.
    for bad in (["1", ""], ["1", "9" * 400], ["1", "١"], ["1", " 2"], ["1", "2 3"], ["1", "x"]):
        with pytest.raises(NumberError):
            parse_chosen_floats(bad, [0])


def test_batches_answer_as_one_at_a_time() -> None:
    from pyexporter.toolkit.numbers import parse_floats, parse_uints

    assert parse_floats(["1", "22", "333"]) == [1.0, 22.0, 333.0]
    assert parse_floats(["1", "-2.5", "inf"]) == [1.0, -2.5, math.inf]
    assert parse_uints(["1", "18446744073709551615"]) == [1, 2**64 - 1]
    assert parse_uints([]) == [] and parse_floats([]) == []
    for bad in (["1", ""], ["1", "9" * 400], ["1", "١"], ["1", " 2"]):
        with pytest.raises(NumberError):
            parse_floats(bad)
    for bad_uints in (["1", ""], ["1", "18446744073709551616"], ["-1"], ["1", "٢"]):
        with pytest.raises(NumberError):
            parse_uints(bad_uints)
    with pytest.raises(NumberError):
        parse_uints(["65536"], bits=16)


def test_check_uints_refuses_what_parse_uint_refuses() -> None:
    from pyexporter.toolkit.numbers import check_uints

    check_uints(["0", "1", "18446744073709551615"])
    check_uints(["1234567890123456789", "0000000000000000000000007"])
    check_uints([])
    for bad in (["1", ""], ["", "1"], [""], ["18446744073709551616"], ["99999999999999999999"], ["1", "-1"],
                ["٣"], ["0x1"], ["1 2"], ["1", " 2"], ["1\n2"]):
        with pytest.raises(NumberError):
            check_uints(bad)


@pytest.mark.parametrize("text", [
    "0", "-0", "+0", "7", "-1", "+15", "0x0", "0x1003", "0XfF", "-0x10", "+0x10", "0x", "-", "+", "",
    "010", "-010", "0x_1", "0x1_0", "1_0", "0xg", "0x1003\n", " 0x1", "0b1", "0o7", "00", "-00",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "0x7fffffffffffffff", "0x8000000000000000", "-0x8000000000000000", "0x" + "f" * 30, "0x١", "١",
])
def test_parse_int_base_0_fast_path_answers_as_the_careful_parser(text: str) -> None:
    """Signed decimals and plain hexadecimal take a fast path through int(); every answer, value
    or error, is the one the careful parser (Go's rules, spelled out) gives."""
    from pyexporter.toolkit.numbers import _unsigned

    def careful() -> int:
        body = text[1:] if text[:1] in ("+", "-") else text
        value = _unsigned("ParseInt", text, body, 0)
        value = -value if text[:1] == "-" else value
        if value >> 63 not in (0, -1):
            raise NumberError(f"strconv.ParseInt: parsing {text!r}: value out of range")
        return value

    try:
        expected: int | str = careful()
    except NumberError as err:
        expected = str(err)
    try:
        got: int | str = parse_int(text, 0)
    except NumberError as err:
        got = str(err)
    assert got == expected


_HOSTILE_UINTS = ["0", "007", "18446744073709551615", "18446744073709551616", "99999999999999999999999",
                  "", "+1", "-1", "-0", "1_0", "_1", " 1", "1 ", "١", "٣", "１", "²", "0x10", "1e3", "1.0",
                  "0" * 5000 + "1", "9" * 5000, "0" * 5000, "1" + "0" * 5000]


@pytest.mark.parametrize("text", _HOSTILE_UINTS)
def test_parse_uints_answers_as_parse_uint(text: str) -> None:
    """The batch (whose fast path takes plain ASCII digits through int()) gives what parse_uint
    gives field by field, error message included, wherever the field sits in the batch."""
    for bits in (64, 32):
        try:
            expected: object = parse_uint(text, bits=bits)
        except NumberError as err:
            expected = str(err)
        for batch in ([text], ["1", text], [text, "2"]):
            try:
                got: object = parse_uints(batch, bits=bits)[batch.index(text)]
            except NumberError as err:
                got = str(err)
            assert got == expected


_HOSTILE_HEX = ["0", "ff", "FF", "0000ffff", "ffffffffffffffff", "10000000000000000", "0" * 5000 + "f",
                "f" * 5000, "", "+1", "-1", "0x10", "0X10", "1_0", " 1", "1 ", "g", "١", "ｆ", "1.0"]


@pytest.mark.parametrize("text", _HOSTILE_HEX)
def test_hex_parse_uints_answers_as_parse_uint(text: str) -> None:
    """The base-16 batch (whose fast path takes bare hex digits through int(text, 16), which
    would also take a 0x prefix, a sign, `_` and blanks) gives what parse_uint(text, 16) gives."""
    for bits in (64, 32):
        try:
            expected: object = parse_uint(text, 16, bits)
        except NumberError as err:
            expected = str(err)
        for batch in ([text], ["1", text], [text, "2"]):
            try:
                got: object = parse_uints(batch, bits, base=16)[batch.index(text)]
            except NumberError as err:
                got = str(err)
            assert got == expected
    assert parse_uints([], base=16) == []
    with pytest.raises(ValueError, match="base 8"):
        parse_uints(["1"], base=8)


_HOSTILE_INTS = [*_HOSTILE_UINTS, "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                 "00", "08", "010", "0b1", "0o7", "0x1f", "-5", "+5", "10"]


@pytest.mark.parametrize("text", _HOSTILE_INTS)
def test_parse_ints_answers_as_parse_int(text: str) -> None:
    """The batch (whose fast path takes plain ASCII digits, without leading zeros in base 0,
    through int()) gives what parse_int gives, wherever the field sits in the batch."""
    for base in (10, 0):
        for bits in (64, 32):
            try:
                expected: object = parse_int(text, base, bits)
            except NumberError as err:
                expected = str(err)
            for batch in ([text], ["1", text], [text, "20"], ["0", text], [text, "0"]):
                try:
                    got: object = parse_ints(batch, base, bits)[batch.index(text)]
                except NumberError as err:
                    got = str(err)
                assert got == expected


@pytest.mark.parametrize(("text", "value"), [("0" * 5000 + "1", 1), ("0" * 5000, 0), ("-" + "0" * 5000 + "5", -5)])
def test_more_digits_than_int_reads(text: str, value: int) -> None:
    """int() refuses more than 4300 digits (a ValueError that is no NumberError); Go reads them."""
    assert (parse_int(text) if text[0] == "-" else parse_uint(text)) == value
    for parse in (parse_uint, parse_int, lambda t: parse_int("-" + t), lambda t: parse_int(t, 0)):
        with pytest.raises(NumberError, match="out of range"):
            parse("9" * 5000)


@pytest.mark.parametrize("raw", [
    b"0\n", b"7", b"800000\n", b"00012\n", b"9999999999999999999\n", b"18446744073709551615\n",
    b"18446744073709551616\n", b" 3\n", b"3\n\n", b"3 \n", b"", b"\n", b"-1\n", b"+5\n", b"1_0\n", b"0x10\n",
    b"\xd9\xa3\n", b"\xff\n", b"<unsupported>\n",
])
def test_uint_attribute_reads_as_read_uint_from_file(raw: bytes) -> None:
    from pyexporter.toolkit.files import decode
    from pyexporter.toolkit.numbers import go_trim_space, parse_uint, parse_uint_attribute

    try:
        expected = parse_uint(go_trim_space(decode(raw)))
    except NumberError as err:
        with pytest.raises(NumberError, match=re.escape(str(err))):
            parse_uint_attribute(raw)
        return
    assert parse_uint_attribute(raw) == expected


# uint64(f) as go1.19 compiled it for amd64, printed by a Go program on these very floats.
@pytest.mark.parametrize(("value", "expected"), [
    (0.0, 0), (-0.0, 0), (1.5, 1), (546.0, 546), (1.8446744073709549568e19, 18446744073709549568),
    (2.0**63, 2**63), (2.0**63 + 2048, 2**63 + 2048),
    # Negative values go through int64 and wrap around.
    (-1.0, 2**64 - 1), (-1.5, 2**64 - 1), (-125000000.0, 18446744073584551616),
    # What fits neither int64 nor uint64 gives CVTTSD2SQ's "integer indefinite", top bit set.
    (2.0**64, 2**63), (1e23, 2**63), (-1e19, 2**63), (-(2.0**63), 2**63),
    (math.inf, 2**63), (-math.inf, 2**63), (math.nan, 2**63),
])
def test_go_uint64_is_amd64_float_conversion(value: float, expected: int) -> None:
    from pyexporter.toolkit.numbers import go_uint64

    assert go_uint64(value) == expected


@pytest.mark.parametrize(("text", "value"), [
    ("36\x00", 36.0), ("1.5e3x", 1500.0), ("infinity", float("inf")), ("0x1p4zz", 16.0), ("012", 12.0), ("+7", 7.0),
])
def test_scan_float_takes_what_fmt_takes(text: str, value: float) -> None:
    assert scan_float(text) == value


@pytest.mark.parametrize("text", ["abc", "", "x1", "0x10"])
def test_scan_float_refuses_what_parse_float_refuses(text: str) -> None:
    with pytest.raises(NumberError):
        scan_float(text)
