"""``tt.agg.distinct``: the array of the distinct values of a column among the rows of each cell.

The scan gives the same distinct (cell, value code) pairs as a distinct count (scan.py), and
totals unite them (cells.State.regroup); here the codes become values. Cells hold arrays of
different lengths, so a cell value is one numpy vector in an object array (not the 2-D block of
fixed-length array measures, arrays.py). Each vector lists the values in their natural order
(atoti leaves the order unspecified); missing values are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import types as T
from ..expr.condition import ColumnRef
from ..store.dictionary import Dictionary
from ..store.encoded import column_codes
from .evaluate import Vec
from .levels import join_path

if TYPE_CHECKING:
    from .query import QueryRunner

# Java's name for an array of objects: what atoti reports for the distinct values of a non-numeric column.
OBJECT_ARRAY = "Object[]"
_NUMERIC_ARRAYS = {T.INT: T.INT_ARRAY, T.LONG: T.LONG_ARRAY, T.FLOAT: T.FLOAT_ARRAY, T.DOUBLE: T.DOUBLE_ARRAY}


def distinct_type(column_type: str) -> str:
    if T.is_array(column_type):
        raise TypeError(f"tt.agg.distinct() takes a column of single values, not of {column_type}.")
    return _NUMERIC_ARRAYS.get(column_type, OBJECT_ARRAY)


def value_dictionary(runner: QueryRunner, ref: ColumnRef) -> Dictionary:
    """The dictionary whose codes the scan's distinct pairs of column `ref` hold."""
    base = runner.model.base_table
    base_store = runner.store.tables[base]
    snap = runner.resolver.snapshot(base)
    if ref.table == base:
        return column_codes(base_store, ref.column, snap)[0]
    path = join_path(runner.store, base, ref.table)
    source = path[0].mapping[0][0]
    source_dict, _ = column_codes(base_store, source, snap)
    return runner.resolver.follow(path, source, source_dict, ref.column)[0]


def _known(python: np.ndarray) -> np.ndarray:
    """Per code: whether its value is known (missing values are not listed)."""
    return np.fromiter((v is not None for v in python), np.bool_, len(python))


def distinct_values(pairs: tuple[np.ndarray, np.ndarray], n: int, dictionary: Dictionary) -> Vec:
    """Per cell 0..n-1, the vector of its distinct values (None where the cell has none)."""
    cell_pos, codes = pairs
    python = dictionary.python_values()
    ranks = dictionary.ranks()
    codes = np.asarray(codes, np.int64)
    keep = _known(python)[codes]
    cell_pos, codes = np.asarray(cell_pos, np.int64)[keep], codes[keep]
    order = np.lexsort((ranks[codes], cell_pos))
    cell_pos, codes = cell_pos[order], codes[order]
    bounds = np.searchsorted(cell_pos, np.arange(n + 1))
    element: Callable[[np.ndarray], Any]
    if dictionary.data_type in T.NUMPY_DTYPES:
        dtype = T.NUMPY_DTYPES[dictionary.data_type]

        def element(chosen: np.ndarray) -> Any:
            return np.asarray(python[chosen].tolist(), dtype)
    else:
        def element(chosen: np.ndarray) -> Any:
            return python[chosen].copy()
    out = np.full(n, None, dtype=object)
    present = bounds[1:] > bounds[:-1]
    for k in np.flatnonzero(present):
        out[k] = element(codes[bounds[k]: bounds[k + 1]])
    return Vec(out, present)


def single_values(pairs: tuple[np.ndarray, np.ndarray], n: int, dictionary: Dictionary) -> Vec:
    """Per cell 0..n-1, the value shared by all its rows (missing values aside); empty when they
    differ: tt.agg.single_value of a column that is not numeric (strings, dates...)."""
    cell_pos, codes = pairs
    python = dictionary.python_values()
    codes = np.asarray(codes, np.int64)
    keep = _known(python)[codes]
    cell_pos, codes = np.asarray(cell_pos, np.int64)[keep], codes[keep]
    counts = np.bincount(cell_pos, minlength=n)
    present = counts == 1
    out = np.full(n, None, dtype=object)
    alone = present[cell_pos]
    out[cell_pos[alone]] = python[codes[alone]]
    return Vec(out, present)


def distinct_groups(values: np.ndarray, group: np.ndarray, n: int, dtype: np.dtype) -> Vec:
    """Per group 0..n-1, the vector of the sorted distinct `values` of its members (a scoped
    tt.agg.distinct of a measure: numbers, or strings and dates such as max_member's)."""
    out = np.full(n, None, dtype=object)
    present = np.zeros(n, np.bool_)
    if not len(values):
        return Vec(out, present)
    uniques, codes = np.unique(values, return_inverse=True)
    pairs = np.unique(group.astype(np.int64) * len(uniques) + codes.reshape(-1))
    cells, codes = pairs // len(uniques), pairs % len(uniques)
    bounds = np.searchsorted(cells, np.arange(n + 1))
    present = bounds[1:] > bounds[:-1]
    element_dtype = dtype if dtype != object else object
    for k in np.flatnonzero(present):
        out[k] = uniques[codes[bounds[k]: bounds[k + 1]]].astype(element_dtype)
    return Vec(out, present)


# Agg func of tt.agg.single_value over a column that is not numeric: computed from distinct pairs.
SINGLE_MEMBER = "single_member"

__all__ = ["OBJECT_ARRAY", "SINGLE_MEMBER", "distinct_groups", "distinct_type", "distinct_values", "single_values", "value_dictionary"]
