"""Codes of any column that serves as a level or a join key.

Dictionary-encoded columns already hold codes. Numeric columns get a dictionary the first time they
are used that way; their codes are built per segment and cached by segment identity, so a new
append only encodes the new rows.
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa

from .dictionary import Dictionary
from .table import TableSnapshot, TableStore

_lock = threading.Lock()


def column_codes(store: TableStore, column: str, snap: TableSnapshot) -> tuple[Dictionary, tuple[np.ndarray, ...]]:
    """(dictionary, one code array per segment of `snap`) for `column`."""
    spec = store.columns[column]
    if spec.kind == "dict":
        return store.dictionaries[column], snap.columns[column]
    if spec.kind == "array":
        raise TypeError(f"Column {column!r} of type {spec.data_type} cannot be a level or a join key.")
    with _lock:
        cache = store.derived
        dictionary = cache.get(("dict", column))
        if dictionary is None:
            dictionary = cache[("dict", column)] = Dictionary(spec.data_type)
        out = []
        for (uid, epoch), values, valid in zip(snap.segment_ids, snap.columns[column], snap.valid[column]):
            if uid < 0:
                # Rows outside the table's segments (a live query's delta): encode, never cache.
                out.append(_encode(dictionary, values, valid))
                continue
            known = cache.get((column, uid))
            if known is not None and known[0] == epoch and len(known[1]) >= len(values):
                out.append(known[1][: len(values)])
                continue
            start = len(known[1]) if known is not None and known[0] == epoch else 0
            new = _encode(dictionary, values[start:], None if valid is None else valid[start:])
            codes = np.concatenate([known[1], new]) if start else new
            cache[(column, uid)] = (epoch, codes)
            out.append(codes)
        return dictionary, tuple(out)


def _encode(dictionary: Dictionary, values: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    mask = None if valid is None else ~valid
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        mask = nan if mask is None else mask | nan
    array = pa.array(values, mask=mask if mask is not None and mask.any() else None)
    codes = dictionary.encode_arrow(array, None)
    return codes.astype(np.int32)


def codes_by_row(store: TableStore, column: str, snap: TableSnapshot) -> tuple[Dictionary, np.ndarray]:
    """(dictionary, codes of every row concatenated): for the small tables on the 'one' side of joins."""
    dictionary, parts = column_codes(store, column, snap)
    if not parts:
        return dictionary, np.empty(0, np.int64)
    return dictionary, np.concatenate(parts).astype(np.int64) if len(parts) > 1 else parts[0].astype(np.int64)


def code_counts(store: TableStore, column: str, snap: TableSnapshot) -> np.ndarray:
    """Rows per code of `column` (int64, one entry per dictionary code), cached per segment.

    Queries grouping by one column learn which members have rows from this, instead of marking
    cells row by row in the scan.
    """
    dictionary, parts = column_codes(store, column, snap)
    size = len(dictionary)
    total = np.zeros(size, np.int64)
    with _lock:
        cache = store.derived
        for (uid, epoch), codes in zip(snap.segment_ids, parts):
            if uid < 0:
                extra = np.bincount(codes, minlength=size)
                total[: len(extra)] += extra[:size]
                continue
            key = ("counts", column, uid)
            known = cache.get(key)
            if known is None or known[0] != epoch or known[1] > len(codes):
                known = (epoch, 0, np.zeros(0, np.int64))
            epoch_, counted, counts = known
            if counted < len(codes):
                # The dictionary only grows: new counts are at least as long as the cached ones.
                extra = np.bincount(codes[counted:], minlength=size)
                counts = extra + np.pad(counts, (0, len(extra) - len(counts)))
                cache[key] = (epoch_, len(codes), counts)
            total[: len(counts)] += counts[:size]
    return total
