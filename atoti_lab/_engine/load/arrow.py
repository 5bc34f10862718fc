"""In-memory sources (pandas, NumPy, Python rows, Arrow) -> Arrow tables a store table accepts.

Every source first becomes a pyarrow Table whose columns have canonical types
(``types.ARROW_TYPES``, String columns possibly dictionary-encoded); ``conform`` then checks it
against a table's schema and casts, refusing conversions that would lose data.

>>> import pandas as pd
>>> data = from_pandas(pd.DataFrame({"city": ["Paris"], "price": [1.5]}))
>>> infer_types(data.schema)
{'city': 'String', 'price': 'double'}
>>> conform(data, {"city": "String", "price": "float"}).schema.types
[DataType(string), DataType(float)]
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import types as T

_DICT_STRING = pa.dictionary(pa.int32(), pa.string())
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

# Conversions conform() accepts between different atoti types; "checked" ones verify the values.
_ALLOWED: dict[str, set[str]] = {
    T.INT: {T.LONG, T.FLOAT, T.DOUBLE},
    T.LONG: {T.INT, T.FLOAT, T.DOUBLE},  # to int: checked, every value must fit
    T.FLOAT: {T.DOUBLE, T.INT, T.LONG},  # to ints: checked, every value must be integral
    T.DOUBLE: {T.FLOAT, T.INT, T.LONG},
    T.LOCAL_DATE: {T.LOCAL_DATE_TIME},
    T.LOCAL_DATE_TIME: {T.LOCAL_DATE},  # checked: every value must be at midnight
    T.INT_ARRAY: {T.LONG_ARRAY, T.FLOAT_ARRAY, T.DOUBLE_ARRAY},
    T.LONG_ARRAY: {T.INT_ARRAY, T.FLOAT_ARRAY, T.DOUBLE_ARRAY},
    T.FLOAT_ARRAY: {T.DOUBLE_ARRAY},
    T.DOUBLE_ARRAY: {T.FLOAT_ARRAY},
}


# --- pandas and NumPy -----------------------------------------------------------------------


def from_pandas(dataframe: pd.DataFrame) -> pa.Table:
    """A DataFrame as an Arrow table with canonical column types.

    The index is dropped unless it is a named index other than a RangeIndex: then its levels
    become the first columns, as ``reset_index()`` would make them.
    """
    index = dataframe.index
    if not isinstance(index, pd.RangeIndex) and any(name is not None for name in index.names):
        dataframe = dataframe.reset_index()
    names = [str(name) for name in dataframe.columns]
    _check_unique(names, "the DataFrame's columns")
    arrays = []
    for position, name in enumerate(names):
        series = dataframe.iloc[:, position]
        try:
            array = pa.array(series, from_pandas=True)  # NaN/None/NaT/pd.NA -> null
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise ValueError(
                f"Column {name!r} of the DataFrame (dtype {series.dtype}) cannot be converted: "
                f"{error}. Give it values of one type."
            ) from None
        arrays.append(_canonical_array(array, name, "the DataFrame"))
    return pa.Table.from_arrays(arrays, names=names)


def in_memory(data: object) -> tuple[pa.Table, str] | None:
    """An in-memory source (pandas DataFrame, pyarrow Table or RecordBatch) as an Arrow table, with
    a description for reports; None for anything else."""
    if isinstance(data, pd.DataFrame):
        return from_pandas(data), "pandas DataFrame"
    if isinstance(data, pa.Table):
        return data, "pyarrow Table"
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]), "pyarrow RecordBatch"
    return None


def from_numpy(array: np.ndarray, columns: Sequence[str]) -> pa.Table:
    """A 2D array (one column per name) or a 1D structured array as an Arrow table."""
    columns = list(columns)
    if array.dtype.names is not None:
        parts = [array[field] for field in array.dtype.names]
    elif array.ndim == 1:
        parts = [array]
    elif array.ndim == 2:
        parts = [array[:, j] for j in range(array.shape[1])]
    else:
        raise ValueError(f"Expected a 1D or 2D NumPy array, got one with {array.ndim} dimensions.")
    if len(parts) != len(columns):
        raise ValueError(f"The array has {len(parts)} columns but {len(columns)} column names were given: {columns}.")
    _check_unique(columns, "the column names")
    arrays = []
    for name, part in zip(columns, parts):
        try:
            values = pa.array(np.ascontiguousarray(part), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise ValueError(f"Column {name!r} of the array cannot be converted: {error}.") from None
        arrays.append(_canonical_array(values, name, "the array"))
    return pa.Table.from_arrays(arrays, names=columns)


def infer_types(schema: pa.Schema) -> dict[str, str]:
    """The atoti type of each column of `schema`."""
    inferred = {}
    for arrow_field in schema:
        data_type = T.from_arrow(arrow_field.type)
        if data_type is None:
            raise ValueError(_unsupported(arrow_field.name, arrow_field.type))
        inferred[arrow_field.name] = data_type
    return inferred


def canonicalize(table: pa.Table, *, source: str = "data") -> pa.Table:
    """Cast every column to the canonical Arrow type of its inferred atoti type."""
    return pa.table({name: _canonical_array(table.column(name), name, source) for name in table.column_names})


def _canonical_array(values: pa.Array | pa.ChunkedArray, name: str, source: str) -> Any:
    if pa.types.is_null(values.type):
        return values  # all missing: conform() gives it the target's type
    data_type = T.from_arrow(values.type)
    if data_type is None:
        raise ValueError(_unsupported(name, values.type))
    return cast_column(values, data_type, column=name, source=source)


def _unsupported(name: str, arrow_type: pa.DataType) -> str:
    return (
        f"Column {name!r} has the Arrow type {arrow_type}, which has no atoti data type; "
        f"supported: strings, booleans, integers, floats, dates, times, timestamps and lists "
        f"of numbers."
    )


def _check_unique(names: Sequence[str], where: str) -> None:
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ValueError(f"Duplicate column names in {where}: {duplicates}.")


# --- conforming to a table ------------------------------------------------------------------


def conform(
    table: pa.Table,
    target: Mapping[str, str],
    *,
    keys: Sequence[str] = (),
    source: str = "data",
) -> pa.Table:
    """Make `table` match a table schema (column name -> atoti type) before anything is written.

    Columns come out in the target's order with exactly its Arrow types (String columns may stay
    dictionary-encoded). Non-key target columns may be absent: the store fills them with defaults.
    Raises ValueError naming the columns when a key is missing, a column is unknown, or a type
    cannot be converted without losing data.
    """
    wanted = {name: T.normalize(t, where=f"column {name!r}") for name, t in target.items()}
    names = table.column_names
    _check_unique(names, source)
    extra = [name for name in names if name not in wanted]
    if extra:
        raise ValueError(
            f"{_capital(source)} has columns {extra} that the table does not have; "
            f"the table's columns are {list(wanted)}."
        )
    missing_keys = [key for key in keys if key not in names]
    if missing_keys:
        raise ValueError(
            f"{_capital(source)} lacks the key columns {missing_keys}; "
            f"it has {names}, the table's keys are {list(keys)}."
        )
    columns, errors = {}, []
    for name, data_type in wanted.items():
        if name in names:
            try:
                columns[name] = cast_column(table.column(name), data_type, column=name, source=source)
            except ValueError as error:
                errors.append(str(error))
    if errors:
        raise ValueError("\n".join(errors))
    if not columns:
        return pa.table({})
    return pa.table(columns)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def cast_column(
    values: pa.Array | pa.ChunkedArray,
    data_type: str,
    *,
    column: str,
    source: str = "data",
) -> pa.ChunkedArray:
    """Cast one column to ``ARROW_TYPES[data_type]``, refusing conversions that lose data."""
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    target = T.normalize(data_type, where=f"column {column!r}")
    if pa.types.is_null(values.type):
        storage = pa.string() if target == T.STRING else T.ARROW_TYPES[target]
        return pa.chunked_array([pa.nulls(len(values), storage)])
    if pa.types.is_dictionary(values.type) and not _is_string(values.type.value_type):
        values = pc.cast(values, values.type.value_type)  # only strings stay dictionary-encoded
    current = T.from_arrow(values.type)
    if current is None:
        raise ValueError(_unsupported(column, values.type))
    if current != target and target not in _ALLOWED.get(current, set()):
        raise ValueError(
            f"Column {column!r} of {source} holds {current} values ({values.type}), which cannot "
            f"be converted to the table's type {target}."
        )
    _check_values(values, current, target, column, source)
    if target == T.STRING:
        if pa.types.is_dictionary(values.type):
            return pc.cast(values, _DICT_STRING)
        return pc.cast(values, pa.string())
    # Integer targets keep Arrow's overflow checks (uint64 -> long); elsewhere the allowed
    # losses are rounding (long -> double, double -> float) and nanoseconds truncated to micros.
    safe = target in (T.INT, T.LONG, T.INT_ARRAY, T.LONG_ARRAY)
    try:
        return pc.cast(values, T.ARROW_TYPES[target], safe=safe)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(
            f"Column {column!r} of {source} ({values.type}) cannot be stored as {target}: {error}"
        ) from None


def _is_string(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _check_values(values: pa.ChunkedArray, current: str, target: str, column: str, source: str) -> None:
    """Checked conversions: raise naming the first value that would not survive."""
    if T.is_array(current):
        if target in (T.INT_ARRAY, T.LONG_ARRAY):
            flat = pa.chunked_array([pc.list_flatten(chunk) for chunk in values.chunks], values.type.value_type)
            _check_values(flat, current.removesuffix("[]"), target.removesuffix("[]"), column, source)
        return
    ok: pa.ChunkedArray | None = None
    what = ""
    if target in (T.INT, T.LONG) and current in (T.FLOAT, T.DOUBLE):
        low, high = _INT32 if target == T.INT else _INT64
        ok = pc.and_(
            pc.equal(pc.floor(values), values),
            pc.and_(pc.greater_equal(values, float(low)), pc.less(values, float(high) + 1)),
        )
        what = f"whole numbers within {target}'s range"
    elif target == T.INT and current == T.LONG:
        ok = pc.and_(pc.greater_equal(values, _INT32[0]), pc.less_equal(values, _INT32[1]))
        what = "within int's range"
    elif target == T.LOCAL_DATE and current == T.LOCAL_DATE_TIME:
        ok = pc.equal(pc.floor_temporal(values, unit="day"), values)
        what = "at midnight"
    if ok is None:
        return
    bad = pc.filter(values, pc.invert(pc.fill_null(ok, True)))
    if len(bad):
        raise ValueError(
            f"Column {column!r} of {source} holds {current} values that cannot be stored as "
            f"{target}: they must be {what}, but {bad[0].as_py()!r} is not "
            f"({len(bad)} such values)."
        )


# --- rows -----------------------------------------------------------------------------------


def table_from_rows(rows: Sequence[tuple[Any, ...] | Mapping[str, Any]], target: Mapping[str, str]) -> pa.Table:
    """Rows given in Python (``table += ("a", 1)``) as an Arrow table of the target's types.

    Tuples list the values in the table's column order; mappings name their columns (absent ones
    are null). Raises ValueError naming the row (0-based), the column and the value at fault.
    """
    if isinstance(rows, Mapping) or (
        isinstance(rows, tuple) and not all(isinstance(r, (tuple, list, Mapping)) for r in rows)
    ):
        rows = [rows]  # a single row
    types = {name: T.normalize(t, where=f"column {name!r}") for name, t in target.items()}
    names = list(types)
    values: dict[str, list[Any]] = {name: [] for name in names}
    for position, row in enumerate(rows):
        if isinstance(row, Mapping):
            unknown = [key for key in row if key not in types]
            if unknown:
                raise ValueError(
                    f"Row {position} has columns {unknown} that the table does not have; its columns are {names}."
                )
            for name in names:
                values[name].append(row.get(name))
        elif isinstance(row, (tuple, list)):
            if len(row) != len(names):
                raise ValueError(
                    f"Row {position} has {len(row)} values but the table has {len(names)} columns: {names}."
                )
            for name, value in zip(names, row):
                values[name].append(value)
        else:
            raise TypeError(f"Row {position} must be a tuple or a mapping, got {row!r}.")
    arrays = {}
    for name in names:
        convert = _PYTHON[types[name]]
        converted = []
        for position, value in enumerate(values[name]):
            try:
                converted.append(None if _is_missing(value) else convert(_plain(value)))
            except (ValueError, TypeError, OverflowError, ArithmeticError):
                raise ValueError(
                    f"Row {position}: the value {value!r} of column {name!r} cannot be converted to {types[name]}."
                ) from None
        arrays[name] = pa.array(converted, type=T.ARROW_TYPES[types[name]])
    return pa.table(arrays)


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as the Python values they hold."""
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[us]").item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _to_string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _to_boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _integer(bounds: tuple[int, int]) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise TypeError(value)
        number = int(value)
        if number != value or not bounds[0] <= number <= bounds[1]:
            raise ValueError(value)
        return number

    return convert


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        raise TypeError(value)
    return float(value)


def _to_date(value: Any) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0) or value.tzinfo is not None:
            raise ValueError(value)
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(value)


def _fromisoformat(text: str) -> dt.datetime:
    """``datetime.fromisoformat``, also taking a trailing "Z" on Python 3.10."""
    return dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _to_date_time(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = _fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError(value)  # an instant belongs in a ZonedDateTime column
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raise TypeError(value)


def _to_time(value: Any) -> dt.time:
    if isinstance(value, str):
        value = dt.time.fromisoformat(value)
    if isinstance(value, dt.time) and value.tzinfo is None:
        return value
    raise TypeError(value)


def _to_zoned(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = _fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(value)
    if value.tzinfo is None:  # as the CSV reader does: no offset means UTC
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _array_of(convert: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    def convert_all(value: Any) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise TypeError(value)
        return [convert(_plain(element)) for element in value]

    return convert_all


_PYTHON: dict[str, Callable[[Any], Any]] = {
    T.STRING: _to_string,
    T.BOOLEAN: _to_boolean,
    T.INT: _integer(_INT32),
    T.LONG: _integer(_INT64),
    T.FLOAT: _to_float,
    T.DOUBLE: _to_float,
    T.LOCAL_DATE: _to_date,
    T.LOCAL_DATE_TIME: _to_date_time,
    T.LOCAL_TIME: _to_time,
    T.ZONED_DATE_TIME: _to_zoned,
    T.INT_ARRAY: _array_of(_integer(_INT32)),
    T.LONG_ARRAY: _array_of(_integer(_INT64)),
    T.FLOAT_ARRAY: _array_of(_to_float),
    T.DOUBLE_ARRAY: _array_of(_to_float),
}
