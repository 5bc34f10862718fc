"""Evaluate a condition on the columns of one table snapshot -> one boolean mask per segment.

Dictionary columns are tested once per dictionary value (a lookup table over codes), then the
codes are mapped through it: a filter costs one gather per row whatever the predicate.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..expr.condition import And, ColumnRef, Compare, IsIn, IsNull, Node, Not, Or
from .dictionary import to_physical
from .table import TableSnapshot, TableStore

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _physical(store: TableStore, column: str, value: Any) -> Any:
    spec = store.columns[column]
    try:
        return to_physical(spec.data_type, value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Cannot compare column {column!r} of type {spec.data_type} with {value!r}: {e}") from None


def _dict_lut(store: TableStore, column: str, test: Callable[[Any], bool]) -> np.ndarray:
    d = store.dictionaries[column]
    return np.fromiter((bool(test(d.key(c))) for c in range(len(d))), dtype=np.bool_, count=len(d))


def _column(node: Node, table: str) -> str:
    subject = node.subject  # type: ignore[union-attr]
    if not isinstance(subject, ColumnRef) or subject.table != table:
        raise ValueError(f"Condition on {subject} cannot filter table {table!r}.")
    return subject.column


def row_masks(store: TableStore, snap: TableSnapshot, node: Node) -> list[np.ndarray]:
    """Per segment of `snap`, which rows satisfy `node`."""
    if isinstance(node, And):
        masks = [np.ones(n, np.bool_) for n in snap.lengths]
        for part in node.parts:
            masks = [m & p for m, p in zip(masks, row_masks(store, snap, part))]
        return masks
    if isinstance(node, Or):
        masks = [np.zeros(n, np.bool_) for n in snap.lengths]
        for part in node.parts:
            masks = [m | p for m, p in zip(masks, row_masks(store, snap, part))]
        return masks
    if isinstance(node, Not):
        return [~m for m in row_masks(store, snap, node.part)]
    column = _column(node, store.name)
    if column not in store.columns:
        raise KeyError(f"Table {store.name!r} has no column {column!r}.")
    spec = store.columns[column]
    values = snap.columns[column]
    valids = snap.valid[column]
    if spec.kind == "dict":
        lut = _dict_predicate(store, column, node)
        return [lut[v] if len(lut) else np.zeros(len(v), np.bool_) for v in values]
    if spec.kind == "array":
        raise TypeError(f"Cannot filter on array column {column!r}.")
    out = []
    for vals, valid in zip(values, valids):
        present = valid if valid is not None else (~np.isnan(vals) if vals.dtype.kind == "f" else None)
        if isinstance(node, IsNull):
            out.append(~present if present is not None else np.zeros(len(vals), np.bool_))
            continue
        if isinstance(node, IsIn):
            m = np.isin(vals, np.asarray([v for v in node.values if v is not None], dtype=vals.dtype))
            if None in node.values and present is not None:
                m |= ~present
        else:
            assert isinstance(node, Compare)
            if node.value is None:
                m = ~present if present is not None else np.zeros(len(vals), np.bool_)
                if node.op == "!=":
                    m = ~m
                out.append(m)
                continue
            m = _OPS[node.op](vals, node.value)
        if present is not None:
            m &= present
        out.append(m)
    return out


def _dict_predicate(store: TableStore, column: str, node: Node) -> np.ndarray:
    if isinstance(node, IsNull):
        return _dict_lut(store, column, lambda k: k is None)
    if isinstance(node, IsIn):
        wanted = {_physical(store, column, v) for v in node.values}
        return _dict_lut(store, column, lambda k: k in wanted)
    assert isinstance(node, Compare)
    target = _physical(store, column, node.value)
    op = _OPS[node.op]
    if node.op in ("==", "!="):
        return _dict_lut(store, column, lambda k: op(k, target))
    # Ordering comparisons never match a missing value.
    return _dict_lut(store, column, lambda k: k is not None and target is not None and op(k, target))
