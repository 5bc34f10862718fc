"""Element-wise SUM and MEAN of array columns, computed beside the fused scalar kernel.

The store keeps an array column as one numpy vector per row. The first query that aggregates it
stacks each segment into a 2-D block (rows x length), cached by segment identity like the codes
of numeric levels, so later queries scan contiguous memory. A small numba kernel adds each row's
vector into its cell's row of a (cells x length) block; totals add those blocks up.

All the arrays a query aggregates must have one length (the P&L-scenario case, where it is the
number of scenarios); a ragged column raises a clear error instead of guessing how to align.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from .. import types as T
from ..expr.measure import Agg, Col
from ..store.table import TableSnapshot, TableStore

if TYPE_CHECKING:
    from .scan import Scan

_lock = threading.Lock()


class RaggedArrays(ValueError):
    pass


@dataclass
class VectorSums:
    """Per cell (of some list of cells): element-wise sums and the rows holding an array."""

    sums: np.ndarray  # (n, length), int64 or float64
    counts: np.ndarray  # (n,) int64

    def take(self, positions: np.ndarray) -> VectorSums:
        """Re-expressed on other cells: `positions[i]` is cell i's row here, or -1 (no rows)."""
        ok = positions >= 0
        safe = np.where(ok, positions, 0)
        sums = self.sums[safe] if len(self.sums) else np.zeros((len(positions), self.sums.shape[1]), self.sums.dtype)
        sums[~ok] = 0
        return VectorSums(sums, np.where(ok, self.counts[safe] if len(self.counts) else 0, 0).astype(np.int64))

    def regroup(self, inverse: np.ndarray, n: int) -> VectorSums:
        """Sums of groups of cells (totals): cell i goes to group `inverse[i]`."""
        sums = np.zeros((n, self.sums.shape[1]), self.sums.dtype)
        every = np.ones(len(inverse), np.bool_)
        _add_rows(inverse.astype(np.int64), np.arange(n, dtype=np.int64), self.sums, every, sums,
                  np.zeros(n, np.int64))
        counts = np.zeros(n, np.int64)
        np.add.at(counts, inverse, self.counts)  # rows below each total, not cells
        return VectorSums(sums, counts)

    def value(self, func: str) -> Any:
        """The cells' values of SUM or MEAN: absent where no row holds an array."""
        from .evaluate import Vec

        has = self.counts > 0
        if func == "sum":
            return Vec(self.sums, has)
        assert func == "mean"
        with np.errstate(invalid="ignore", divide="ignore"):
            return Vec(self.sums / np.maximum(self.counts, 1)[:, None], has)


@njit(cache=True, nogil=True)
def _add_rows(keys, target, block, valid, sums, counts):  # type: ignore[no-untyped-def]
    """sums[target[keys[r]]] += block[r] for every row r with a cell (key >= 0) and an array."""
    width = block.shape[1]
    for r in range(keys.shape[0]):
        k = keys[r]
        if k < 0 or not valid[r]:
            continue
        t = target[k]
        counts[t] += 1
        for j in range(width):
            sums[t, j] += block[r, j]


def is_array_leaf(scan: Scan, leaf: Agg) -> bool:
    """True for SUM / MEAN of an array column (they do not run in the scalar kernel)."""
    if leaf.operand is None or leaf.func in ("count", "count_distinct"):
        return False
    return T.is_array(scan.runner.operand_type(leaf.operand))


def scan_leaf(scan: Scan, leaf: Agg, codes: dict[str, tuple[np.ndarray, ...]], cells: np.ndarray) -> VectorSums:
    """Element-wise sums of `leaf`'s array column per cell, over the cells `cells` (sorted ids of
    the cells with rows), in that order."""
    if not isinstance(leaf.operand, Col) or leaf.operand.ref.table != scan.base:
        raise RaggedArrays(f"tt.agg.{leaf.func} of arrays takes an array column of the base table.")
    column = leaf.operand.ref.column
    blocks, valids = segment_blocks(scan.base_store, column, scan.snap)
    widths = {b.shape[1] for b, n in zip(blocks, scan.snap.lengths) if n}
    if len(widths) > 1:
        raise RaggedArrays(f"Column {column!r} holds arrays of different lengths {sorted(widths)}: "
                           "element-wise aggregation needs arrays of one length.")
    width = widths.pop() if widths else 0
    integer = T.NUMPY_DTYPES[scan.base_store.columns[column].data_type].kind == "i"
    sums = np.zeros((len(cells), width), np.int64 if integer else np.float64)
    counts = np.zeros(len(cells), np.int64)
    target = np.full(scan.n_cells, -1, np.int64)
    target[cells] = np.arange(len(cells))
    for i, length in enumerate(scan.snap.lengths):
        if not length:
            continue
        key = np.zeros(length, np.int64)
        for s in scan.code_sources:
            if s in scan.luts:
                key += scan.luts[s][codes[s][i]]
        _add_rows(key, target, blocks[i], valids[i], sums, counts)
    return VectorSums(sums, counts)


def segment_blocks(store: TableStore, column: str, snap: TableSnapshot) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per segment: its arrays as one 2-D block (int64 or float64) and which rows hold one."""
    spec = store.columns[column]
    dtype = np.dtype(np.int64) if T.NUMPY_DTYPES[spec.data_type].kind == "i" else np.dtype(np.float64)
    blocks, valids = [], []
    with _lock:
        for (uid, epoch), values in zip(snap.segment_ids, snap.columns[column]):
            key = ("vector", column, uid)
            known = store.derived.get(key)
            if uid < 0:  # rows of a change (block_snapshot), not a stored segment: never cached
                block, valid = _stack(values, dtype, column)
            elif known is not None and known[0] == epoch and len(known[1]) >= len(values):
                block, valid = known[1][: len(values)], known[2][: len(values)]
            else:
                # Tail segments grow by appends: only the new rows are stacked.
                start = len(known[1]) if known is not None and known[0] == epoch else 0
                new_block, new_valid = _stack(values[start:], dtype, column)
                if start:
                    if new_block.shape[1] != known[1].shape[1] and len(new_block) and len(known[1]):
                        raise RaggedArrays(f"Column {column!r} holds arrays of different lengths "
                                           f"{sorted({known[1].shape[1], new_block.shape[1]})}: element-wise "
                                           "aggregation needs arrays of one length.")
                    width = max(new_block.shape[1], known[1].shape[1])
                    block = np.concatenate([_widen(known[1], width), _widen(new_block, width)])
                    valid = np.concatenate([known[2], new_valid])
                else:
                    block, valid = new_block, new_valid
                store.derived[key] = (epoch, block, valid)
            blocks.append(block)
            valids.append(valid)
    return blocks, valids


def _widen(block: np.ndarray, width: int) -> np.ndarray:
    """A block of no valid row has width 0; give it the others' width."""
    return block if block.shape[1] == width else np.zeros((len(block), width), block.dtype)


def _stack(values: np.ndarray, dtype: np.dtype, column: str) -> tuple[np.ndarray, np.ndarray]:
    valid = np.fromiter((v is not None for v in values), np.bool_, len(values))
    lengths = {len(v) for v in values[valid]}
    if len(lengths) > 1:
        raise RaggedArrays(f"Column {column!r} holds arrays of different lengths {sorted(lengths)}: "
                           "element-wise aggregation needs arrays of one length.")
    width = lengths.pop() if lengths else 0
    block = np.zeros((len(values), width), dtype)
    if valid.all() and len(values) and width:
        # One concatenation beats np.stack (which reshapes every row first) by a third.
        block[:] = np.concatenate(list(values)).reshape(len(values), width)
    else:
        for i in np.flatnonzero(valid):
            block[i] = values[i]
    return block, valid





def vectors_at(found: np.ndarray, sums: VectorSums, cells: np.ndarray) -> VectorSums:
    """`sums` (over the sorted cell ids `found`) re-expressed on the sorted cell ids `cells`."""
    if not len(found):
        return sums.take(np.full(len(cells), -1, np.int64))
    pos = np.searchsorted(found, cells)
    hit = (pos < len(found)) & (found[np.minimum(pos, len(found) - 1)] == cells)
    return sums.take(np.where(hit, pos, -1))
__all__ = ["RaggedArrays", "VectorSums", "is_array_leaf", "scan_leaf", "segment_blocks", "vectors_at"]
