"""CellSet -> pandas DataFrame in atoti's shape.

pretty: levels as the index (top level first), "Total" on the grand total row and blanks for the
levels below a subtotal; the frame prints the measures' formatted values.
raw: levels as columns (None on total rows), a RangeIndex, plain values.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..plan.evaluate import Vec, is_integer_type
from ..plan.query import CellSet
from .frame import QueryResult


def _column(vec: Vec, data_type: str) -> Any:
    if is_integer_type(data_type):
        values = vec.values.astype(np.int64, copy=False)
        if vec.present.all():
            return values
        return pd.array(np.where(vec.present, values, 0), dtype="Int64").where(vec.present, pd.NA) \
            if False else pd.arrays.IntegerArray(np.where(vec.present, values, 0), ~vec.present)
    values = vec.values.astype(np.float64, copy=False)
    return np.where(vec.present, values, np.nan)


def _level_values(cells: CellSet, i: int, *, pretty: bool) -> list[Any]:
    members = cells.levels[i].members.values
    idx = cells.member_index[i]
    out: list[Any] = []
    for row, m in enumerate(idx):
        if m >= 0:
            out.append(members[m])
        elif not pretty:
            out.append(None)
        else:
            # The grand total row says "Total" on the first level; subtotals leave lower levels blank.
            out.append("Total" if i == 0 or cells.member_index[0][row] < 0 and i == 0 else "")
    return out


def to_frame(cells: CellSet, *, mode: str, formatters: Mapping[str, str | None]) -> pd.DataFrame:
    data = {name: _column(vec, cells.types[name]) for name, vec in cells.values.items()}
    names = [g.ref.level for g in cells.levels]
    n = cells.row_count if cells.levels else (len(next(iter(data.values()))) if data else 0)
    if mode == "raw":
        frame = pd.DataFrame({**{name: _level_values(cells, i, pretty=False) for i, name in enumerate(names)}, **data})
        return frame.reset_index(drop=True)
    if cells.levels:
        arrays = [_level_values(cells, i, pretty=True) for i in range(len(names))]
        if len(arrays) == 1:
            index: pd.Index = pd.Index(arrays[0], name=names[0], tupleize_cols=False)
        else:
            index = pd.MultiIndex.from_arrays(arrays, names=names)
    else:
        index = pd.RangeIndex(n)
    frame = pd.DataFrame(data, index=index, columns=list(cells.values))
    return QueryResult.from_frame(frame, formatters)
