"""From per-cell accumulators to the rows of a result: totals, row order, measure values.

Totals are re-aggregated from the leaf cells' accumulators (sums of sums, minimum of minima,
union of distinct pairs), never from finished measure values, so MEAN and distinct counts are
right at every level. Rows come in member order with each total before the rows it sums.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..backends.memory.kernels import Accumulator, combine_at
from ..expr.measure import Agg, Col, Node
from ..store.dictionary import Dictionary
from .array_scan import VectorSums
from .distinct import SINGLE_MEMBER, distinct_values, single_values
from .evaluate import ORDER_STATISTICS, Vec, accumulator_parts, finalize
from .grid import Grid, Locations
from .statistics import quantiles


class State:
    """Accumulators of some cells (leaf cells, or totals built from them).

    `pairs`: per distinct count, its distinct (cell position, value code) pairs; `samples`: per
    order statistic (median, quantile), every present (cell position, value) of its operand,
    sorted by cell then value."""

    def __init__(self, rows: np.ndarray, arrays: list[np.ndarray], present: list[np.ndarray | None],
                 pairs: dict[Agg, tuple[np.ndarray, np.ndarray]],
                 samples: dict[Agg, tuple[np.ndarray, np.ndarray]] | None = None,
                 vectors: dict[Agg, VectorSums] | None = None) -> None:
        self.rows, self.arrays, self.present, self.pairs = rows, arrays, present, pairs
        self.samples = samples or {}
        self.vectors = vectors or {}  # arrays hook: element-wise sums of array columns (array_scan.py)

    def regroup(self, inverse: np.ndarray, accumulators: list[Accumulator]) -> State:
        """The accumulators of groups of these cells (`inverse`: each cell's group, 0..n-1)."""
        n = int(inverse.max()) + 1 if len(inverse) else 0
        rows = combine_at("sum", self.rows, inverse, n)
        arrays = [combine_at(acc.func, arr, inverse, n) for acc, arr in zip(accumulators, self.arrays)]
        present = [None if p is None else combine_at("sum", p, inverse, n) for p in self.present]
        pairs = {}
        for leaf, (cell_pos, codes) in self.pairs.items():
            width = int(codes.max(initial=0)) + 1
            merged = np.unique(inverse[cell_pos] * width + codes)
            pairs[leaf] = (merged // width, merged % width)
        samples = {}
        for leaf, (cell_pos, values) in self.samples.items():
            groups = inverse[cell_pos]
            order = np.lexsort((values, groups))
            samples[leaf] = (groups[order], values[order])
        vectors = {leaf: v.regroup(inverse, n) for leaf, v in self.vectors.items()}  # arrays hook
        return State(rows, arrays, present, pairs, samples, vectors)

    def distinct_counts(self, leaf: Agg) -> np.ndarray:
        cell_pos, _ = self.pairs[leaf]
        return np.bincount(cell_pos, minlength=len(self.rows)).astype(np.int64)


def pairs_at(pairs: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (cell, code) pairs re-expressed against the positions of `cells`."""
    cell_ids, codes = pairs
    if not len(cells):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pos = np.searchsorted(cells, cell_ids)
    ok = (pos < len(cells)) & (cells[np.minimum(pos, len(cells) - 1)] == cell_ids)
    return pos[ok], codes[ok]


def empty_rows(hierarchy_of_level: list[tuple[str, str]], cells: np.ndarray, strides: list[int],
               cards: list[int]) -> np.ndarray:
    """include_empty_rows: every combination of the hierarchies' existing member paths."""
    per_h: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(hierarchy_of_level):
        per_h.setdefault(key, []).append(i)
    combos = np.zeros(1, np.int64)
    for idxs in per_h.values():
        part = np.unique(sum(((cells // strides[i]) % max(cards[i], 1)) * strides[i] for i in idxs))
        combos = (combos[:, None] + part[None, :]).ravel()
    return np.unique(np.concatenate([combos, cells]))


def result_rows(grid: Grid, shown: list[int], totals: list[int], include_empty_rows: bool) -> Locations:
    """The locations of a result's rows, in member order with each total before what it sums.

    `shown` are the grid levels the query displays (the grid may hold more, for navigation);
    `totals` the prefixes of `shown` that get total rows (p: the first p shown levels fixed).
    """
    n_levels = grid.n_levels
    if not n_levels:
        return ()
    pattern = tuple(i in shown for i in range(n_levels))
    keys = grid.aggregated(pattern).keys
    if include_empty_rows:
        keys = empty_rows([grid.groups[i].hierarchy.key for i in shown], keys, [grid.strides[i] for i in shown],
                          [grid.cards[i] for i in shown])
    blocks: list[list[np.ndarray]] = [[] for _ in range(n_levels)]

    def add(block_keys: np.ndarray, fixed: set[int]) -> None:
        for i in range(n_levels):
            if i in fixed:
                blocks[i].append((block_keys // grid.strides[i]) % max(grid.cards[i], 1))
            else:
                blocks[i].append(np.full(len(block_keys), -1, np.int64))

    add(keys, set(shown))
    for p in totals:
        kept = shown[:p]
        prefix = np.unique(sum(((keys // grid.strides[i]) % max(grid.cards[i], 1)) * grid.strides[i] for i in kept)
                           if kept else np.zeros(min(len(keys), 1), np.int64))
        add(prefix, set(kept))
    loc = tuple(np.concatenate(b) for b in blocks)
    if totals:
        # Totals sort before the members they sum: -1 comes first on each level.
        order = np.lexsort(tuple(loc[i] for i in reversed(shown)))
        loc = tuple(lv[order] for lv in loc)
    return loc


def leaf_values(state: State, agg: Agg, acc_of_leaf: dict[Agg, int], integer_operand: Callable[[Node], bool],
                dictionary: Callable[[Any], Dictionary] | None = None) -> Vec:
    """A leaf aggregate's values on the cells of `state` (`dictionary`: the value dictionary of a
    column, to decode the pairs of tt.agg.distinct)."""
    if agg in state.vectors:  # arrays hook: SUM / MEAN of an array column
        return state.vectors[agg].value(agg.func)
    if agg.func in ("distinct", SINGLE_MEMBER):
        if dictionary is None or not isinstance(agg.operand, Col):
            raise TypeError(f"tt.agg.{agg.func}() takes a single table column.")
        decode = distinct_values if agg.func == "distinct" else single_values
        return decode(state.pairs[agg], len(state.rows), dictionary(agg.operand.ref))
    if agg.func == "count_distinct":
        counts = state.distinct_counts(agg)
        return Vec(counts, counts > 0)
    if agg.operand is None or agg.func == "count":
        return finalize("count", [], None, state.rows, True)
    if agg.func in ORDER_STATISTICS:
        cell_pos, values = state.samples[agg]
        counts = np.bincount(cell_pos, minlength=len(state.rows))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        params = dict(agg.params)
        q = 0.5 if agg.func == "median" else params["q"]
        out = quantiles(values, starts, counts, q, params.get("mode", "inc"), params.get("interpolation", "linear"))
        return Vec(out, counts > 0)
    a = acc_of_leaf[agg]
    arrays = state.arrays[a: a + len(accumulator_parts(agg.func))]
    return finalize(agg.func, arrays, state.present[a], state.rows, integer_operand(agg.operand), dict(agg.params))


__all__ = ["State", "empty_rows", "leaf_values", "pairs_at", "result_rows"]
