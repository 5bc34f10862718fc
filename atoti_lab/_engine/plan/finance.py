"""``tt.finance.irr`` per cell: the cash flows and market values at each member of the date level
under the cell, solved for the internal rate of return (irr.py).

The date members are the existing members of the date hierarchy's single level; a cell takes part
at a date where one of its (non-constant) measures has a value. A cell that fixes a date has one
date under it, so no rate: it is empty, as is a cell whose iteration does not settle.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..expr.measure import Lit, Op
from .context import CellContext
from .evaluate import Vec
from .irr import irr


def irr_cells(node: Op, ctx: CellContext) -> Vec:
    from .navigation import NavigationError, _matrix, _paths

    cash_flows, market_value, level, precision, period, guess = node.args
    ref = level.value
    grid = ctx.grid
    i = grid.level_index(ref.dimension, ref.hierarchy, ref.level)
    if i is None:
        raise NavigationError(f"tt.finance.irr: level {ref} is not in the query's grid.")
    n = ctx.n
    empty = Vec(np.full(n, np.nan), np.zeros(n, np.bool_))
    _, paths = _paths(grid, [i])
    members = grid.groups[i].members.values
    dates = [members[k] for k in paths[i]] if paths else []
    if not dates or not n:
        return empty
    if not all(isinstance(d, dt.date) for d in dates):
        raise NavigationError(f"tt.finance.irr: level {ref} does not hold dates.")
    n_paths = len(dates)

    def matrix(measure: object) -> tuple[np.ndarray, np.ndarray]:
        inverse, values, _ = _matrix(ctx, grid, ctx.loc, [i], paths, measure)
        vals = np.asarray(values.values, np.float64).reshape(-1, n_paths)[inverse]
        ok = values.present.reshape(-1, n_paths)[inverse]
        return np.where(ok, vals, np.nan), ok

    cf, cf_ok = matrix(cash_flows)
    mv, mv_ok = matrix(market_value)
    # A constant (e.g. market_value=0) exists at every date: only measures say where a cell has data.
    measured = [ok for arg, ok in ((cash_flows, cf_ok), (market_value, mv_ok)) if not isinstance(arg, Lit)]
    present = np.logical_or.reduce(measured) if measured else np.ones((n, n_paths), np.bool_)
    present &= cf_ok | mv_ok
    own = ctx.loc[i]
    fixed = own >= 0
    present[fixed] &= paths[i][None, :] == own[fixed][:, None]
    days = np.array([d.toordinal() for d in dates], np.float64)
    order = np.argsort(days, kind="stable")
    rate, ok = irr(days[order], cf[:, order], mv[:, order], present[:, order], precision=precision.value,
                   period=period.value, guess=guess.value)
    return Vec(rate, ok)


__all__ = ["irr_cells"]
