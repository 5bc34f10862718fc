"""Data types: atoti's names, how each is stored, its default value and its Arrow type.

A column is stored in one of three ways (its *kind*):

* ``"num"``: a numpy array of the type's dtype (int, long, float, double); missing values are
  NaN for floats and a validity mask for integers.
* ``"dict"``: integer codes into a Dictionary of values (String, boolean, dates and times).
  Every such column can serve as a level without further work.
* ``"array"``: one numpy vector per row (the ``*_ARRAY`` types).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, Literal

import numpy as np
import pyarrow as pa

DataType = str  # one of DATA_TYPES

STRING: Final = "String"
BOOLEAN: Final = "boolean"
INT: Final = "int"
LONG: Final = "long"
FLOAT: Final = "float"
DOUBLE: Final = "double"
LOCAL_DATE: Final = "LocalDate"
LOCAL_DATE_TIME: Final = "LocalDateTime"
LOCAL_TIME: Final = "LocalTime"
ZONED_DATE_TIME: Final = "ZonedDateTime"
INT_ARRAY: Final = "int[]"
LONG_ARRAY: Final = "long[]"
FLOAT_ARRAY: Final = "float[]"
DOUBLE_ARRAY: Final = "double[]"

NUMERIC_TYPES: Final = (INT, LONG, FLOAT, DOUBLE)
ARRAY_TYPES: Final = (INT_ARRAY, LONG_ARRAY, FLOAT_ARRAY, DOUBLE_ARRAY)
TEMPORAL_TYPES: Final = (LOCAL_DATE, LOCAL_DATE_TIME, LOCAL_TIME, ZONED_DATE_TIME)
DATA_TYPES: Final = (STRING, BOOLEAN, *NUMERIC_TYPES, *TEMPORAL_TYPES, *ARRAY_TYPES)

Kind = Literal["num", "dict", "array"]

NUMPY_DTYPES: Final[dict[str, np.dtype]] = {
    INT: np.dtype(np.int32),
    LONG: np.dtype(np.int64),
    FLOAT: np.dtype(np.float32),
    DOUBLE: np.dtype(np.float64),
    INT_ARRAY: np.dtype(np.int32),
    LONG_ARRAY: np.dtype(np.int64),
    FLOAT_ARRAY: np.dtype(np.float32),
    DOUBLE_ARRAY: np.dtype(np.float64),
}

ARROW_TYPES: Final[dict[str, pa.DataType]] = {
    STRING: pa.string(),
    BOOLEAN: pa.bool_(),
    INT: pa.int32(),
    LONG: pa.int64(),
    FLOAT: pa.float32(),
    DOUBLE: pa.float64(),
    LOCAL_DATE: pa.date32(),
    LOCAL_DATE_TIME: pa.timestamp("us"),
    LOCAL_TIME: pa.time64("us"),
    ZONED_DATE_TIME: pa.timestamp("us", tz="UTC"),
    INT_ARRAY: pa.list_(pa.int32()),
    LONG_ARRAY: pa.list_(pa.int64()),
    FLOAT_ARRAY: pa.list_(pa.float32()),
    DOUBLE_ARRAY: pa.list_(pa.float64()),
}

# Accepted spellings of each type (atoti's own names, case-insensitive, and the constants' names).
_ALIASES: dict[str, str] = {}
for _name in DATA_TYPES:
    _ALIASES[_name.lower()] = _name
for _const, _name in {
    "STRING": STRING, "BOOLEAN": BOOLEAN, "INT": INT, "LONG": LONG, "FLOAT": FLOAT,
    "DOUBLE": DOUBLE, "LOCAL_DATE": LOCAL_DATE, "LOCAL_DATE_TIME": LOCAL_DATE_TIME,
    "LOCAL_TIME": LOCAL_TIME, "ZONED_DATE_TIME": ZONED_DATE_TIME, "INT_ARRAY": INT_ARRAY,
    "LONG_ARRAY": LONG_ARRAY, "FLOAT_ARRAY": FLOAT_ARRAY, "DOUBLE_ARRAY": DOUBLE_ARRAY,
}.items():
    _ALIASES[_const.lower()] = _name


def normalize(data_type: object, *, where: str = "") -> DataType:
    """Return the canonical name of `data_type`, or raise a ValueError naming `where`."""
    if isinstance(data_type, str):
        found = _ALIASES.get(data_type.lower())
        if found is not None:
            return found
    place = f" for {where}" if where else ""
    raise ValueError(
        f"Unknown data type {data_type!r}{place}; expected one of: {', '.join(DATA_TYPES)}."
    )


def kind(data_type: DataType) -> Kind:
    if data_type in NUMERIC_TYPES:
        return "num"
    if data_type in ARRAY_TYPES:
        return "array"
    return "dict"


def is_numeric(data_type: DataType) -> bool:
    return data_type in NUMERIC_TYPES


def is_array(data_type: DataType) -> bool:
    return data_type in ARRAY_TYPES


def default_value(data_type: DataType, *, key: bool = False) -> Any:
    """atoti's default ``default_value``: the value stored in place of a missing one.

    Numeric and array columns default to None (nullable) except key columns, which are never null.
    """
    if data_type == STRING:
        return "N/A"
    if data_type == BOOLEAN:
        return False
    if data_type == LOCAL_DATE:
        return dt.date(1970, 1, 1)
    if data_type == LOCAL_DATE_TIME:
        return dt.datetime(1970, 1, 1)
    if data_type == LOCAL_TIME:
        return dt.time(0, 0)
    if data_type == ZONED_DATE_TIME:
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    if key and data_type in NUMERIC_TYPES:
        return 0.0 if data_type in (FLOAT, DOUBLE) else 0
    return None


def from_arrow(arrow_type: pa.DataType) -> DataType | None:
    """The atoti type inferred for an Arrow type (as atoti infers it from pandas/Arrow data)."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        return from_arrow(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        return STRING
    if pa.types.is_boolean(t):
        return BOOLEAN
    if pa.types.is_integer(t):
        return INT if t.bit_width <= 32 and t != pa.uint32() else LONG
    if pa.types.is_floating(t):
        return FLOAT if t.bit_width <= 32 else DOUBLE
    if pa.types.is_decimal(t):
        return DOUBLE
    if pa.types.is_date(t):
        return LOCAL_DATE
    if pa.types.is_timestamp(t):
        return ZONED_DATE_TIME if t.tz is not None else LOCAL_DATE_TIME
    if pa.types.is_time(t):
        return LOCAL_TIME
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        inner = from_arrow(t.value_type)
        return {INT: INT_ARRAY, LONG: LONG_ARRAY, FLOAT: FLOAT_ARRAY, DOUBLE: DOUBLE_ARRAY}.get(
            inner or ""
        )
    return None
