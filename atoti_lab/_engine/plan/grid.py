"""The cells of a query as a grid of locations, and leaf aggregates at any location of it.

A *location* gives, for every grouping level of the query, a member index or -1 when the level is
aggregated (the "all" member). Result rows are locations (totals have trailing -1s); hierarchy
navigation (parent values, shifts, cumulative scopes...) moves locations around before evaluating
a measure there. Leaf aggregates at locations of any *pattern* (which levels are fixed) come from
re-aggregating the leaf cells' accumulators over the fixed levels, once per pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..expr.measure import Agg
from .evaluate import Vec

if TYPE_CHECKING:
    from .cells import State
    from .query import GroupLevel

# Per grouping level: member indices (int64), -1 where the level is aggregated.
Locations = tuple[np.ndarray, ...]


@dataclass
class Aggregated:
    """The cells of one pattern: sorted keys and their accumulators."""

    keys: np.ndarray
    state: State
    values: dict[Agg, Vec]


class Grid:
    """Leaf cells of one scan (all grouping levels fixed), re-aggregated on demand."""

    def __init__(self, groups: list[GroupLevel], strides: list[int], cards: list[int], cells: np.ndarray,
                 leaf_state: State, regroup: Callable[[State, np.ndarray], State],
                 leaf_value: Callable[[State, Agg], Vec]) -> None:
        self.groups, self.strides, self.cards = groups, strides, cards
        self.cells = cells
        self.coords = [(cells // s) % max(c, 1) for s, c in zip(strides, cards)]
        self._leaf_state = leaf_state
        self._regroup = regroup
        self._leaf_value = leaf_value
        self._patterns: dict[tuple[bool, ...], Aggregated] = {}

    @property
    def n_levels(self) -> int:
        return len(self.groups)

    def levels_of(self, hierarchy: tuple[str, str]) -> list[int]:
        """Grid positions of a hierarchy's levels, top down (only those the query grouped by)."""
        return [i for i, g in enumerate(self.groups) if g.hierarchy.key == hierarchy]

    def level_index(self, dimension: str, hierarchy: str, level: str) -> int | None:
        for i, g in enumerate(self.groups):
            if (g.ref.dimension, g.ref.hierarchy, g.ref.level) == (dimension, hierarchy, level):
                return i
        return None

    def key(self, loc: Locations | Sequence[np.ndarray], pattern: Sequence[bool]) -> np.ndarray:
        """Mixed-radix keys of locations over the fixed levels of `pattern`."""
        n = len(loc[0]) if len(loc) else 1
        out = np.zeros(n, np.int64)
        for i, fixed in enumerate(pattern):
            if fixed:
                out += loc[i] * self.strides[i]
        return out

    def aggregated(self, pattern: tuple[bool, ...]) -> Aggregated:
        found = self._patterns.get(pattern)
        if found is None:
            if all(pattern):
                found = Aggregated(self.cells, self._leaf_state, {})
            else:
                keys, inverse = np.unique(self.key(self.coords, pattern), return_inverse=True)
                found = Aggregated(keys, self._regroup(self._leaf_state, inverse), {})
            self._patterns[pattern] = found
        return found

    def existing(self, pattern: tuple[bool, ...]) -> Locations:
        """The locations of `pattern` that have rows, in member order."""
        keys = self.aggregated(pattern).keys
        return tuple((keys // s) % max(c, 1) if fixed else np.full(len(keys), -1, np.int64)
                     for s, c, fixed in zip(self.strides, self.cards, pattern))

    def leaf(self, agg: Agg, loc: Locations, n: int) -> Vec:
        """A leaf aggregate's values at `loc` (empty where no row falls in the location)."""
        if not self.n_levels:
            return self._values(self.aggregated(()), agg, np.zeros(n, np.int64))
        fixed = [lv >= 0 for lv in loc]
        pattern_ids = np.zeros(n, np.int64)
        for i, f in enumerate(fixed):
            pattern_ids |= f.astype(np.int64) << i
        uniques = np.unique(pattern_ids)
        if len(uniques) <= 1:
            pattern = tuple(bool(int(uniques[0]) >> i & 1) if n else False for i in range(self.n_levels))
            return self._at(agg, loc, pattern)
        values: np.ndarray | None = None
        present = np.zeros(n, np.bool_)
        for pid in uniques:
            rows = np.flatnonzero(pattern_ids == pid)
            pattern = tuple(bool(int(pid) >> i & 1) for i in range(self.n_levels))
            part = self._at(agg, tuple(lv[rows] for lv in loc), pattern)
            if values is None:  # (n, length) for array measures: arrays hook
                values = np.zeros((n, *part.values.shape[1:]), part.values.dtype)
            elif values.dtype != part.values.dtype:
                values = values.astype(np.result_type(values.dtype, part.values.dtype))
            values[rows] = part.values
            present[rows] = part.present
        assert values is not None
        return Vec(values, present)

    def _at(self, agg: Agg, loc: Locations, pattern: tuple[bool, ...]) -> Vec:
        found = self.aggregated(pattern)
        key = self.key(loc, pattern)
        pos = np.searchsorted(found.keys, key)
        hit = pos < len(found.keys)
        hit[hit] = found.keys[pos[hit]] == key[hit]
        return self._values(found, agg, np.where(hit, pos, 0), hit)

    def _values(self, found: Aggregated, agg: Agg, pos: np.ndarray, hit: np.ndarray | None = None) -> Vec:
        vec = found.values.get(agg)
        if vec is None:
            vec = found.values[agg] = self._leaf_value(found.state, agg)
        if not len(vec.values):
            if vec.values.ndim == 2:  # arrays hook: no cell, still arrays of the right length
                return Vec(np.zeros((len(pos), vec.values.shape[1]), vec.values.dtype), np.zeros(len(pos), np.bool_))
            return Vec.constant(None, len(pos))
        present = vec.present[pos] if hit is None else vec.present[pos] & hit
        return Vec(vec.values[pos], present)
