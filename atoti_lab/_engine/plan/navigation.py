"""Hierarchy navigation: measures evaluated at other locations than the cell's own.

Every function here maps a context's locations (grid.py) to other locations, evaluates the inner
measure there (one vectorised evaluation per distinct pattern), and maps the values back:

* parent_value / total / at: move each location (drill up, to the top, to a given member);
* shift / date_shift / rank / first / last: look along the members of a hierarchy, within the
  other coordinates of each location ("others" x "paths" matrices);
* scoped aggregations (OriginScope, CumulativeScope, SiblingsScope): aggregate the inner measure
  over the locations the scope selects.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..expr.condition import LevelRef, conjuncts, subjects
from ..expr.measure import CumulativeScope, Lit, Nav, Node, Op, OriginScope, ScopedAgg, SiblingsScope, children
from .context import CellContext
from .evaluate import Vec
from .grid import Grid, Locations
from .members import coerce


class NavigationError(ValueError):
    pass


# -- what a query must group by for its measures ----------------------------------------------------
def required_levels(roots: Iterable[Node], nodes: dict[str, Node]) -> list[LevelRef]:
    """Levels that navigation needs in the grid even when the query does not show them."""
    out: list[LevelRef] = []
    seen: set[str] = set()

    def add(ref: LevelRef | None) -> None:
        if ref is not None and ref not in out:
            out.append(ref)

    def walk(n: Any) -> None:
        from ..expr.measure import MeasureRef

        if isinstance(n, MeasureRef):
            if n.name not in seen and n.name in nodes:
                seen.add(n.name)
                walk(nodes[n.name])
            return
        if isinstance(n, ScopedAgg):
            scope = n.scope
            if isinstance(scope, OriginScope):
                for ref in scope.levels:
                    add(ref)
            elif isinstance(scope, CumulativeScope):
                add(scope.level)
        elif isinstance(n, Nav):
            if n.kind == "at":
                for ref, _ in n.param("coordinates"):
                    add(ref)
            elif n.kind in ("first", "last"):
                add(n.param("on"))
            elif n.kind in ("max_member", "min_member"):
                add(n.param("level"))
        elif isinstance(n, Op) and n.op == "irr":
            add(n.args[2].value)  # the date level
        for c in children(n):
            walk(c)

    for root in roots:
        walk(root)
    return out


# -- helpers -------------------------------------------------------------------------------------
def _empty(n: int) -> Vec:
    return Vec(np.full(n, np.nan), np.zeros(n, np.bool_))


def _depth(loc: Locations, idx: list[int]) -> np.ndarray:
    """How many levels of a hierarchy each location fixes (they are fixed top down)."""
    if not idx or not len(loc):
        return np.zeros(len(loc[0]) if len(loc) else 1, np.int64)
    return np.sum([loc[i] >= 0 for i in idx], axis=0).astype(np.int64)


def _replace(loc: Locations, changes: dict[int, np.ndarray | int]) -> Locations:
    n = len(loc[0])
    return tuple(np.broadcast_to(np.asarray(changes[i], np.int64), (n,)).copy() if i in changes else lv
                 for i, lv in enumerate(loc))


def _take(loc: Locations, rows: np.ndarray) -> Locations:
    return tuple(lv[rows] for lv in loc)


def _scatter(out: Vec, rows: np.ndarray, part: Vec) -> Vec:
    values = out.values
    if values.dtype != part.values.dtype:
        values = values.astype(np.result_type(values.dtype, part.values.dtype))
    values[rows] = part.values
    out.present[rows] = part.present
    return Vec(values, out.present)


def _paths(grid: Grid, idx: list[int]) -> tuple[np.ndarray, Locations]:
    """Existing member paths over the levels `idx` (top down), in member order, with their keys."""
    pattern = tuple(i in idx for i in range(grid.n_levels))
    paths = grid.existing(pattern)
    return grid.key(paths, pattern), paths


def _matrix(ctx: CellContext, grid: Grid, loc: Locations, idx: list[int], paths: Locations,
            measure: Node) -> tuple[np.ndarray, Vec, int]:
    """The measure at every (row's other coordinates) x (path) pair: each row's index among the
    distinct "others", and values shaped (n_others * n_paths,) laid out others-major."""
    others = _replace(loc, {i: -1 for i in idx})
    first, inverse = _distinct_locations(grid, others)
    uniq = np.stack([lv[first] for lv in others], axis=1) if others else np.zeros((len(first), 0), np.int64)
    n_paths = len(paths[0]) if paths else 0
    cand = []
    for i in range(grid.n_levels):
        if i in idx:
            cand.append(np.tile(paths[i], len(uniq)))
        else:
            cand.append(np.repeat(uniq[:, i], n_paths))
    values = ctx.at(tuple(cand), grid).value(measure) if len(uniq) * n_paths else _empty(0)
    return inverse, values, n_paths


def _distinct_locations(grid: Grid, loc: Locations) -> tuple[np.ndarray, np.ndarray]:
    """Distinct locations: the first row of each, and each row's index among them (in key order)."""
    radix = [c + 1 for c in grid.cards]  # -1 (aggregated) is one more value per level
    if not loc:
        return np.zeros(1, np.int64), np.zeros(1, np.int64)
    if float(np.prod(np.array(radix, np.float64))) < 2.0**62:
        key = np.zeros(len(loc[0]), np.int64)
        for lv, r in zip(loc, radix):
            key = key * r + (lv + 1)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(np.stack(loc, axis=1), axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


# -- moving locations ------------------------------------------------------------------------------
def _total(node: Nav, ctx: CellContext) -> Vec:
    changes: dict[int, np.ndarray | int] = {}
    for h in node.param("hierarchies"):
        for i in ctx.grid.levels_of(h):
            changes[i] = -1
    if not changes:
        return ctx.value(node.measure)
    return ctx.at(_replace(ctx.loc, changes)).value(node.measure)


def _without_filters_on(ctx: CellContext, hierarchies: Iterable[tuple[str, str]]) -> Grid:
    """The grid scanned without the query's filters on `hierarchies` (apply_filters=False)."""
    keys = set(hierarchies)
    return ctx.variant(("drop", frozenset(keys)))


def _parent_value(node: Nav, ctx: CellContext) -> Vec:
    degrees: tuple[tuple[tuple[str, str], int], ...] = node.param("degrees")
    grid = ctx.grid if node.param("apply_filters", False) else _without_filters_on(ctx, [h for h, _ in degrees])
    n = ctx.n
    above = np.ones(n, np.bool_)
    changes: dict[int, np.ndarray | int] = {}
    for h, deg in degrees:
        idx = ctx.grid.levels_of(h)
        d = _depth(ctx.loc, idx)
        target = d - deg
        above &= target < 0
        for j, i in enumerate(idx):
            changes[i] = np.where(j < np.maximum(target, 0), ctx.loc[i], -1)
    value = ctx.at(_replace(ctx.loc, changes), grid).value(node.measure) if ctx.loc else ctx.value(node.measure)
    total_value = node.param("total_value")
    if not above.any():
        return value
    fallback = ctx.value(total_value) if total_value is not None else _empty(n)
    values = np.where(above, fallback.values, value.values)
    return Vec(values, np.where(above, fallback.present, value.present))


def _at(node: Nav, ctx: CellContext) -> Vec:
    changes: dict[int, np.ndarray | int] = {}
    missing = np.zeros(ctx.n, np.bool_)
    for ref, value in node.param("coordinates"):
        i = ctx.grid.level_index(ref.dimension, ref.hierarchy, ref.level)
        if i is None:
            raise NavigationError(f"tt.at: level {ref} is not in the query's grid.")
        members = ctx.grid.groups[i].members.values
        if isinstance(value, LevelRef):
            j = ctx.grid.level_index(value.dimension, value.hierarchy, value.level)
            if j is None:
                missing |= True
                continue
            other = ctx.grid.groups[j].members.values
            position = {v: k for k, v in enumerate(members)}
            lut = np.array([position.get(v, -1) for v in other] + [-1], np.int64)
            idx = lut[ctx.loc[j]]  # -1 (aggregated) indexes the trailing -1
            missing |= idx < 0
        else:
            sample = next((v for v in members if v is not None), None)
            wanted = coerce(sample, value)
            idx = np.full(ctx.n, members.index(wanted) if wanted in members else -1, np.int64)
            missing |= idx < 0
        changes[i] = np.maximum(idx, 0)
        h = ctx.grid.groups[i].hierarchy.key
        for k in ctx.grid.levels_of(h):
            if k > i:
                changes[k] = -1
    value = ctx.at(_replace(ctx.loc, changes)).value(node.measure)
    return Vec(value.values, value.present & ~missing)


def _filter(node: Nav, ctx: CellContext) -> Vec:
    grid = ctx.variant(("and", node.param("condition")))
    return ctx.at(ctx.loc, grid).value(node.measure)


# -- looking along a hierarchy ---------------------------------------------------------------------
@dataclass
class _Depth:
    """The rows of a context that fix `dd` levels of a hierarchy, with what looking along its
    members at that depth needs: the existing paths, each row's own path (-1 if absent) and the
    measure at every (row's other coordinates) x (path)."""

    rows: np.ndarray
    levels: list[int]
    paths: Locations
    own: np.ndarray
    inverse: np.ndarray
    values: Vec
    n_paths: int


def _by_depth(ctx: CellContext, grid: Grid, idx: list[int], measure: Node) -> Iterator[_Depth]:
    d = _depth(ctx.loc, idx)
    for dd in np.unique(d[d > 0]):
        rows = np.flatnonzero(d == dd)
        loc = _take(ctx.loc, rows)
        levels = idx[: int(dd)]
        keys, paths = _paths(grid, levels)
        own = _find(keys, grid.key(loc, [i in levels for i in range(grid.n_levels)]))
        inverse, values, n_paths = _matrix(ctx, grid, loc, levels, paths, measure)
        yield _Depth(rows, levels, paths, own, inverse, values, n_paths)


def _shift(node: Nav, ctx: CellContext) -> Vec:
    idx = ctx.grid.levels_of(node.param("on"))
    offset: int = node.param("offset", 1)
    partitioning: LevelRef | None = node.param("partitioning")
    mode: str = node.param("mode", "measure")
    out = _empty(ctx.n)
    if not idx:
        return out
    for at in _by_depth(ctx, ctx.grid, idx, node.measure):
        rows, own, inverse, values, n_paths = at.rows, at.own, at.inverse, at.values, at.n_paths
        part = _partition_keys(ctx.grid, at.levels, at.paths, partitioning)
        flat_own = inverse * n_paths + np.maximum(own, 0)
        if mode == "hierarchy":
            target = own + offset
            ok = (own >= 0) & (target >= 0) & (target < n_paths)
            target = np.clip(target, 0, max(n_paths - 1, 0))
        else:
            # Land `offset` members away; on a member without a value, keep going the same way
            # to the first one with a value (in the same "others"). Empty where the measure is.
            present = values.present
            counted = np.flatnonzero(present)
            target = own + offset
            ok = (own >= 0) & (target >= 0) & (target < n_paths)
            ok &= present[flat_own] if len(present) else False
            flat_goal = inverse * n_paths + np.clip(target, 0, max(n_paths - 1, 0))
            if offset >= 0:
                k = np.searchsorted(counted, flat_goal, side="left")
            else:
                k = np.searchsorted(counted, flat_goal, side="right") - 1
            ok &= (k >= 0) & (k < len(counted))
            flat_target = counted[np.clip(k, 0, max(len(counted) - 1, 0))] if len(counted) else flat_goal
            ok &= flat_target // max(n_paths, 1) == inverse
            target = flat_target % max(n_paths, 1)
        if part is not None:
            ok &= part[target] == part[np.maximum(own, 0)]
        flat_target = inverse * n_paths + target
        part_vec = Vec(values.values[flat_target], values.present[flat_target] & ok) if len(values.values) \
            else _empty(len(rows))
        out = _scatter(out, rows, part_vec)
    return out


def _find(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions of `wanted` in sorted `keys`, -1 where absent."""
    pos = np.searchsorted(keys, wanted)
    ok = pos < len(keys)
    ok[ok] = keys[pos[ok]] == wanted[ok]
    return np.where(ok, pos, -1)


def _partition_keys(grid: Grid, levels: list[int], paths: Locations, partitioning: LevelRef | None) -> np.ndarray | None:
    if partitioning is None:
        return None
    j = grid.level_index(partitioning.dimension, partitioning.hierarchy, partitioning.level)
    if j is None or j not in levels:
        return None  # the query is above the partitioning level: one partition
    kept = levels[: levels.index(j) + 1]
    return grid.key(paths, [i in kept for i in range(grid.n_levels)])


_PERIOD = re.compile(r"^([+-])?P?(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$", re.IGNORECASE)


def parse_period(text: str) -> tuple[int, int, int]:
    """A period such as "-1M", "P2W", "3D" (Java's Period.parse, P optional): (sign, months, days)."""
    m = _PERIOD.match(text.strip())
    if not m or not any(m.groups()[1:]):
        raise ValueError(f"Invalid period {text!r}: expected something like '-1M', '2W', '1Y2M', 'P3D'.")
    sign = -1 if m.group(1) == "-" else 1
    years, months, weeks, days = (int(g) if g else 0 for g in m.groups()[1:])
    return sign, years * 12 + months, weeks * 7 + days


def shift_date(value: dt.date, period: tuple[int, int, int]) -> dt.date:
    import calendar

    sign, months, days = period
    total = value.year * 12 + (value.month - 1) + sign * months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    moved = value.replace(year=year, month=month + 1, day=day)
    return moved + dt.timedelta(days=sign * days)


def _date_shift(node: Nav, ctx: CellContext) -> Vec:
    h = node.param("on")
    idx = ctx.grid.levels_of(h)
    out = _empty(ctx.n)
    hdef = ctx.grid.groups[idx[0]].hierarchy if idx else None
    if not idx or hdef is None or len(idx) < len(hdef.levels):
        return out  # the query does not reach the date level
    period = parse_period(node.param("offset"))
    method: str = node.param("method", "exact")
    rows = np.flatnonzero(_depth(ctx.loc, idx) == len(idx))
    if not len(rows):
        return out
    loc = _take(ctx.loc, rows)
    keys, paths = _paths(ctx.grid, idx)
    members = ctx.grid.groups[idx[-1]].members.values
    dates = [members[k] for k in paths[idx[-1]]]
    if any(not isinstance(v, dt.date) for v in dates if v is not None):
        raise NavigationError(f"tt.date_shift: the last level of hierarchy {h[1]!r} does not hold dates.")
    ordinal = np.array([v.toordinal() if v is not None else -(1 << 40) for v in dates], np.int64)
    order = np.argsort(ordinal, kind="stable")
    own = _find(keys, ctx.grid.key(loc, [i in idx for i in range(ctx.grid.n_levels)]))
    target = np.array([shift_date(dates[p], period).toordinal() if p >= 0 and dates[p] is not None else -(1 << 41)
                       for p in own], np.int64)
    sorted_ord = ordinal[order]
    inverse, values, n_paths = _matrix(ctx, ctx.grid, loc, idx, paths, node.measure)

    def at_path(pos_sorted: np.ndarray, ok: np.ndarray) -> Vec:
        path = order[np.clip(pos_sorted, 0, max(len(order) - 1, 0))]
        flat = inverse * n_paths + path
        if not len(values.values):
            return _empty(len(rows))
        return Vec(values.values[flat], values.present[flat] & ok)

    lo = np.searchsorted(sorted_ord, target, side="left")
    exact = (lo < len(sorted_ord)) & (sorted_ord[np.minimum(lo, len(sorted_ord) - 1)] == target)
    if method == "exact":
        part = at_path(lo, exact)
    elif method == "previous":
        hi = np.searchsorted(sorted_ord, target, side="right") - 1
        part = at_path(hi, hi >= 0)
    elif method == "next":
        part = at_path(lo, lo < len(sorted_ord))
    elif method in ("interpolate", "interpolated"):
        prev_pos = np.searchsorted(sorted_ord, target, side="right") - 1
        before, after = at_path(prev_pos, prev_pos >= 0), at_path(lo, lo < len(sorted_ord))
        t0 = sorted_ord[np.clip(prev_pos, 0, len(sorted_ord) - 1)]
        t1 = sorted_ord[np.clip(lo, 0, len(sorted_ord) - 1)]
        with np.errstate(all="ignore"):
            w = np.where(t1 > t0, (target - t0) / np.maximum(t1 - t0, 1), 0.0)
            values_i = np.where(exact, after.values, before.values * (1 - w) + after.values * w)
        part = Vec(values_i.astype(np.float64), np.where(exact, after.present, before.present & after.present))
    else:
        raise NavigationError(f"Unknown date_shift method {method!r}: use exact, previous, next or interpolate.")
    return _scatter(out, rows, part)


def _rank(node: Nav, ctx: CellContext) -> Vec:
    h = node.param("hierarchy")
    idx = ctx.grid.levels_of(h)
    ascending: bool = node.param("ascending", True)
    grid = ctx.grid if node.param("apply_filters", True) else _without_filters_on(ctx, [h])
    out = Vec(np.ones(ctx.n, np.int64), ctx.value(node.measure).present.copy())
    for at in _by_depth(ctx, grid, idx, node.measure):
        rows, own, inverse, values, n_paths = at.rows, at.own, at.inverse, at.values, at.n_paths
        parent = grid.key(at.paths, [i in at.levels[:-1] for i in range(grid.n_levels)])
        n_others = len(values.values) // max(n_paths, 1)
        group = np.repeat(np.arange(n_others), n_paths) * (int(parent.max(initial=0)) + 1) + np.tile(parent, n_others)
        v = values.values.astype(np.float64)
        ok = values.present
        position = np.tile(np.arange(n_paths), n_others)
        order = np.lexsort((position, v if ascending else -v, ~ok, group))
        ranks = np.zeros(len(v), np.int64)
        sorted_groups = group[order]
        starts = np.searchsorted(sorted_groups, sorted_groups, side="left")
        ranks[order] = np.arange(len(order)) - starts + 1
        flat = inverse * n_paths + np.maximum(own, 0)
        part = Vec(ranks[flat] if len(ranks) else np.zeros(len(rows), np.int64),
                   (ok[flat] if len(ok) else np.zeros(len(rows), np.bool_)) & (own >= 0))
        out = _scatter(out, rows, part)
    return out


def _along(ctx: CellContext, grid: Grid, level: LevelRef, partitioning: LevelRef | None, measure: Node,
           whole_partition: bool = False) -> tuple:
    """Shared by first/last and the cumulative scope: for the rows of ctx, the paths of `level`'s
    hierarchy down to `level`, the measure at every (others x path), and the range of paths each
    row stands for: those under its prefix, or (whole_partition) under its prefix cut at the
    partitioning level."""
    i = grid.level_index(level.dimension, level.hierarchy, level.level)
    if i is None:
        raise NavigationError(f"Level {level} is not in the query's grid.")
    idx = grid.levels_of(grid.groups[i].hierarchy.key)
    levels = idx[: idx.index(i) + 1]
    _, paths = _paths(grid, levels)
    d = _depth(ctx.loc, levels)
    inverse, values, n_paths = _matrix(ctx, grid, ctx.loc, levels, paths, measure)
    # A row fixing fewer levels stands for the paths under its prefix: [first, last] of them.
    lo = np.zeros(ctx.n, np.int64)
    hi = np.full(ctx.n, n_paths - 1, np.int64)
    cap = len(levels)
    if whole_partition:
        j = grid.level_index(partitioning.dimension, partitioning.hierarchy, partitioning.level) if partitioning else None
        cap = levels.index(j) + 1 if j is not None and j in levels else 0
    for dd in np.unique(d):
        rows = np.flatnonzero(d == dd)
        prefix = levels[: min(int(dd), cap)]
        pattern = [k in prefix for k in range(grid.n_levels)]
        path_prefix = grid.key(paths, pattern)
        row_prefix = grid.key(_take(ctx.loc, rows), pattern)
        lo[rows] = np.searchsorted(path_prefix, row_prefix, side="left")
        hi[rows] = np.searchsorted(path_prefix, row_prefix, side="right") - 1
    part = _partition_keys(grid, levels, paths, partitioning)
    return levels, paths, inverse, values, n_paths, lo, hi, part


def _first_last(node: Nav, ctx: CellContext) -> Vec:
    _, _, inverse, values, n_paths, lo, hi, _ = _along(
        ctx, ctx.grid, node.param("on"), node.param("partitioning"), node.measure, whole_partition=True)
    out = _empty(ctx.n)
    if not n_paths:
        return out
    present = values.present.reshape(-1, n_paths)
    rows, flats = [], []
    for r in range(ctx.n):
        hits = np.flatnonzero(present[inverse[r], lo[r]: hi[r] + 1])
        if len(hits):
            rows.append(r)
            flats.append(inverse[r] * n_paths + lo[r] + (hits[0] if node.kind == "first" else hits[-1]))
    if not rows:
        return out
    flat = np.array(flats, np.int64)
    return _scatter(out, np.array(rows, np.int64), Vec(values.values[flat], values.present[flat]))


# -- scoped aggregations ---------------------------------------------------------------------------
def reduce_groups(func: str, values: np.ndarray, present: np.ndarray, group: np.ndarray, n: int,
                  params: dict[str, Any] | None = None) -> Vec:
    """Aggregate the present values of each group 0..n-1."""
    ok = present
    g, v = group[ok], values[ok]
    count = np.bincount(g, minlength=n)
    has = count > 0
    if func in ("sum", "mean", "long", "short"):
        if func == "long":
            v = np.where(v > 0, v, 0)
        elif func == "short":
            v = np.where(v < 0, v, 0)
        out = np.zeros(n, v.dtype if v.dtype.kind in "iuf" else np.float64)
        np.add.at(out, g, v)
        if func == "mean":
            with np.errstate(all="ignore"):
                return Vec(out / np.maximum(count, 1), has)
        return Vec(out, has)
    if func == "count":
        return Vec(count.astype(np.int64), has)
    if func == "distinct":  # one vector of the sorted distinct values per group (distinct.py)
        from .distinct import distinct_groups

        return distinct_groups(v, g, n, values.dtype)
    if func in ("min", "max"):
        fill = np.inf if func == "min" else -np.inf
        out = np.full(n, fill)
        (np.minimum if func == "min" else np.maximum).at(out, g, v.astype(np.float64))
        result = out.astype(values.dtype) if values.dtype.kind in "iu" else out
        return Vec(np.where(has, result, 0) if values.dtype.kind in "iu" else result, has)
    if func == "prod":
        out = np.ones(n, np.float64 if values.dtype.kind == "f" else np.int64)
        np.multiply.at(out, g, v)
        return Vec(out, has)
    # Order statistics and moments, group by group.
    order = np.argsort(g, kind="stable")
    g, v = g[order], v[order].astype(np.float64)
    bounds = np.searchsorted(g, np.arange(n + 1))
    out = np.full(n, np.nan)
    params = params or {}
    for k in np.flatnonzero(has):
        part = np.sort(v[bounds[k]: bounds[k + 1]])
        out[k] = _statistic(func, part, params)
    return Vec(out, has & np.isfinite(out))


def _statistic(func: str, sorted_values: np.ndarray, params: dict[str, Any]) -> float:
    from .statistics import quantile, variance

    if func in ("median", "quantile"):
        q = 0.5 if func == "median" else params.get("q", 0.5)
        return quantile(sorted_values, q, params.get("mode", "inc"), params.get("interpolation", "linear"))
    if func in ("var", "std"):
        var = variance(sorted_values, params.get("mode", "sample"))
        return var if func == "var" else float(np.sqrt(var))
    raise NavigationError(f"Aggregation {func!r} is not available with a scope.")


def _origin(node: ScopedAgg, ctx: CellContext) -> Vec:
    scope = node.scope
    assert isinstance(scope, OriginScope)
    grid = ctx.grid
    origin = set()
    for ref in scope.levels:
        i = grid.level_index(ref.dimension, ref.hierarchy, ref.level)
        if i is None:
            raise NavigationError(f"OriginScope: level {ref} is not in the query's grid.")
        h = grid.groups[i].hierarchy.key
        origin |= {k for k in grid.levels_of(h) if k <= i}
    out = _empty(ctx.n)
    fixed = np.stack([lv >= 0 for lv in ctx.loc], axis=1) if ctx.loc else np.zeros((ctx.n, 0), np.bool_)
    patterns, which = np.unique(fixed, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
        rows = np.flatnonzero(which.reshape(-1) == p)
        own = tuple(bool(x) for x in pattern)
        target = tuple(own[k] or k in origin for k in range(grid.n_levels))
        below = grid.existing(target)
        inner = ctx.at(below).value(node.operand)
        groups, inverse = np.unique(grid.key(below, own), return_inverse=True)
        reduced = reduce_groups(node.func, inner.values, inner.present, inverse.reshape(-1), len(groups),
                                dict(node.params))
        pos = _find(groups, grid.key(_take(ctx.loc, rows), own))
        part = Vec(reduced.values[np.maximum(pos, 0)] if len(groups) else np.zeros(len(rows)),
                   (reduced.present[np.maximum(pos, 0)] if len(groups) else np.zeros(len(rows), np.bool_)) & (pos >= 0))
        out = _scatter(out, rows, part)
    return out


def _siblings(node: ScopedAgg, ctx: CellContext) -> Vec:
    scope = node.scope
    assert isinstance(scope, SiblingsScope)
    idx = ctx.grid.levels_of(scope.hierarchy)
    d = _depth(ctx.loc, idx)
    out = _empty(ctx.n)
    top = np.flatnonzero(d == 0)
    if len(top) and not scope.exclude_self:
        own = ctx.at(_take(ctx.loc, top)).value(node.operand)
        out = _scatter(out, top, reduce_groups(node.func, own.values, own.present, np.arange(len(top)), len(top),
                                               dict(node.params)))
    for at in _by_depth(ctx, ctx.grid, idx, node.operand):
        rows, own, inverse, values, n_paths = at.rows, at.own, at.inverse, at.values, at.n_paths
        parent = ctx.grid.key(at.paths, [i in at.levels[:-1] for i in range(ctx.grid.n_levels)])
        # Each row gathers the paths sharing its parent, in its own "others".
        same = parent[None, :] == parent[np.maximum(own, 0)][:, None]
        if scope.exclude_self:
            same &= np.arange(n_paths)[None, :] != own[:, None]
        r_idx, p_idx = np.nonzero(same)
        flat = inverse[r_idx] * n_paths + p_idx
        reduced = reduce_groups(node.func, values.values[flat], values.present[flat], r_idx, len(rows),
                                dict(node.params))
        out = _scatter(out, rows, Vec(reduced.values, reduced.present & (own >= 0)))
    return out


def _cumulative(node: ScopedAgg, ctx: CellContext) -> Vec:
    scope = node.scope
    assert isinstance(scope, CumulativeScope)
    levels, paths, inverse, values, n_paths, lo, hi, part = _along(
        ctx, ctx.grid, scope.level, scope.partitioning, node.operand)
    n = ctx.n
    out = _empty(n)
    if not n_paths:
        return out
    present = values.present.reshape(-1, n_paths)
    dates = None
    if scope.time_window:
        members = ctx.grid.groups[levels[-1]].members.values
        dates = [members[k] for k in paths[levels[-1]]]
    start, end = scope.window if scope.window is not None else (None, 0)
    if dates is not None:
        rows_r, flats = _time_windows(n, inverse, present, n_paths, hi, lo, part, dates, start, end, scope.dense)
        if not rows_r:
            return out
        group = np.concatenate([np.full(len(f), k, np.int64) for k, f in enumerate(flats)])
        flat = np.concatenate(flats)
        rows = np.array(rows_r, np.int64)
    else:
        rows, group, flat = _range_windows(inverse, present, n_paths, lo, hi, part, start, end, scope.dense)
        if not len(rows):
            return out
    reduced = reduce_groups(node.func, values.values[flat], values.present[flat], group, len(rows),
                            dict(node.params))
    return _scatter(out, rows, reduced)


def _range_windows(inverse: np.ndarray, present: np.ndarray, n_paths: int, lo: np.ndarray, hi: np.ndarray,
                   part: np.ndarray | None, start: int | None, end: int, dense: bool
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative windows counted in members, all rows at once: for each row with a window, the
    flat (others x path) positions it aggregates. Returns (rows, window index per position, positions)."""
    counted_mask = np.ones_like(present) if dense else present
    flat_counted = np.flatnonzero(counted_mask.ravel())  # sorted: others-major, then path order
    valid = hi >= lo
    own = inverse * n_paths + np.maximum(hi, 0)  # the row's path, or the last one under its prefix
    k = np.searchsorted(flat_counted, own, side="right") - 1
    others_start = np.searchsorted(flat_counted, inverse * n_paths, side="left")
    valid &= k >= others_start
    if not len(flat_counted):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Runs of counted entries sharing "others" (and partition): windows never leave their run.
    run_key = flat_counted // n_paths
    if part is not None:
        run_key = run_key * (int(part.max(initial=0)) + 1) + part[flat_counted % n_paths]
    change = np.flatnonzero(np.diff(run_key)) + 1
    run_start = np.repeat(np.concatenate([[0], change]), np.diff(np.concatenate([[0], change, [len(run_key)]])))
    run_end = np.repeat(np.concatenate([change, [len(run_key)]]) - 1,
                        np.diff(np.concatenate([[0], change, [len(run_key)]])))
    kk = np.clip(k, 0, len(flat_counted) - 1)
    own_counted = counted_mask.ravel()[np.minimum(own, counted_mask.size - 1)]
    if start is None:
        a = run_start[kk]
    else:
        a = np.maximum(kk + int(start) + np.where(own_counted, 0, 1), run_start[kk])
    b = np.minimum(kk + int(end or 0), run_end[kk])
    # The window's own run must be the row's: a path before the row's partition does not count.
    if part is not None:
        same = part[flat_counted[kk] % n_paths] == part[np.clip(hi, 0, n_paths - 1)]
        valid &= same
    lengths = np.where(valid, np.maximum(b - a + 1, 0), 0)
    rows = np.flatnonzero(lengths > 0)
    lengths = lengths[rows]
    total = int(lengths.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.repeat(a[rows], lengths) + offsets
    group = np.repeat(np.arange(len(rows)), lengths)
    return rows, group, flat_counted[positions]


def _time_windows(n: int, inverse: np.ndarray, present: np.ndarray, n_paths: int, hi: np.ndarray, lo: np.ndarray,
                  part: np.ndarray | None, dates: list[Any], start: str | None, end: str | None, dense: bool
                  ) -> tuple[list[int], list[np.ndarray]]:
    """Cumulative windows as periods around each row's date (e.g. the last 7 days)."""
    rows_r: list[int] = []
    flats: list[np.ndarray] = []
    for r in range(n):
        if hi[r] < lo[r]:
            continue
        p = int(hi[r])
        counted = np.arange(n_paths) if dense else np.flatnonzero(present[inverse[r]])
        if part is not None:
            counted = counted[part[counted] == part[p]]
        anchor = dates[p]
        t0 = shift_date(anchor, parse_period(start)) if start else None
        t1 = shift_date(anchor, parse_period(end)) if end else anchor
        chosen = np.array([c for c in counted if (t0 is None or dates[c] >= t0) and dates[c] <= t1], np.int64)
        if len(chosen):
            rows_r.append(r)
            flats.append(inverse[r] * n_paths + chosen)
    return rows_r, flats


_NAV = {"total": _total, "parent_value": _parent_value, "at": _at, "filter": _filter, "shift": _shift,
        "date_shift": _date_shift, "rank": _rank, "first": _first_last, "last": _first_last}


def _date_diff(node: Op, ctx: CellContext) -> Vec:
    """Whole units between two dates, each a level's current member or a constant."""
    def dates(arg: Any) -> list[Any]:
        if isinstance(arg, Lit):
            return [arg.value] * ctx.n
        i = ctx.grid.level_index(arg.dimension, arg.hierarchy, arg.level)
        if i is None:
            return [None] * ctx.n
        members = ctx.grid.groups[i].members.values
        return [members[k] if k >= 0 else None for k in ctx.loc[i]]

    unit = node.args[2].value
    out = np.zeros(ctx.n, np.int64)
    present = np.zeros(ctx.n, np.bool_)
    for r, (a, b) in enumerate(zip(dates(node.args[0]), dates(node.args[1]))):
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            out[r], present[r] = _between(a, b, unit), True
    return Vec(out, present)


def _between(a: dt.date, b: dt.date, unit: str) -> int:
    """Complete units from a to b (negative when b is before a), as Java's ChronoUnit.between."""
    if unit in ("months", "years"):
        months = (b.year - a.year) * 12 + (b.month - a.month)
        # An incomplete last month does not count.
        if months > 0 and (b.day, _time(b)) < (a.day, _time(a)):
            months -= 1
        elif months < 0 and (b.day, _time(b)) > (a.day, _time(a)):
            months += 1
        return months if unit == "months" else int(months / 12)
    ta = a if isinstance(a, dt.datetime) else dt.datetime(a.year, a.month, a.day)
    tb = b if isinstance(b, dt.datetime) else dt.datetime(b.year, b.month, b.day)
    seconds = (tb - ta).total_seconds()
    size = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}[unit]
    return int(seconds / size)


def _time(value: dt.date) -> tuple[int, ...]:
    return (value.hour, value.minute, value.second, value.microsecond) if isinstance(value, dt.datetime) else (0,)


def navigate(node: Any, ctx: CellContext) -> Vec:
    if isinstance(node, Op) and node.op == "date_diff":
        return _date_diff(node, ctx)
    if isinstance(node, Op) and node.op == "irr":
        from .finance import irr_cells

        return irr_cells(node, ctx)
    if isinstance(node, Nav):
        if node.kind in ("max_member", "min_member"):
            from .extremum import extremum_member

            return extremum_member(node, ctx)
        fn = _NAV.get(node.kind)
        if fn is None:
            raise NavigationError(f"Unknown navigation {node.kind!r}.")
        return fn(node, ctx)
    if isinstance(node, ScopedAgg):
        if isinstance(node.scope, OriginScope):
            return _origin(node, ctx)
        if isinstance(node.scope, SiblingsScope):
            return _siblings(node, ctx)
        return _cumulative(node, ctx)
    raise TypeError(f"Cannot evaluate {node!r}.")


def variant_filter(conditions: list[Any], key: tuple[str, Any]) -> list[Any]:
    """The level conditions of a variant grid: the query's, without some hierarchies or with more."""
    kind, arg = key
    if kind == "drop":
        return [c for c in conditions
                if not {(s.dimension, s.hierarchy) for s in subjects(c) if isinstance(s, LevelRef)} <= arg]
    return [*conditions, *conjuncts(arg)]
