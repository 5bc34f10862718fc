"""Leaf accumulators of a query maintained under changes: merge, retract, renumber.

A live query holds the per-cell accumulators of its leaf aggregates (a ScanResult, rows counted).
The contribution of changed rows is a ScanResult of the same plan over just those rows, so:

- added rows: sums, counts and present counts add; minima and maxima combine; distinct-count
  (cell, value) pairs are united;
- removed rows (drops, old values of upserts): sums and counts subtract. Removed rows may have
  been added by the same batch of commits, so they are retracted after the additions, from a
  held state that contains them. A minimum or maximum is unchanged when every removed value is
  strictly above the cell's minimum (below its maximum); otherwise, and for distinct counts (a
  pair does not say how many rows hold it), the caller rescans (see `retractable`);
- new members renumber the cells: `renumber` moves the held accumulators to the new plan's cells.
"""

from __future__ import annotations

import numpy as np

from ..backends.memory.execute import Accumulated
from ..backends.memory.kernels import Accumulator
from ..plan.query import Prepared
from ..plan.scan import ScanResult


def _fill(func: str, dtype: np.dtype) -> int | float:
    """The value of an accumulator in a cell without rows."""
    if func == "min":
        return np.inf if dtype.kind == "f" else np.iinfo(np.int64).max
    if func == "max":
        return -np.inf if dtype.kind == "f" else np.iinfo(np.int64).min
    return 0


def _present(acc: Accumulated, a: int) -> np.ndarray:
    """Present-value counts of accumulator `a`; a scan that saw no missing value keeps none, and
    then every row is present."""
    p = acc.present[a]
    return p if p is not None else acc.rows.copy()


def _align(held: ScanResult, delta: ScanResult) -> None:
    """Make the held result keep present counts wherever the delta has them (whether a scan keeps
    them depends on the rows it saw)."""
    accs = []
    for a, (mine, theirs) in enumerate(zip(held.accumulators, delta.accumulators)):
        if theirs.nullable and held.accumulated.present[a] is None:
            held.accumulated.present[a] = held.accumulated.rows.copy()
        accs.append(Accumulator(mine.func, mine.operand, mine.nullable or theirs.nullable))
    held.accumulators = accs


def add(held: ScanResult, delta: ScanResult) -> None:
    """Fold the contribution of added rows into `held` (in place)."""
    _align(held, delta)
    h, d = held.accumulated, delta.accumulated
    h.rows += d.rows
    for a, acc in enumerate(held.accumulators):
        if acc.func == "min":
            np.minimum(h.arrays[a], d.arrays[a], out=h.arrays[a])
        elif acc.func == "max":
            np.maximum(h.arrays[a], d.arrays[a], out=h.arrays[a])
        else:
            h.arrays[a] += d.arrays[a]
        if h.present[a] is not None:
            h.present[a] += _present(d, a)
    for leaf, pairs in delta.distinct.items():
        held.distinct[leaf] = _union(held.distinct[leaf], pairs)


def retractable(held: ScanResult, removed: ScanResult) -> bool:
    """Whether subtracting `removed` leaves every leaf aggregate exact (see module docstring)."""
    if any(pairs.shape[1] for pairs in removed.distinct.values()):
        return False
    h, r = held.accumulated, removed.accumulated
    for a, acc in enumerate(removed.accumulators):
        if acc.func not in ("min", "max"):
            continue
        cells = (_present(r, a) if acc.nullable else r.rows) > 0
        gone, kept = r.arrays[a][cells], h.arrays[a][cells]
        if (gone <= kept).any() if acc.func == "min" else (gone >= kept).any():
            return False
    return True


def retract(held: ScanResult, removed: ScanResult) -> None:
    """Take the contribution of removed rows out of `held` (in place); `retractable` was true."""
    _align(held, removed)
    h, r = held.accumulated, removed.accumulated
    h.rows -= r.rows
    empty = h.rows <= 0
    for a, acc in enumerate(held.accumulators):
        if acc.func not in ("min", "max"):
            h.arrays[a] -= r.arrays[a]
        if h.present[a] is not None:
            h.present[a] -= _present(r, a)
            gone = h.present[a] <= 0
        else:
            gone = empty
        # A cell (or a value) that lost all its rows starts again from nothing: no stale minimum,
        # no float residue of subtractions.
        h.arrays[a][gone | empty] = _fill(acc.func, h.arrays[a].dtype)


def _union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distinct (cell, value code) pairs of both (2, n) arrays."""
    if not b.shape[1]:
        return a
    if not a.shape[1]:
        return b
    both = np.concatenate([a, b], axis=1)
    width = int(both[1].max()) + 1
    keys = np.unique(both[0] * width + both[1])
    return np.stack([keys // width, keys % width])


def _same_filters(old: Prepared, new: Prepared) -> bool:
    """Whether the new plan excludes exactly the members the old one did (a slicing hierarchy's
    default member can change when a new member sorts first)."""
    if set(old.luts) != set(new.luts) or set(old.masks) != set(new.masks):
        return False
    for source, lut in old.luts.items():
        if source in old.masks:
            continue
        fresh = new.luts[source]
        if len(fresh) < len(lut) or not np.array_equal(fresh[: len(lut)] < 0, lut < 0):
            return False
    return True


def renumber(old: Prepared, new: Prepared, held: ScanResult) -> ScanResult | None:
    """`held` (cells of `old`) moved to the cells of `new`, a plan of the same query after new
    members appeared; None when the plans filter differently (then rescan)."""
    if len(old.groups) != len(new.groups) or not _same_filters(old, new):
        return None
    maps = []
    for g_old, g_new in zip(old.groups, new.groups):
        position = {v: i for i, v in enumerate(g_new.members.values)}
        try:
            maps.append(np.array([position[v] for v in g_old.members.values], np.int64))
        except KeyError:
            return None  # a member disappeared: not a pure addition

    def move(cells: np.ndarray) -> np.ndarray:
        out = np.zeros(len(cells), np.int64)
        for i, mapping in enumerate(maps):
            digit = (cells // old.strides[i]) % max(old.cards[i], 1)
            out += mapping[digit] * new.strides[i]
        return out

    h = held.accumulated
    cells = np.flatnonzero(h.rows > 0)
    target = move(cells)
    n = new.n_cells
    rows = np.zeros(n, h.rows.dtype)
    rows[target] = h.rows[cells]
    arrays, present = [], []
    for acc, arr, p in zip(held.accumulators, h.arrays, h.present):
        out = np.full(n, _fill(acc.func, arr.dtype), arr.dtype)
        out[target] = arr[cells]
        arrays.append(out)
        if p is None:
            present.append(None)
        else:
            q = np.zeros(n, p.dtype)
            q[target] = p[cells]
            present.append(q)
    distinct = {leaf: np.stack([move(pairs[0]), pairs[1]]) if pairs.shape[1] else pairs
                for leaf, pairs in held.distinct.items()}
    for leaf, pairs in distinct.items():
        if pairs.shape[1]:
            # Renumbering keeps member order within a level but not the pairs' global order.
            order = np.lexsort((pairs[1], pairs[0]))
            distinct[leaf] = pairs[:, order]
    return ScanResult(Accumulated(rows, arrays, present), list(held.accumulators), dict(held.acc_of_leaf), distinct)


__all__ = ["add", "renumber", "retract", "retractable"]
