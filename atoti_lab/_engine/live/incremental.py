"""Leaf accumulators of a query maintained under changes: merge, retract, renumber.

A live query holds the per-cell accumulators of its leaf aggregates (a ScanResult, rows counted).
The contribution of changed rows is a ScanResult of the same plan over just those rows, so:

- added rows: sums, counts and present counts add; products multiply; minima and maxima
  combine; distinct-count (cell, value) pairs are united; median/quantile samples merge in cell
  then value order; element-wise sums of arrays add cell by cell;
- removed rows (drops, old values of upserts): sums and counts subtract. Removed rows may have
  been added by the same batch of commits, so they are retracted after the additions, from a
  held state that contains them. A minimum or maximum is unchanged when every removed value is
  strictly above the cell's minimum (below its maximum); otherwise, and for distinct counts (a
  pair does not say how many rows hold it), products (a zero cannot be divided out) and
  median/quantile samples, the caller recomputes the cells that lost rows: it scans the table
  again with the plan restricted to those cells' members (`restricted_luts`) and `patch`es the
  fresh accumulators of those cells into the held ones;
- new members renumber the cells: `renumber` moves the held accumulators to the new plan's cells.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..backends.memory.execute import Accumulated
from ..backends.memory.kernels import EXCLUDED, Accumulator
from ..plan.array_scan import VectorSums
from ..plan.query import Prepared
from ..plan.scan import ScanResult


def _fill(func: str, dtype: np.dtype) -> int | float:
    """The value of an accumulator in a cell without rows."""
    if func == "min":
        return np.inf if dtype.kind == "f" else np.iinfo(np.int64).max
    if func == "max":
        return -np.inf if dtype.kind == "f" else np.iinfo(np.int64).min
    if func == "prod":
        return 1
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
        elif acc.func == "prod":
            h.arrays[a] *= d.arrays[a]
        else:
            h.arrays[a] += d.arrays[a]
        if h.present[a] is not None:
            h.present[a] += _present(d, a)
    for leaf, pairs in delta.distinct.items():
        held.distinct[leaf] = _union(held.distinct[leaf], pairs)
    for leaf, (cells, values) in delta.samples.items():
        old_cells, old_values = held.samples[leaf]
        cells, values = np.concatenate([old_cells, cells]), np.concatenate([old_values, values])
        order = np.lexsort((values, cells))
        held.samples[leaf] = (cells[order], values[order])
    for leaf, (ids, sums) in delta.vectors.items():
        held.vectors[leaf] = _add_vectors(*held.vectors[leaf], ids, sums, 1)


def retractable(held: ScanResult, removed: ScanResult) -> bool:
    """Whether subtracting `removed` leaves every leaf aggregate exact (see module docstring)."""
    if any(pairs.shape[1] for pairs in removed.distinct.values()):
        return False
    if any(len(cells) for cells, _ in removed.samples.values()):
        return False
    h, r = held.accumulated, removed.accumulated
    for a, acc in enumerate(removed.accumulators):
        if acc.func == "prod" and (r.rows > 0).any():
            return False
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
    for leaf, (ids, sums) in removed.vectors.items():
        held.vectors[leaf] = _add_vectors(*held.vectors[leaf], ids, sums, -1)


def exact_after_removals(held: ScanResult) -> bool:
    """Whether removing rows can always be retracted without looking at the table (sums, counts
    and the like only)."""
    return not held.distinct and not held.samples and all(
        acc.func not in ("min", "max", "prod") for acc in held.accumulators)


def restricted(prepared: Prepared, cells: np.ndarray) -> Prepared:
    """The plan with its scan restricted to the rows of `cells` (and of other cells sharing their
    members of the first level, which come out exact too): the members of that level outside
    them are excluded in its lookup table, so a scan of the table accumulates nothing else."""
    if not prepared.groups or not len(cells):
        return prepared
    source = prepared.groups[0].members.source
    part = np.zeros(len(cells), np.int64)  # the share of the cell id coming from `source`
    for i, group in enumerate(prepared.groups):
        if group.members.source == source:
            part += (cells // prepared.strides[i]) % max(prepared.cards[i], 1) * prepared.strides[i]
    lut = prepared.luts[source]
    keep = (lut >= 0) & np.isin(lut, part)
    return dataclasses.replace(prepared, luts={**prepared.luts, source: np.where(keep, lut, EXCLUDED)})


def patch(held: ScanResult, fresh: ScanResult, cells: np.ndarray) -> None:
    """Replace the accumulators of `cells` in `held` by those of `fresh`, a scan of the same plan
    holding those cells exactly (in place)."""
    _align(held, fresh)
    h, f = held.accumulated, fresh.accumulated
    h.rows[cells] = f.rows[cells]
    for a in range(len(held.accumulators)):
        h.arrays[a][cells] = f.arrays[a][cells]
        if h.present[a] is not None:
            h.present[a][cells] = _present(f, a)[cells]
    for leaf, pairs in held.distinct.items():
        mine, theirs = pairs[:, ~np.isin(pairs[0], cells)], fresh.distinct[leaf]
        both = np.concatenate([mine, theirs[:, np.isin(theirs[0], cells)]], axis=1)
        held.distinct[leaf] = both[:, np.lexsort((both[1], both[0]))]
    for leaf, (old_cells, old_values) in held.samples.items():
        new_cells, new_values = fresh.samples[leaf]
        kept, taken = ~np.isin(old_cells, cells), np.isin(new_cells, cells)
        at = np.concatenate([old_cells[kept], new_cells[taken]])
        values = np.concatenate([old_values[kept], new_values[taken]])
        order = np.lexsort((values, at))
        held.samples[leaf] = (at[order], values[order])
    for leaf, (ids, sums) in held.vectors.items():
        new_ids, new_sums = fresh.vectors[leaf]
        kept, taken = ~np.isin(ids, cells), np.isin(new_ids, cells)
        parts = [(ids[kept], sums.sums[kept], sums.counts[kept]), (new_ids[taken], new_sums.sums[taken],
                                                                   new_sums.counts[taken])]
        parts = [p for p in parts if len(p[0])] or parts[:1]  # empty parts may lack the arrays' width
        at = np.concatenate([p[0] for p in parts])
        order = np.argsort(at, kind="stable")
        held.vectors[leaf] = (at[order], VectorSums(np.concatenate([p[1] for p in parts])[order],
                                                    np.concatenate([p[2] for p in parts])[order]))


def _add_vectors(ids: np.ndarray, sums: VectorSums, more_ids: np.ndarray, more: VectorSums,
                 sign: int) -> tuple[np.ndarray, VectorSums]:
    """Element-wise sums per cell of both (ids: sorted cells with rows), `more` added (sign 1) or
    subtracted (-1); cells left without rows are dropped."""
    every = np.union1d(ids, more_ids)
    total = sums.take(_positions(ids, every))
    other = more.take(_positions(more_ids, every))
    if len(other.sums) and other.sums.shape[1] != total.sums.shape[1] and len(ids):
        raise ValueError("Arrays of different lengths cannot be summed element-wise.")
    out = VectorSums(total.sums + sign * other.sums if len(ids) else sign * other.sums, total.counts + sign * other.counts)
    keep = out.counts > 0
    return every[keep], VectorSums(out.sums[keep], out.counts[keep])


def _positions(ids: np.ndarray, every: np.ndarray) -> np.ndarray:
    """Position of each of `every` in the sorted `ids`, -1 where absent."""
    at = np.searchsorted(ids, every)
    found = at < len(ids)
    found[found] = ids[at[found]] == every[found]
    return np.where(found, at, -1)


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
    samples = {}
    for leaf, (cells, values) in held.samples.items():
        moved = move(cells)
        order = np.lexsort((values, moved))
        samples[leaf] = (moved[order], values[order])
    vectors = {}
    for leaf, (ids, sums) in held.vectors.items():
        moved = move(ids)
        order = np.argsort(moved, kind="stable")
        vectors[leaf] = (moved[order], VectorSums(sums.sums[order], sums.counts[order]))
    return ScanResult(Accumulated(rows, arrays, present), list(held.accumulators), dict(held.acc_of_leaf), distinct,
                      samples, vectors)


__all__ = ["add", "exact_after_removals", "patch", "renumber", "restricted", "retract", "retractable"]
