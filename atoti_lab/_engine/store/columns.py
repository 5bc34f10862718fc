"""Column specs and the conversions between Arrow arrays and stored column data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import types as T
from ..memory import pool
from .dictionary import Dictionary, code_dtype_for, to_physical


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    data_type: str
    default: Any  # a Python value, or None for a nullable column

    @property
    def kind(self) -> T.Kind:
        return T.kind(self.data_type)

    @property
    def nullable(self) -> bool:
        return self.default is None


@dataclass
class Encoded:
    """One column of a batch in stored form: values (codes for dictionary columns) and validity."""

    values: np.ndarray
    valid: np.ndarray | None = None  # only for integer columns holding missing values


def check_default(spec: ColumnSpec) -> None:
    """Raise a ValueError when a default value does not match its column's type."""
    if spec.default is None:
        return
    kind = spec.kind
    try:
        if kind == "dict":
            to_physical(spec.data_type, spec.default)
        elif kind == "num":
            if isinstance(spec.default, bool) or not isinstance(spec.default, (int, float, np.number)):
                raise TypeError
            if spec.data_type in (T.INT, T.LONG) and float(spec.default) != int(spec.default):
                raise TypeError
        else:
            np.asarray(spec.default, dtype=T.NUMPY_DTYPES[spec.data_type])
    except (TypeError, ValueError):
        raise ValueError(
            f"Default value {spec.default!r} of column {spec.name!r} does not match its type {spec.data_type}."
        ) from None


def encode(spec: ColumnSpec, array: pa.ChunkedArray | pa.Array | None, n: int, dictionary: Dictionary | None) -> Encoded:
    """Arrow data of one column (None when the batch lacks the column) -> stored form."""
    kind = spec.kind
    if kind == "dict":
        assert dictionary is not None
        if array is None:
            code = dictionary.codes_of_keys([to_physical(spec.data_type, spec.default)])[0]
            return Encoded(np.full(n, code, code_dtype_for(len(dictionary))))
        return Encoded(dictionary.encode_arrow(array, spec.default))
    if kind == "num":
        dtype = T.NUMPY_DTYPES[spec.data_type]
        if array is None:
            if spec.default is not None:
                return Encoded(np.full(n, spec.default, dtype))
            if dtype.kind == "f":
                return Encoded(np.full(n, np.nan, dtype))
            return Encoded(np.zeros(n, dtype), np.zeros(n, np.bool_))
        if isinstance(array, pa.ChunkedArray):
            # concat_arrays, not combine_chunks: the latter ignores its memory_pool (pyarrow 26).
            if array.num_chunks == 0:
                array = pa.array([], array.type)
            elif array.num_chunks == 1:
                array = array.chunk(0)
            else:
                array = pa.concat_arrays(array.chunks, memory_pool=pool())
        if array.null_count:
            valid = pc.is_valid(array).to_numpy(zero_copy_only=False)
            if spec.default is not None:
                array = pc.fill_null(array, pa.scalar(spec.default, array.type))
                return Encoded(array.to_numpy(zero_copy_only=False).astype(dtype, copy=False))
            if dtype.kind == "f":
                return Encoded(array.to_numpy(zero_copy_only=False).astype(dtype, copy=False))
            filled = pc.fill_null(array, pa.scalar(0, array.type))
            return Encoded(filled.to_numpy(zero_copy_only=False).astype(dtype, copy=False), valid)
        return Encoded(array.to_numpy(zero_copy_only=False).astype(dtype, copy=False))
    # arrays: one numpy vector per row
    dtype = T.NUMPY_DTYPES[spec.data_type]
    out = np.empty(n, dtype=object)
    default = None if spec.default is None else np.asarray(spec.default, dtype=dtype)
    if array is None:
        out[:] = [default] * n
        return Encoded(out)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    _split_lists(array, dtype, default, out)
    return Encoded(out)


def _split_lists(array: pa.Array, dtype: np.dtype, default: np.ndarray | None, out: np.ndarray) -> None:
    """One numpy vector per row of an Arrow list array, cut from its flat values (no per-element
    Python objects: a load of P&L vectors costs one conversion, not one per row)."""
    if pa.types.is_fixed_size_list(array.type):
        array = array.cast(pa.list_(array.type.value_type))
    flat = array.values
    if flat.null_count:  # missing elements: element by element, as Arrow gives them
        for i, item in enumerate(array):
            values = item.values
            out[i] = default if values is None else values.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
        return
    offsets = np.asarray(array.offsets).astype(np.int64)
    values = flat.to_numpy(zero_copy_only=False).astype(dtype, copy=False)
    valid = np.ones(len(array), np.bool_) if not array.null_count else np.asarray(array.is_valid())
    lengths = np.diff(offsets)
    width = int(lengths[0]) if len(lengths) else 0
    if valid.all() and (lengths == width).all():
        # The common case: every row holds a vector of one length; rows are views of one block.
        rows = list(values[offsets[0] : offsets[0] + len(array) * width].reshape(len(array), width))
    else:
        rows = [values[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    for i, row in enumerate(rows):
        out[i] = row if valid[i] else default


def key_part(spec: ColumnSpec, values: np.ndarray) -> np.ndarray:
    """Stored values of a key column -> the int64 key part the index hashes."""
    if spec.kind == "dict":
        return values.astype(np.int64, copy=False)
    if values.dtype.kind == "f":
        # Bits of the float; +0.0 and -0.0 are the same key.
        return (values.astype(np.float64) + 0.0).view(np.int64)
    return values.astype(np.int64, copy=False)


def dictionary_arrow(spec: ColumnSpec, dictionary: Dictionary) -> pa.Array:
    """The dictionary's values as an Arrow array of the column's type (code -> value)."""
    keys = [dictionary.key(i) for i in range(len(dictionary))]
    dt = spec.data_type
    if dt == T.LOCAL_DATE:
        return pa.array(keys, pa.int32()).cast(pa.date32())
    if dt in (T.LOCAL_DATE_TIME, T.ZONED_DATE_TIME, T.LOCAL_TIME):
        raw = pa.array(keys, pa.int64())
        return raw.cast(T.ARROW_TYPES[dt])
    return pa.array(keys, T.ARROW_TYPES[dt])


def decode(spec: ColumnSpec, values: np.ndarray, valid: np.ndarray | None, dictionary: Dictionary | None) -> pa.Array:
    """Stored values of some rows -> an Arrow array of the column's type."""
    kind = spec.kind
    if kind == "dict":
        assert dictionary is not None
        return dictionary_arrow(spec, dictionary).take(pa.array(values.astype(np.int32, copy=False)))
    if kind == "num":
        mask = None if valid is None else ~valid
        if values.dtype.kind == "f" and spec.default is None:
            nan = np.isnan(values)
            mask = nan if mask is None else (mask | nan)
        return pa.array(values, T.ARROW_TYPES[spec.data_type], mask=mask if mask is not None and mask.any() else None)
    return pa.array([None if v is None else v.tolist() for v in values], T.ARROW_TYPES[spec.data_type])
