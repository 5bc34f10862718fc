"""QueryResult: raw values as data, formatted values when printed, plain once modified."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest

from atoti_lab._engine.result.frame import QueryResult, format_frame

FORMATTERS = {"Price.SUM": "DOUBLE[#,###.00]", "Total(Price)": "DOUBLE[#,###.00]", "Count": "INT[#,###]"}


def index() -> pd.MultiIndex:
    return pd.MultiIndex.from_tuples(
        [
            ("Total", "", ""),
            ("2018", "", ""),
            ("2018", "6", ""),
            ("2018", "6", "1"),
            ("2019", "", ""),
        ],
        names=["Year", "Month", "Day"],
    )


def raw() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Price.SUM": [3510.0, 35.0, 20.0, np.nan, -0.5],
            "Total(Price)": [3510.0, 3510.0, 3510.0, 3510.0, 3510.0],
            "Count": [1110, 2, 1, 1, 0],
        },
        index=index(),
    )


EXPECTED_TEXT = {
    "Price.SUM": ["3,510.00", "35.00", "20.00", "", "-.50"],
    "Total(Price)": ["3,510.00"] * 5,
    "Count": ["1,110", "2", "1", "1", "0"],
}


@pytest.fixture
def result() -> QueryResult:
    return QueryResult.from_frame(raw(), FORMATTERS, context={"queriesResultLimit.intermediateLimit": 10})


def expected_pretty() -> pd.DataFrame:
    return pd.DataFrame(EXPECTED_TEXT, index=index())


def test_holds_the_raw_values(result: QueryResult) -> None:
    pd.testing.assert_frame_equal(result, raw(), check_frame_type=False)
    assert result["Price.SUM"].dtype == np.float64
    assert result["Price.SUM"].sum() == 3510.0 + 35.0 + 20.0 - 0.5
    assert isinstance(result, pd.DataFrame)


def test_repr_shows_the_formatted_values(result: QueryResult) -> None:
    text = repr(result)
    assert text == repr(expected_pretty())
    assert "3,510.00" in text and "1,110" in text and "-.50" in text
    assert "3510.0" not in text and "NaN" not in text
    assert str(result) == text
    assert result.to_string() == expected_pretty().to_string()
    lines = text.splitlines()
    assert lines[0].split() == ["Price.SUM", "Total(Price)", "Count"]
    assert lines[1].split() == ["Year", "Month", "Day"]
    assert lines[2].split() == ["Total", "3,510.00", "3,510.00", "1,110"]
    # The blank cell and the sparsified index: "2018 / 6 / 1" prints only "1".
    assert lines[5].split() == ["1", "3,510.00", "1"]
    # Values are right-aligned, like numbers.
    assert lines[3].endswith("35.00     3,510.00      2")


def test_atoti_total_example() -> None:
    frame = pd.DataFrame(
        {"Price.SUM": [110.0, 35.0, 20.0, 15.0], "Total(Price)": [110.0] * 4},
        index=index()[[0, 1, 2, 3]],
    )
    result = QueryResult.from_frame(frame, {"Price.SUM": "DOUBLE[#,###.00]", "Total(Price)": "DOUBLE[#,###.00]"})
    assert [line.rstrip() for line in repr(result).splitlines()] == [
        "                Price.SUM Total(Price)",
        "Year  Month Day",
        "Total              110.00       110.00",
        "2018                35.00       110.00",
        "      6             20.00       110.00",
        "            1       15.00       110.00",
    ]


def test_html_shows_the_formatted_values(result: QueryResult) -> None:
    html = result._repr_html_()
    assert html == expected_pretty()._repr_html_()
    assert "<td>3,510.00</td>" in html and "<td>1,110</td>" in html
    assert "3510.0" not in html


def test_to_string_arguments(result: QueryResult) -> None:
    assert result.to_string(columns=["Count"]) == expected_pretty().to_string(columns=["Count"])
    assert result.to_string(index=False) == expected_pretty().to_string(index=False)
    # Arguments about raw values print the raw values.
    assert "3510.000" in result.to_string(float_format="{:.3f}".format)
    buffer = __import__("io").StringIO()
    assert result.to_string(buffer) is None
    assert buffer.getvalue() == expected_pretty().to_string()


def test_a_measure_without_formatter_prints_as_is() -> None:
    result = QueryResult.from_frame(
        pd.DataFrame({"a": [1.5, None], "b": ["x", "y"]}, index=pd.Index(["p", "q"], name="k")),
        {"a": None},
    )
    assert repr(result) == repr(pd.DataFrame({"a": ["1.5", ""], "b": ["x", "y"]}, index=result.index))


def test_nullable_integer_measures() -> None:
    frame = pd.DataFrame(
        {"Quantity.SUM": pd.array([12000, None], dtype="Int64")},
        index=pd.Index(["France", "UK"], name="Country"),
    )
    result = QueryResult.from_frame(frame, {"Quantity.SUM": "INT[#,###]"})
    assert repr(result) == repr(pd.DataFrame({"Quantity.SUM": ["12,000", ""]}, index=frame.index))
    result.iloc[1, 0] = 5
    assert repr(result) == repr(pd.DataFrame(result))


def test_vectors_and_dates() -> None:
    frame = pd.DataFrame(
        {"PnL.SUM": [np.array([-10.716, 1.0]), None], "Date.MAX": pd.to_datetime(["2024-01-31", None])},
        index=pd.Index(["America", "Asia"], name="Continent"),
    )
    result = QueryResult.from_frame(frame, {"PnL.SUM": None, "Date.MAX": "DATE[dd/MM/yyyy]"})
    assert "doubleVector[2]{-10.716, ...}" in repr(result)
    assert "31/01/2024" in repr(result)
    # A vector changed in place is a modification too.
    result.iloc[0, 0][0] = 1.0
    assert "doubleVector" not in repr(result)


@pytest.mark.parametrize(
    "modify",
    [
        lambda df: df.__setitem__("Count", 5),
        lambda df: df.__setitem__("New", 1.0),
        lambda df: df.iloc.__setitem__((0, 0), 1.0),
        lambda df: df.loc.__setitem__((("Total", "", ""), "Count"), 7),
        lambda df: df.rename(columns={"Count": "N"}, inplace=True),
        lambda df: setattr(df, "columns", ["a", "b", "c"]),
        lambda df: df.index.set_names(["Y", "M", "D"], inplace=True),
        lambda df: df.drop(columns="Count", inplace=True),
        lambda df: df.sort_index(ascending=False, inplace=True),
        lambda df: df.fillna(0.0, inplace=True),
        lambda df: df.pop("Count"),
    ],
)
# Users still write inplace=True (deprecated in pandas 3.1) and .loc on unsorted indexes.
@pytest.mark.filterwarnings("ignore:The inplace keyword", "ignore::pandas.errors.PerformanceWarning")
def test_a_modified_frame_prints_as_plain_pandas(result: QueryResult, modify) -> None:
    modify(result)
    assert type(result) is QueryResult
    plain = pd.DataFrame(result)
    assert repr(result) == repr(plain)
    assert str(result) == repr(plain)
    assert result.to_string() == plain.to_string()
    assert result._repr_html_() == plain._repr_html_()
    assert "3,510.00" not in repr(result)


def test_setting_the_same_values_keeps_the_formatting(result: QueryResult) -> None:
    result["Count"] = [1110, 2, 1, 1, 0]
    assert repr(result) == repr(expected_pretty())


@pytest.mark.parametrize(
    "derive",
    [
        lambda df: df.iloc[:2],
        lambda df: df.head(2),
        lambda df: df[["Count"]],
        lambda df: df.loc["2018"],
        lambda df: df + 1,
        lambda df: df * 1,
        lambda df: df.reset_index(),
        lambda df: df.copy(),
        lambda df: df.copy(deep=False),
        lambda df: copy.copy(df),
        lambda df: copy.deepcopy(df),
        lambda df: df.sort_index(),
        lambda df: df.fillna(0.0),
        lambda df: df.assign(x=1),
        lambda df: df.rename(columns={"Count": "N"}),
        lambda df: df.astype(float),
        lambda df: df.T,
        lambda df: df.dropna(),
        lambda df: pd.concat([df, df]),
        lambda df: df.reset_index().set_index(["Year", "Month", "Day"]),
        lambda df: pd.DataFrame(df),
    ],
)
def test_derived_frames_are_plain_dataframes(result: QueryResult, derive) -> None:
    derived = derive(result)
    assert type(derived) is pd.DataFrame
    assert "3,510.00" not in repr(derived)
    # ...and the result itself still prints formatted.
    assert repr(result) == repr(expected_pretty())


def test_a_column_is_a_plain_series(result: QueryResult) -> None:
    assert type(result["Count"]) is pd.Series
    assert result["Count"].tolist() == [1110, 2, 1, 1, 0]


def test_pickle_keeps_the_formatting(result: QueryResult) -> None:
    repr(result)  # fills the cache of formatted text, which is not pickled
    loaded = pickle.loads(pickle.dumps(result))
    assert type(loaded) is QueryResult
    pd.testing.assert_frame_equal(loaded, result)
    assert repr(loaded) == repr(expected_pretty())
    # The query context belongs to the session that ran the query.
    assert loaded._query_context is None
    loaded["Count"] = 0
    assert "3,510.00" not in repr(loaded)


def test_equals_and_assert_frame_equal(result: QueryResult) -> None:
    assert result.equals(raw())
    assert raw().equals(result)
    pd.testing.assert_frame_equal(result, raw(), check_frame_type=False)
    pd.testing.assert_frame_equal(result, raw())  # a QueryResult is a DataFrame
    other = raw()
    other.iloc[0, 0] = 1.0
    assert not result.equals(other)


def test_conversions(result: QueryResult) -> None:
    assert result.to_numpy().shape == (5, 3)
    assert result.to_dict()["Count"][("Total", "", "")] == 1110
    assert result.reset_index().columns.tolist() == ["Year", "Month", "Day", *FORMATTERS]
    plain = pd.DataFrame(result)
    assert type(plain) is pd.DataFrame and plain.equals(result)
    plain.iloc[0, 0] = 0.0
    # pandas 2 without copy-on-write shares the data with DataFrame(df): the write reaches the
    # result, which then prints as modified. With copy-on-write the result is untouched.
    shares_data = int(pd.__version__.split(".")[0]) < 3 and pd.get_option("mode.copy_on_write") is not True
    assert (result.iloc[0, 0] == 3510.0) is not shares_data
    assert ("3,510.00" in repr(result)) is not shares_data


def test_the_source_frame_is_copied() -> None:
    source = raw()
    result = QueryResult.from_frame(source, FORMATTERS)
    source.iloc[0, 0] = 1.0
    assert result.iloc[0, 0] == 3510.0
    assert repr(result) == repr(expected_pretty())


def test_attrs_are_left_to_users(result: QueryResult) -> None:
    assert result.attrs == {}
    result.attrs["note"] = "mine"
    assert repr(result) == repr(expected_pretty())
    assert result.iloc[:1].attrs == {"note": "mine"}


def test_query_context(result: QueryResult) -> None:
    assert result._query_context == {"queriesResultLimit.intermediateLimit": 10}
    assert QueryResult.from_frame(raw(), FORMATTERS)._query_context is None


def test_a_measure_named_like_an_attribute() -> None:
    frame = pd.DataFrame({"_formatters": [1.0], "attrs": [2.0]})
    result = QueryResult.from_frame(frame, {"_formatters": "DOUBLE[0.0]", "attrs": "DOUBLE[0.0]"})
    assert result["_formatters"].tolist() == [1.0]
    assert "1.0" in repr(result) and "2.0" in repr(result)


def test_invalid_formatter_fails_at_creation() -> None:
    with pytest.raises(ValueError, match="FOO"):
        QueryResult.from_frame(raw(), {"Count": "FOO[#]"})


def test_a_query_result_built_by_hand_prints_as_plain_pandas() -> None:
    frame = QueryResult({"a": [1.5]})
    assert repr(frame) == repr(pd.DataFrame({"a": [1.5]}))


def test_empty_results() -> None:
    empty_rows = QueryResult.from_frame(raw().iloc[:0], FORMATTERS)
    assert repr(empty_rows) == repr(pd.DataFrame({k: [] for k in EXPECTED_TEXT}, index=index()[:0]))
    no_columns = QueryResult.from_frame(pd.DataFrame(index=pd.Index(["a"], name="k")), {})
    assert repr(no_columns) == repr(pd.DataFrame(index=pd.Index(["a"], name="k")))


def test_a_long_result_formats_only_what_is_shown() -> None:
    n = 5_000
    frame = pd.DataFrame(
        {"Value": np.arange(n) * 1000.5},
        index=pd.Index([f"id{i:05d}" for i in range(n)], name="Id"),
    )
    result = QueryResult.from_frame(frame, {"Value": "DOUBLE[#,###.00]"})
    full = format_frame(frame, {"Value": "DOUBLE[#,###.00]"})
    assert repr(result) == repr(full)
    assert result._repr_html_() == full._repr_html_()
    assert "5,001,499.50" in repr(result)  # the last row
    with pd.option_context("display.max_rows", 10, "display.min_rows", 4):
        assert repr(result) == repr(full)
    with pd.option_context("display.max_rows", None):
        assert repr(result) == repr(full)
    assert result.to_string() == full.to_string()
    assert result.to_string(max_rows=6) == full.to_string(max_rows=6)
    assert result._formatted_cache is not None  # the full text is kept for later prints


def test_info_repr_describes_the_raw_data(result: QueryResult) -> None:
    with pd.option_context("display.large_repr", "info", "display.max_rows", 2):
        assert "float64" in repr(result)
