"""Measures evaluated on a set of locations of a query's grid (see grid.py).

A context caches the measures it has evaluated; navigation (navigation.py) evaluates measures in
other contexts: the same grid at moved locations, or a grid scanned under other filters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..expr.condition import IsNull
from ..expr.measure import Agg, Node
from .evaluate import Vec, evaluate
from .grid import Grid, Locations
from .members import test_members

# Builds the same grid scanned with another query filter (None: the query's own).
GridFactory = Callable[[Any], Grid]


class CellContext:
    def __init__(self, grid: Grid, loc: Locations, n: int, nodes: dict[str, Node], variant: GridFactory) -> None:
        self.grid, self.loc, self.n, self.nodes = grid, loc, n, nodes
        self.variant = variant
        self._measures: dict[str, Vec] = {}
        self._contexts: dict[tuple[int, bytes], CellContext] = {}

    def leaf(self, agg: Agg) -> Vec:
        return self.grid.leaf(agg, self.loc, self.n)

    def measure(self, name: str) -> Vec:
        found = self._measures.get(name)
        if found is None:
            found = self._measures[name] = evaluate(self.nodes[name], self)
        return found

    def value(self, node: Node) -> Vec:
        return evaluate(node, self)

    def navigate(self, node: Any) -> Vec:
        from .navigation import navigate

        return navigate(node, self)

    def at(self, loc: Locations, grid: Grid | None = None) -> CellContext:
        """The context of other locations (on this grid unless another is given); shared so
        that a measure moved the same way twice is evaluated once."""
        grid = grid or self.grid
        n = len(loc[0]) if len(loc) else self.n
        key = (id(grid), b"".join(np.ascontiguousarray(lv).tobytes() for lv in loc) + n.to_bytes(8, "little"))
        found = self._contexts.get(key)
        if found is None:
            found = self._contexts[key] = CellContext(grid, loc, n, self.nodes, self.variant)
            found._contexts = self._contexts
        return found

    def level_test(self, cond: Any) -> np.ndarray:
        """A condition on a level, per location: a level the location does not fix is null."""
        ref = cond.subject
        i = self.grid.level_index(ref.dimension, ref.hierarchy, ref.level)
        if i is None:
            return np.full(self.n, isinstance(cond, IsNull), np.bool_)
        members = self.grid.groups[i].members.values
        ok = test_members(cond, members) if members else np.zeros(0, np.bool_)
        idx = self.loc[i]
        fixed = idx >= 0
        out = np.full(self.n, isinstance(cond, IsNull), np.bool_)
        out[fixed] = ok[idx[fixed]]
        return out
