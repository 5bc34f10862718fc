"""CellSet -> pandas DataFrame in atoti's shape.

pretty: levels as the index (top level first), "Total" on the grand total row and blanks for the
levels below a subtotal; the frame prints the measures' formatted values.
raw: levels as columns (None on total rows), a RangeIndex, plain values.

The index is built from member codes (pandas' own categorical representation), never row by row,
so a result of hundreds of thousands of cells costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import types as T
from ..plan.arrays import to_objects
from ..plan.evaluate import Vec, is_integer_type
from ..plan.query import CellSet
from .frame import QueryResult


def _column(vec: Vec, data_type: str) -> Any:
    if T.is_array(data_type):  # arrays hook: one numpy vector per row (see plan/arrays.py)
        return to_objects(vec, data_type)
    if vec.values.dtype == object:  # members (tt.agg.max_member), ragged arrays (tt.agg.distinct)
        out = vec.values.copy()
        out[~vec.present] = None
        return out
    if data_type == T.BOOLEAN:  # e.g. tt.math.isnan
        values = vec.values.astype(np.bool_, copy=False)
        return values if vec.present.all() else pd.arrays.BooleanArray(values, ~vec.present)
    if is_integer_type(data_type):
        if vec.present.all():
            return vec.values.astype(np.int64, copy=False)
        # Empty cells may hold NaN: zero them before the integer cast, mask them after.
        values = np.where(vec.present, vec.values, 0).astype(np.int64)
        return pd.arrays.IntegerArray(values, ~vec.present)
    values = vec.values.astype(np.float64, copy=False)
    return values if vec.present.all() else np.where(vec.present, values, np.nan)


def _members(cells: CellSet, i: int) -> np.ndarray:
    values = cells.levels[i].members.values
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _pretty_level(cells: CellSet, i: int) -> tuple[pd.Index, np.ndarray]:
    """(level values, codes) of index level i; total rows point at "Total" (first level) or ""."""
    members = _members(cells, i)
    codes = cells.member_index[i]
    if (codes >= 0).all():
        return pd.Index(list(members)), codes
    blank = "Total" if i == 0 else ""
    values = pd.Index([*members, blank], dtype=object)
    return values, np.where(codes < 0, len(members), codes)


def to_frame(cells: CellSet, *, mode: str, formatters: Mapping[str, str | None],
             context: Mapping[str, Any] | None = None) -> pd.DataFrame:
    data = {name: _column(vec, cells.types[name]) for name, vec in cells.values.items()}
    names = [g.ref.level for g in cells.levels]
    if mode == "raw":
        levels = {}
        for i, name in enumerate(names):
            codes = cells.member_index[i]
            values = np.append(_members(cells, i), None)
            levels[name] = values[np.where(codes < 0, len(values) - 1, codes)]
        return pd.DataFrame({**levels, **data})
    if cells.levels:
        parts = [_pretty_level(cells, i) for i in range(len(names))]
        if len(parts) == 1:
            values, codes = parts[0]
            index: pd.Index = pd.Index(values.take(codes), name=names[0], tupleize_cols=False)
        else:
            index = pd.MultiIndex(levels=[p[0] for p in parts], codes=[p[1] for p in parts], names=names,
                                  verify_integrity=False)
    else:
        index = pd.RangeIndex(len(next(iter(data.values()))) if data else 0)
    frame = pd.DataFrame(data, index=index, columns=list(cells.values))
    return QueryResult.from_frame(frame, formatters, context=context)
