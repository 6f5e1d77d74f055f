import pytest

from pyexporter.toolkit.collector import CollectorError
from pyexporter.toolkit.nfs import V2_PROCEDURES, V3_PROCEDURES, expect_len, line_values, procedure_counts


def test_parse_uints() -> None:
    assert line_values("rc", ["0", "6", "18446744073709551615"]) == [0, 6, 2**64 - 1]
    assert line_values("rc", []) == []


@pytest.mark.parametrize("value", [
    # procfs's util.ParseUint64s: strconv.ParseUint(x, 10, 64).
    "-1", "+1", "1_0", "0x10", "1.5", "\u0661", "18446744073709551616", "",
])
def test_parse_uints_go_refuses(value: str) -> None:
    with pytest.raises(CollectorError, match="'rc'"):
        line_values("rc", ["1", value])


def test_expect_len() -> None:
    assert expect_len("io", [1, 2], 2) == [1, 2]
    with pytest.raises(CollectorError):
        expect_len("io", [1, 2, 3], 2)


def test_procedure_counts() -> None:
    values = [18, *range(18)]
    counts = procedure_counts("proc2", values, V2_PROCEDURES, 18)
    assert counts == dict(zip(V2_PROCEDURES, range(18), strict=True))
    # Counts past the known procedures (a newer kernel) are left out.
    counts = procedure_counts("proc3", [23, *range(23)], V3_PROCEDURES, 22)
    assert len(counts) == 22 and counts["Commit"] == 21


def test_procedure_counts_padded() -> None:
    counts = procedure_counts("proc4", [2, 5, 6], ("Null", "Read", "Write"), 0, pad=True)
    assert counts == {"Null": 5, "Read": 6, "Write": 0}


@pytest.mark.parametrize(("values", "minimum"), [
    ([], 0),  # no header
    ([3, 1, 2], 0),  # header says 3, two follow
    ([2, 1, 2], 3),  # fewer than the minimum
])
def test_procedure_counts_malformed(values: list[int], minimum: int) -> None:
    with pytest.raises(CollectorError):
        procedure_counts("procN", values, ("A", "B", "C"), minimum)
