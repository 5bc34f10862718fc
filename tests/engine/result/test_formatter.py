"""atoti's formatter strings against what atoti's (Java) server prints for them."""

from __future__ import annotations

import datetime as dt
import decimal
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atoti_lab._engine.result.formatter import (
    default_pattern,
    format_value,
    format_values,
    validate_pattern,
)


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        ("double", "DOUBLE[#,###.00]"),
        ("float", "DOUBLE[#,###.00]"),
        ("int", "INT[#,###]"),
        ("long", "INT[#,###]"),
        ("String", None),
        ("LocalDate", None),
        ("double[]", None),
    ],
)
def test_default_pattern(data_type: str, expected: str | None) -> None:
    assert default_pattern(data_type) == expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        # atoti's defaults
        ("INT[#,###]", 1110, "1,110"),
        ("INT[#,###]", 0, "0"),
        ("INT[#,###]", -1110, "-1,110"),
        ("INT[#,###]", 2**62, f"{2**62:,}"),  # longs stay exact
        ("DOUBLE[#,###.00]", 3510.0, "3,510.00"),
        ("DOUBLE[#,###.00]", -3510.0, "-3,510.00"),
        ("DOUBLE[#,###.00]", 110.0, "110.00"),
        ("DOUBLE[#,###.00]", 1110, "1,110.00"),  # an int under a DOUBLE pattern
        ("DOUBLE[#,###.00]", 1e15, "1,000,000,000,000,000.00"),
        # No '0' before the point: Java prints no integer digit for |x| < 1.
        ("DOUBLE[#,###.00]", 0.5, ".50"),
        ("DOUBLE[#,###.00]", 0.0, ".00"),
        ("DOUBLE[#,###.00]", -0.25, "-.25"),
        ("DOUBLE[#,###.0]", 1234.56, "1,234.6"),
        ("DOUBLE[0.00]", 0.5, "0.50"),
        ("DOUBLE[0.00]", 1234.5, "1234.50"),
        # '#' fraction digits: trailing zeros dropped; Java reads "#.###" as "#0.###".
        ("DOUBLE[#.###]", 1.5, "1.5"),
        ("DOUBLE[#.###]", 2.0, "2"),
        ("DOUBLE[#.###]", 0.25, "0.25"),
        ("DOUBLE[#.###]", 1234.5678, "1234.568"),
        ("DOUBLE[#.###]", 0.0, "0"),
        ("DOUBLE[#,###]", 0.0, "0"),
        ("DOUBLE[000.#]", 5.0, "005"),
        ("DOUBLE[#,#00.0]", 5.0, "05.0"),
        # atoti's Measure.formatter example
        ("DOUBLE[#,###]", 1119.96, "1,120"),
        ("DOUBLE[#,###]", 319.96, "320"),
        ("DOUBLE[$#,##0.00]", 79.99, "$79.99"),
        ("DOUBLE[$#,##0.00]", -5.0, "-$5.00"),
        ("INT[count: #,###]", 1, "count: 1"),
        ("DOUBLE[0.00%]", 0.12345, "12.35%"),
        ("DOUBLE[0.00%]", 0.0899, "8.99%"),
        ("DOUBLE[0.00%]", -0.5, "-50.00%"),
        ("INT[0%]", 3, "300%"),
        ("DOUBLE[0.0\u2030]", 0.0123, "12.3\u2030"),
        ("DOUBLE[#,##0.00 \u20ac]", 3510.5, "3,510.50 \u20ac"),
        ("DOUBLE[#,##0.00 \u20ac]", -3510.5, "-3,510.50 \u20ac"),
        ("DOUBLE[#,##0.00;(#,##0.00)]", -3510.0, "(3,510.00)"),
        ("DOUBLE[#,##0.00;(#,##0.00)]", 3510.0, "3,510.00"),
        ("DOUBLE[#,##0.00;-#,##0.00]", -1.0, "-1.00"),
        ("DOUBLE[#,##0.00 'pts']", 2.0, "2.00 pts"),
        ("DOUBLE[0 'o''clock']", 5.0, "5 o'clock"),
        ("DOUBLE['#'0]", 5.0, "#5"),
        ("DOUBLE[\u00a4#,##0.00]", 1.0, "$1.00"),
        # Java uses the last grouping interval only.
        ("INT[#,##,###]", 1234567, "1,234,567"),
        ("INT[#,####]", 123456789, "1,2345,6789"),
        ("INT[#]", 1234567, "1234567"),
        # scientific and engineering notation (java.text.DecimalFormat's examples)
        ("DOUBLE[0.###E0]", 1234.0, "1.234E3"),
        ("DOUBLE[0.###E0]", 0.0, "0E0"),
        ("DOUBLE[0.###E0]", -0.5, "-5E-1"),
        ("DOUBLE[00.###E0]", 0.00123, "12.3E-4"),
        ("DOUBLE[##0.#####E0]", 12345.0, "12.345E3"),
        ("DOUBLE[##0.#####E0]", 123456.0, "123.456E3"),
        ("DOUBLE[##0.#####E0]", 0.00123, "1.23E-3"),
        ("DOUBLE[0.00E00]", 12345.0, "1.23E04"),
    ],
)
def test_numbers(pattern: str, value: object, expected: str) -> None:
    assert format_values([value], pattern) == [expected]
    assert format_value(value, pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        # HALF_EVEN on the exact binary value, as java.text.DecimalFormat rounds.
        ("DOUBLE[0.00]", 0.125, "0.12"),  # exact tie: to even
        ("DOUBLE[0.00]", 0.375, "0.38"),  # exact tie: to even
        ("DOUBLE[0.00]", 2.675, "2.67"),  # 2.67499999... in binary
        ("DOUBLE[0.00]", 1.005, "1.00"),  # 1.00499999... in binary
        ("DOUBLE[#,###.0]", 1.25, "1.2"),
        ("DOUBLE[#,###.0]", 1.35, "1.4"),  # 1.35000000000000008... in binary
        ("DOUBLE[#,###]", 2.5, "2"),
        ("DOUBLE[#,###]", 3.5, "4"),
        ("DOUBLE[#,###]", 0.5, "0"),
        ("INT[#,###]", 1.5, "2"),
        # Java keeps the sign of a negative number that rounds to zero.
        ("DOUBLE[#,###]", -0.4, "-0"),
        ("DOUBLE[0.00]", -0.001, "-0.00"),
    ],
)
def test_rounding_is_java_half_even(pattern: str, value: float, expected: str) -> None:
    assert format_values([value], pattern) == [expected]
    assert format_values(np.array([value]), pattern) == [expected]


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
@settings(max_examples=300, deadline=None)
def test_fixed_point_matches_exact_half_even(value: float) -> None:
    exact = decimal.Decimal(value).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN)
    expected = format(abs(exact), ",.2f")
    negative = value < 0 or (value == 0 and np.signbit(value))
    assert format_values([value], "DOUBLE[#,##0.00]") == [("-" if negative else "") + expected]


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, pd.NaT, np.datetime64("NaT")])
@pytest.mark.parametrize("pattern", [None, "STRING", "DOUBLE[#,###.00]", "INT[#,###]", "DATE[yyyy-MM-dd]"])
def test_missing_values_are_blank(missing: object, pattern: str | None) -> None:
    assert format_values([missing, 1.0, missing], pattern)[0::2] == ["", ""]


def test_float_array_with_nan_takes_the_same_path_as_a_list() -> None:
    values = np.array([1.5, np.nan, -2.25, 0.0, np.inf, -np.inf])
    expected = ["1.50", "", "-2.25", ".00", "\u221e", "-\u221e"]
    assert format_values(values, "DOUBLE[#,###.00]") == expected
    assert format_values(values.tolist(), "DOUBLE[#,###.00]") == expected
    assert format_values(values.astype(object), "DOUBLE[#,###.00]") == expected
    assert format_values(pd.Series(values), "DOUBLE[#,###.00]") == expected


def test_int_arrays_and_nullable_ints() -> None:
    assert format_values(np.array([1110, -5, 0], dtype=np.int32), "INT[#,###]") == ["1,110", "-5", "0"]
    assert format_values(np.array([7], dtype=np.uint64), "INT[#,###]") == ["7"]
    nullable = pd.array([1234, None, -1], dtype="Int64")
    assert format_values(nullable, "INT[#,###]") == ["1,234", "", "-1"]
    assert format_values(pd.Series(nullable), "DOUBLE[#,###.00]") == ["1,234.00", "", "-1.00"]
    floats = pd.array([1.25, None, 2.5], dtype="Float64")
    assert format_values(floats, "DOUBLE[0.0]") == ["1.2", "", "2.5"]
    arrow = pd.Series([1234, None], dtype="int64[pyarrow]")
    assert format_values(arrow, "INT[#,###]") == ["1,234", ""]


def test_mixed_object_column() -> None:
    values = [1, 2.5, None, "text", np.float32(1.5), np.int64(3), decimal.Decimal("2.345"), True]
    assert format_values(values, "DOUBLE[#,###.00]") == [
        "1.00", "2.50", "", "text", "1.50", "3.00", "2.34", "true",
    ]  # fmt: skip


@pytest.mark.parametrize("pattern", [None, "STRING"])
def test_text_is_java_to_string(pattern: str | None) -> None:
    values = [1.0, 110.0, 1e10, 1e-5, 0.001, 1234567.5, -0.0, 123, "x", True, False, dt.date(2024, 1, 31)]
    assert format_values(values, pattern) == [
        "1.0", "110.0", "1.0E10", "1.0E-5", "0.001", "1234567.5", "-0.0", "123", "x", "true",
        "false", "2024-01-31",
    ]  # fmt: skip
    assert format_values(np.array([1.0, 1e21, np.inf]), pattern) == ["1.0", "1.0E21", "Infinity"]


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("DATE[yyyy-MM-dd]", dt.date(2024, 1, 31), "2024-01-31"),
        ("DATE[dd/MM/yyyy]", dt.date(2024, 1, 31), "31/01/2024"),
        ("DATE[MMMM yyyy]", dt.date(2024, 1, 31), "January 2024"),
        ("DATE[d MMM yy]", dt.date(2024, 3, 5), "5 Mar 24"),
        ("DATE[EEEE, MMMM d]", dt.date(2024, 3, 5), "Tuesday, March 5"),
        ("DATE[EEE QQQ QQQQ D]", dt.date(2024, 3, 5), "Tue Q1 1st quarter 65"),
        ("DATE[yyyy-MM-dd HH:mm:ss]", dt.datetime(2024, 3, 5, 14, 7, 9), "2024-03-05 14:07:09"),
        ("DATE[h:mm a]", dt.datetime(2024, 3, 5, 0, 7), "12:07 AM"),
        ("DATE[HH:mm:ss.SSS]", pd.Timestamp("2024-03-05 14:07:09.123456"), "14:07:09.123"),
        ("DATE[HH:mm]", dt.time(9, 30), "09:30"),
        ("DATE[yyyy-MM-dd'T'HH:mm]", dt.datetime(2024, 3, 5, 14, 7), "2024-03-05T14:07"),
        ("DATE['week of' d MMM]", dt.date(2024, 3, 5), "week of 5 Mar"),
        ("DATE[dd''MM]", dt.date(2024, 3, 5), "05'03"),
        ("DATE[yyyy[-MM]]", dt.date(2024, 3, 5), "2024-03"),
        ("DATE[yyyy-MM-dd XXX]", pd.Timestamp("2024-03-05", tz="Europe/Paris"), "2024-03-05 +01:00"),
        ("DATE[HH:mm X]", pd.Timestamp("2024-03-05 10:00", tz="UTC"), "10:00 Z"),
        ("DATE[HH:mm VV]", pd.Timestamp("2024-03-05 10:00", tz="Europe/Paris"), "10:00 Europe/Paris"),
        # A field the value lacks (a naive date-time has no offset): the value as is.
        ("DATE[HH:mm XXX]", dt.datetime(2024, 3, 5, 10, 0), "2024-03-05 10:00:00"),
        ("DATE[yyyy]", dt.time(9, 30), "09:30:00"),
        # Not a date at all: as is.
        ("DATE[yyyy]", 12.5, "12.5"),
        ("DATE[yyyy]", "text", "text"),
    ],
)
def test_dates(pattern: str, value: object, expected: str) -> None:
    assert format_values([value], pattern) == [expected]


def test_datetime64_arrays_format_each_distinct_value_once() -> None:
    values = np.array(["2024-01-31", "NaT", "2024-01-31", "2023-12-01"], dtype="datetime64[ns]")
    expected = ["31/01/2024", "", "31/01/2024", "01/12/2023"]
    assert format_values(values, "DATE[dd/MM/yyyy]") == expected
    assert format_values(pd.Series(values), "DATE[dd/MM/yyyy]") == expected
    assert format_values(values.astype("datetime64[us]").astype(object), "DATE[dd/MM/yyyy]") == expected
    assert format_values(pd.Series(values).astype(object), "DATE[dd/MM/yyyy]") == expected


def test_numbers_under_a_date_pattern_and_dates_under_a_number_pattern() -> None:
    assert format_values([dt.date(2024, 1, 31)], "DOUBLE[#,###.00]") == ["2024-01-31"]
    assert format_values(np.array([1.5]), "DATE[yyyy]") == ["1.5"]


@pytest.mark.parametrize("pattern", [None, "DOUBLE[#,###.00]", "INT[#,###]"])
def test_vectors_print_as_atoti_vectors(pattern: str | None) -> None:
    values = [
        np.array([1.0, 2.0, 3.0]),
        np.array([1, 2, 3], dtype=np.int32),
        np.array([1, 2, 3], dtype=np.int64),
        np.array([0.1, 0.2], dtype=np.float32),
        np.array([-0.46511920664962714] * 10),
        np.array([7.0]),
        np.array([], dtype=np.float64),
        np.array([1e10, 2.0]),
        [1.5, 2.5],
        np.arange(100_000, dtype=np.float64),
    ]
    assert format_values(values, pattern) == [
        "doubleVector[3]{1.0, ...}",
        "intVector[3]{1, ...}",
        "longVector[3]{1, ...}",
        "floatVector[2]{0.1, ...}",
        "doubleVector[10]{-0.46511920664962714, ...}",
        "doubleVector[1]{7.0}",
        "doubleVector[0]{}",
        "doubleVector[2]{1.0E10, ...}",
        "doubleVector[2]{1.5, ...}",
        "doubleVector[100000]{0.0, ...}",
    ]


def test_a_2d_array_is_one_vector_per_row() -> None:
    assert format_values(np.array([[1.0, 2.0], [3.0, 4.0]]), None) == [
        "doubleVector[2]{1.0, ...}",
        "doubleVector[2]{3.0, ...}",
    ]


def test_empty_input() -> None:
    assert format_values([], "DOUBLE[#,###.00]") == []
    assert format_values(np.array([], dtype=float), "DOUBLE[#,###.00]") == []


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("FOO[#]", "Unknown formatter 'FOO[#]'"),
        ("DOUBLE", "Unknown formatter 'DOUBLE'"),
        ("double[#,###]", "Unknown formatter"),
        ("DOUBLE[#,###", "Unknown formatter"),
        ("DOUBLE[abc]", "no digit placeholder"),
        ("DOUBLE[]", "no digit placeholder"),
        ("DOUBLE[0.0.0]", "more than one decimal point"),
        ("DOUBLE[#,##0.0#0]", "'0' after '#'"),
        ("DOUBLE[#,]", "malformed number"),
        ("DOUBLE[0#]", "malformed number"),
        ("DOUBLE['x0]", "not closed"),
        ("DOUBLE[0%%]", "more than one percent"),
        ("DOUBLE[0.0;(0.0);x]", "more than one ';'"),
        ("DOUBLE[0 #]", "unquoted '#' after the number"),
        ("DOUBLE[0.0E]", "'E' must be followed"),
        ("DOUBLE[#,##0E0]", "cannot group"),
        ("DATE[YYYY-ww]", "week-based year"),
        ("DATE[ddd]", "too many pattern letters: 'ddd'"),
        ("DATE[yyyy-MM-dd 'x]", "not closed"),
        ("DATE[{yyyy}]", "reserved"),
        ("DATE[]", "empty date pattern"),
        ("DATE[V]", "'VV'"),
    ],
)
def test_invalid_patterns(pattern: str, message: str) -> None:
    with pytest.raises(ValueError, match="formatter") as error:
        validate_pattern(pattern)
    assert repr(pattern) in str(error.value)
    assert message in str(error.value)
    with pytest.raises(ValueError):
        format_values([1.0], pattern)


def test_a_formatter_must_be_a_string() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        validate_pattern(12)  # type: ignore[arg-type]


@pytest.mark.parametrize("pattern", ["STRING", "INT[#,###]", "DOUBLE[#,###.00]", "DATE[yyyy-MM-dd]"])
def test_valid_patterns(pattern: str) -> None:
    validate_pattern(pattern)


def test_a_large_column_formats_quickly() -> None:
    values = np.random.default_rng(0).normal(0, 1e6, 100_000)
    values[::10] = np.nan
    start = time.perf_counter()
    texts = format_values(values, "DOUBLE[#,###.00]")
    elapsed = time.perf_counter() - start
    assert len(texts) == 100_000
    assert texts[1] == format_value(float(values[1]), "DOUBLE[#,###.00]")
    assert texts[10] == ""
    assert elapsed < 3.0, f"100k cells took {elapsed:.2f}s"
