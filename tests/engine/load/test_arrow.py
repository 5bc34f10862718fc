"""pandas, NumPy and Python rows -> Arrow, and conform() against a table's schema."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from atoti_lab._engine.load.arrow import conform, from_numpy, from_pandas, infer_types, table_from_rows

DICT_STRING = pa.dictionary(pa.int32(), pa.string())
UTC = dt.timezone.utc


# --- pandas ---------------------------------------------------------------------------------


def test_from_pandas_types() -> None:
    frame = pd.DataFrame(
        {
            "obj": pd.Series(["a", None, "c"], dtype=object),
            "str": pd.Series(["a", None, "c"], dtype="str"),
            "pyarrow_str": pd.Series(["a", None, "c"], dtype="string[pyarrow]"),
            "cat": pd.Series(["x", "y", "x"], dtype="category"),
            "i": np.array([1, 2, 3], dtype=np.int64),
            "i32": np.array([1, 2, 3], dtype=np.int32),
            "f": [1.5, np.nan, 3.0],
            "nullable_int": pd.array([1, None, 3], dtype="Int64"),
            "nullable_float": pd.array([1.5, None, 3.0], dtype="Float64"),
            "nullable_bool": pd.array([True, None, False], dtype="boolean"),
            "b": [True, False, True],
            "naive": pd.to_datetime(["2021-01-01 10:00", None, "2021-01-03 00:00"]),
            "aware": pd.to_datetime(["2021-01-01 10:00", "2021-06-01 10:00", None]).tz_localize("Europe/Paris"),
            "date": [dt.date(2021, 1, 1), None, dt.date(2021, 1, 3)],
            "time": [dt.time(10, 30), dt.time(0, 0), None],
            "ints": [[1, 2], [3], None],
            "reals": [np.array([1.5, 2.0]), np.array([3.0]), np.array([])],
        }
    )
    table = from_pandas(frame)
    types = dict(zip(table.column_names, table.schema.types))
    assert types["obj"] == types["str"] == types["pyarrow_str"] == pa.string()
    assert types["cat"] == DICT_STRING
    assert types["i"] == pa.int64()
    assert types["i32"] == pa.int32()
    assert types["f"] == pa.float64()
    assert types["nullable_int"] == pa.int64()
    assert types["nullable_float"] == pa.float64()
    assert types["nullable_bool"] == pa.bool_()
    assert types["naive"] == pa.timestamp("us")
    assert types["aware"] == pa.timestamp("us", tz="UTC")
    assert types["date"] == pa.date32()
    assert types["time"] == pa.time64("us")
    assert types["ints"] == pa.list_(pa.int64())
    assert types["reals"] == pa.list_(pa.float64())

    assert table.column("str").to_pylist() == ["a", None, "c"]
    assert table.column("cat").to_pylist() == ["x", "y", "x"]
    assert table.column("f").to_pylist() == [1.5, None, 3.0]
    assert table.column("nullable_int").to_pylist() == [1, None, 3]
    assert table.column("nullable_bool").to_pylist() == [True, None, False]
    assert table.column("naive").to_pylist() == [dt.datetime(2021, 1, 1, 10), None, dt.datetime(2021, 1, 3)]
    aware = table.column("aware").to_pylist()
    assert aware[0].astimezone(UTC) == dt.datetime(2021, 1, 1, 9, tzinfo=UTC)  # CET is UTC+1
    assert aware[1].astimezone(UTC) == dt.datetime(2021, 6, 1, 8, tzinfo=UTC)  # CEST is UTC+2
    assert table.column("reals").to_pylist() == [[1.5, 2.0], [3.0], []]
    assert infer_types(table.schema) == {
        "obj": "String",
        "str": "String",
        "pyarrow_str": "String",
        "cat": "String",
        "i": "long",
        "i32": "int",
        "f": "double",
        "nullable_int": "long",
        "nullable_float": "double",
        "nullable_bool": "boolean",
        "b": "boolean",
        "naive": "LocalDateTime",
        "aware": "ZonedDateTime",
        "date": "LocalDate",
        "time": "LocalTime",
        "ints": "long[]",
        "reals": "double[]",
    }


def test_from_pandas_default_string_dtype() -> None:
    frame = pd.DataFrame({"s": ["a", "b"]})  # "str" on pandas 3, object on pandas 2
    assert from_pandas(frame).schema.field("s").type == pa.string()


def test_from_pandas_index() -> None:
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a", "b"], name="key"))
    assert from_pandas(frame).column_names == ["key", "v"]
    assert from_pandas(frame).column("key").to_pylist() == ["a", "b"]
    multi = pd.DataFrame({"v": [1]}, index=pd.MultiIndex.from_tuples([("a", 1)], names=["k1", "k2"]))
    assert from_pandas(multi).column_names == ["k1", "k2", "v"]
    assert from_pandas(pd.DataFrame({"v": [1, 2]}, index=[5, 6])).column_names == ["v"]  # unnamed
    assert from_pandas(pd.DataFrame({"v": [1, 2]}).rename_axis("n")).column_names == ["v"]  # RangeIndex


def test_from_pandas_mixed_column_names_the_column() -> None:
    with pytest.raises(ValueError, match="'mixed'"):
        from_pandas(pd.DataFrame({"ok": [1, 2], "mixed": pd.Series(["a", 1], dtype=object)}))


def test_from_pandas_unsupported_dtype_names_the_column() -> None:
    with pytest.raises(ValueError, match="'delta'"):
        from_pandas(pd.DataFrame({"delta": pd.to_timedelta([1, 2], unit="s")}))


# --- NumPy ----------------------------------------------------------------------------------


def test_from_numpy_2d_and_structured() -> None:
    table = from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]), ["a", "b"])
    assert table.to_pydict() == {"a": [1.0, 3.0], "b": [2.0, 4.0]}
    structured = np.array([("x", 1), ("y", 2)], dtype=[("name", "U5"), ("n", "i4")])
    table = from_numpy(structured, ["Name", "N"])
    assert table.to_pydict() == {"Name": ["x", "y"], "N": [1, 2]}
    assert table.schema.types == [pa.string(), pa.int32()]
    with pytest.raises(ValueError, match="2 columns but 3"):
        from_numpy(np.zeros((2, 2)), ["a", "b", "c"])


def test_infer_types_rejects_unsupported_types() -> None:
    schema = pa.schema([("ok", pa.int32()), ("nested", pa.struct([("x", pa.int32())]))])
    with pytest.raises(ValueError, match="'nested'"):
        infer_types(schema)


# --- conform --------------------------------------------------------------------------------

TARGET = {"id": "int", "name": "String", "price": "double", "day": "LocalDate"}


def test_conform_casts_and_orders_like_the_target() -> None:
    data = pa.table(
        {
            "price": pa.array([1, 2], pa.int64()),
            "name": pa.array(["a", "b"]).dictionary_encode(),
            "id": pa.array([1, 2], pa.int64()),
        }
    )
    result = conform(data, TARGET, keys=["id"])
    assert result.column_names == ["id", "name", "price"]  # "day" absent: the store fills it
    assert result.schema.types == [pa.int32(), DICT_STRING, pa.float64()]
    assert result.to_pydict() == {"id": [1, 2], "name": ["a", "b"], "price": [1.0, 2.0]}


def test_conform_allowed_conversions() -> None:
    data = pa.table(
        {
            "i": pa.array([1, 2], pa.int8()),
            "f": pa.array([1.0, 2.0], pa.float64()),
            "whole": pa.array([1.0, None], pa.float64()),
            "d": pa.array([dt.date(2021, 1, 1), None]),
            "midnight": pa.array([dt.datetime(2021, 1, 1), dt.datetime(2021, 1, 2)]),
            "n": pa.nulls(2),
            "s": pa.array(["a", "b"], pa.large_string()),
            "arr": pa.array([[1, 2], [3]], pa.list_(pa.int64())),
        }
    )
    target = {
        "i": "long",
        "f": "float",
        "whole": "long",
        "d": "LocalDateTime",
        "midnight": "LocalDate",
        "n": "int",
        "s": "String",
        "arr": "double[]",
    }
    result = conform(data, target)
    assert result.schema.types == [
        pa.int64(),
        pa.float32(),
        pa.int64(),
        pa.timestamp("us"),
        pa.date32(),
        pa.int32(),
        pa.string(),
        pa.list_(pa.float64()),
    ]
    assert result.column("whole").to_pylist() == [1, None]
    assert result.column("d").to_pylist() == [dt.datetime(2021, 1, 1), None]
    assert result.column("midnight").to_pylist() == [dt.date(2021, 1, 1), dt.date(2021, 1, 2)]
    assert result.column("n").to_pylist() == [None, None]
    assert result.column("arr").to_pylist() == [[1.0, 2.0], [3.0]]


def test_conform_missing_key_names_it() -> None:
    with pytest.raises(ValueError, match=r"key columns \['id'\]"):
        conform(pa.table({"name": ["a"]}), TARGET, keys=["id"])


def test_conform_unknown_column_lists_the_target_columns() -> None:
    with pytest.raises(ValueError, match=r"\['oops'\].*\['id', 'name', 'price', 'day'\]"):
        conform(pa.table({"id": [1], "oops": [2]}), TARGET, source="pandas DataFrame")


@pytest.mark.parametrize(
    ("values", "data_type", "pattern"),
    [
        (pa.array(["1", "2"]), "int", r"'col'.*String.*int"),
        (pa.array([dt.date(2021, 1, 1)]), "double", r"'col'.*LocalDate.*double"),
        (pa.array([1, 2]), "String", r"'col'.*long.*String"),
        (pa.array([True]), "int", r"'col'.*boolean.*int"),
        (pa.array([1.5]), "long", r"'col'.*1\.5"),
        (pa.array([3_000_000_000]), "int", r"'col'.*3000000000"),
        (pa.array([dt.datetime(2021, 1, 1, 10)]), "LocalDate", r"'col'.*midnight"),
        (pa.array([2**64 - 1], pa.uint64()), "long", r"'col'"),
    ],
)
def test_conform_refuses_lossy_conversions(values: pa.Array, data_type: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        conform(pa.table({"col": values}), {"col": data_type})


def test_conform_reports_every_bad_column() -> None:
    with pytest.raises(ValueError, match=r"(?s)'a'.*'b'"):
        conform(pa.table({"a": ["x"], "b": ["y"]}), {"a": "int", "b": "double"})


# --- rows -----------------------------------------------------------------------------------

ROW_TARGET = {
    "name": "String",
    "n": "int",
    "price": "double",
    "day": "LocalDate",
    "at": "LocalDateTime",
    "zoned": "ZonedDateTime",
    "arr": "double[]",
}


def test_rows_as_tuples_and_mappings() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    rows = [
        (
            "a",
            1,
            1.5,
            dt.date(2021, 1, 1),
            dt.datetime(2021, 1, 1, 10),
            dt.datetime(2021, 1, 1, 12, tzinfo=paris),
            [1, 2.5],
        ),
        ("b", np.int64(2), 2, "2021-01-02", "2021-01-02T11:00:00", "2021-01-02T11:00:00Z", np.array([3.0])),
        {"name": "c", "n": 3},
    ]
    table = table_from_rows(rows, ROW_TARGET)
    assert table.schema.types == [
        pa.string(),
        pa.int32(),
        pa.float64(),
        pa.date32(),
        pa.timestamp("us"),
        pa.timestamp("us", tz="UTC"),
        pa.list_(pa.float64()),
    ]
    data = table.to_pydict()
    assert data["name"] == ["a", "b", "c"]
    assert data["n"] == [1, 2, 3]
    assert data["price"] == [1.5, 2.0, None]
    assert data["day"] == [dt.date(2021, 1, 1), dt.date(2021, 1, 2), None]
    assert data["at"] == [dt.datetime(2021, 1, 1, 10), dt.datetime(2021, 1, 2, 11), None]
    assert [v and v.astimezone(UTC) for v in data["zoned"]] == [
        dt.datetime(2021, 1, 1, 10, tzinfo=UTC),
        dt.datetime(2021, 1, 2, 11, tzinfo=UTC),
        None,
    ]
    assert data["arr"] == [[1.0, 2.5], [3.0], None]


def test_single_row_tuple() -> None:
    table = table_from_rows(("a", 1), {"s": "String", "n": "long"})  # type: ignore[arg-type]
    assert table.to_pydict() == {"s": ["a"], "n": [1]}


def test_rows_with_wrong_arity_name_the_row() -> None:
    with pytest.raises(ValueError, match=r"Row 1 has 1 values but the table has 2 columns"):
        table_from_rows([("a", 1), ("b",)], {"s": "String", "n": "int"})


def test_rows_with_unknown_mapping_key() -> None:
    with pytest.raises(ValueError, match=r"Row 0.*\['zz'\]"):
        table_from_rows([{"s": "a", "zz": 1}], {"s": "String", "n": "int"})


@pytest.mark.parametrize(
    ("value", "data_type"),
    [
        ("abc", "int"),
        (1.5, "int"),
        (2**40, "int"),
        (True, "int"),
        (1, "String"),
        ("2021-13-45", "LocalDate"),
        (dt.datetime(2021, 1, 1, tzinfo=UTC), "LocalDateTime"),
        ("x", "double"),
        (["a"], "double[]"),
        ("yes", "boolean"),
    ],
)
def test_bad_row_values_name_row_column_and_value(value: object, data_type: str) -> None:
    with pytest.raises(ValueError, match=rf"Row 1: the value {__import__('re').escape(repr(value))} of column 'v'"):
        table_from_rows([(None,), (value,)], {"v": data_type})


def test_row_values_accept_decimals_and_numpy() -> None:
    table = table_from_rows(
        [(decimal.Decimal("1.5"), np.float32(2.0), np.datetime64("2021-01-01"))],
        {"a": "double", "b": "float", "c": "LocalDate"},
    )
    assert table.to_pydict() == {"a": [1.5], "b": [2.0], "c": [dt.date(2021, 1, 1)]}
