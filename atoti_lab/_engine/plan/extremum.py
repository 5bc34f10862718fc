"""``tt.agg.max_member`` / ``min_member``: the member of a level at which a measure is largest (smallest).

For each location, the measure is evaluated at every existing member of the level under it (the
location's own coordinates kept, the level and the levels above it in its hierarchy fixed), and
the member with the extreme present value wins; ties go to the first member in the level's order.
A location that fixes the level (or a level below it) so stands for a single member: its own.
Cell values are the members themselves (strings, dates...), held in an object array.
"""

from __future__ import annotations

import numpy as np

from ..expr.measure import Nav
from .context import CellContext
from .evaluate import Vec


def extremum_member(node: Nav, ctx: CellContext) -> Vec:
    from .navigation import NavigationError, _find, _scatter, _take

    ref = node.param("level")
    grid = ctx.grid
    i = grid.level_index(ref.dimension, ref.hierarchy, ref.level)
    if i is None:
        raise NavigationError(f"tt.agg.{node.kind}: level {ref} is not in the query's grid.")
    h = grid.groups[i].hierarchy.key
    down_to_level = {k for k in grid.levels_of(h) if k <= i}
    members = grid.groups[i].members.values
    out = Vec(np.full(ctx.n, None, dtype=object), np.zeros(ctx.n, np.bool_))
    if not ctx.n:
        return out
    fixed = np.stack([lv >= 0 for lv in ctx.loc], axis=1) if ctx.loc else np.zeros((ctx.n, 0), np.bool_)
    patterns, which = np.unique(fixed, axis=0, return_inverse=True)
    which = which.reshape(-1)
    for p, pattern in enumerate(patterns):
        rows = np.flatnonzero(which == p)
        own = tuple(bool(x) for x in pattern)
        target = tuple(own[k] or k in down_to_level for k in range(grid.n_levels))
        below = grid.existing(target)
        inner = ctx.at(below).value(node.measure)
        if inner.values.ndim != 1 or inner.values.dtype.kind not in "biuf":
            raise NavigationError(f"tt.agg.{node.kind} compares numbers; the measure gives {inner.values.dtype}.")
        groups, inverse = np.unique(grid.key(below, own), return_inverse=True)
        inverse = inverse.reshape(-1)
        ok = inner.present & ~np.isnan(inner.values.astype(np.float64))
        cand = np.flatnonzero(ok)
        value = inner.values[cand].astype(np.float64)
        # Best value first within each group, then the member's position in the level's order.
        order = np.lexsort((below[i][cand], value if node.kind == "min_member" else -value, inverse[cand]))
        cand = cand[order]
        first = np.ones(len(cand), np.bool_)
        first[1:] = inverse[cand][1:] != inverse[cand][:-1]
        best = np.full(len(groups), -1, np.int64)
        best[inverse[cand[first]]] = below[i][cand[first]]
        pos = _find(groups, grid.key(_take(ctx.loc, rows), own))
        member = np.where(pos >= 0, best[np.maximum(pos, 0)] if len(groups) else -1, -1)
        values = np.full(len(rows), None, dtype=object)
        has = member >= 0
        picked = np.empty(int(has.sum()), dtype=object)
        picked[:] = [members[k] for k in member[has]]
        values[has] = picked
        out = _scatter(out, rows, Vec(values, has))
    return out


__all__ = ["extremum_member"]
