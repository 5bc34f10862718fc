"""The internal rate of return of ``tt.finance.irr``, for many cells at once.

For one cell, the dates d_0 < ... < d_T (date members under the cell where a cash flow or a
market value exists) give t_i = days from d_0 to d_i, and the enhanced cash flows

    CF_0 = -MV_0,   CF_i = cash_flow_i (0 < i < T),   CF_T = cash_flow_T + MV_T.

The rate r solves NPV(r) = sum_i CF_i (1 + r) ** (-t_i / P) = 0, where P is the unit period in
days: the whole span t_T for ``period="total"``, 365 for ``"annualized"``. Newton's method runs on
every cell together (one numpy step per iteration) until each step is below `precision` (a step
that would cross -1 goes halfway there instead); a cell whose iteration diverges, does not settle
or has a single date is empty.
"""

from __future__ import annotations

import numpy as np

DAYS_PER_YEAR = 365.0
MAX_ITERATIONS = 100


def enhanced_cash_flows(cash_flows: np.ndarray, market_values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """CF per (cell, date): first present date -MV, last present date cash flow + MV, else the cash flow.

    `cash_flows` and `market_values` are (cells, dates) arrays with NaN where empty; `present`
    marks the (cell, date) pairs that take part. Absent pairs get 0 (they add nothing to the NPV).
    """
    n_cells, n_dates = present.shape
    cf = np.where(present, np.nan_to_num(cash_flows), 0.0)
    mv = np.nan_to_num(market_values)
    rows = np.arange(n_cells)
    has = present.any(axis=1)
    first = np.argmax(present, axis=1)
    last = n_dates - 1 - np.argmax(present[:, ::-1], axis=1)
    out = cf.copy()
    out[rows[has], last[has]] = cf[rows[has], last[has]] + mv[rows[has], last[has]]
    out[rows[has], first[has]] = -mv[rows[has], first[has]]
    return out


def irr(days: np.ndarray, cash_flows: np.ndarray, market_values: np.ndarray, present: np.ndarray, *,
        precision: float = 0.001, period: str = "total", guess: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rate, present) per cell.

    `days` (dates,) are the date members as day numbers in increasing order; the other arrays are
    (cells, dates), see `enhanced_cash_flows`.
    """
    if period not in ("total", "annualized"):
        raise ValueError(f"period must be 'total' or 'annualized', got {period!r}.")
    present = np.asarray(present, np.bool_)
    n_cells = present.shape[0]
    days = np.asarray(days, np.float64)
    cf = enhanced_cash_flows(np.asarray(cash_flows, np.float64), np.asarray(market_values, np.float64), present)
    first = np.where(present.any(axis=1), days[np.argmax(present, axis=1)], 0.0)
    t = np.where(present, days[None, :] - first[:, None], 0.0)
    span = t.max(axis=1, initial=0.0)
    unit = span if period == "total" else np.full(n_cells, DAYS_PER_YEAR)
    ok = span > 0
    exponent = -t / np.where(ok, unit, 1.0)[:, None]  # -t_i / P

    rate = np.full(n_cells, 0.1 if guess is None else float(guess))
    done = ~ok
    with np.errstate(all="ignore"):
        for _ in range(MAX_ITERATIONS):
            base = (1.0 + rate)[:, None]
            discounted = cf * base**exponent
            npv = discounted.sum(axis=1)
            slope = (discounted * exponent / base).sum(axis=1)
            step = np.where(done, 0.0, npv / slope)
            proposed = rate - step
            # A step past -1 (where the discount factors blow up) goes halfway to -1 instead: plain
            # Newton from 0.1 overshoots there whenever the rate is very negative (a large loss).
            clamped = proposed <= -1.0
            proposed = np.where(clamped, (rate - 1.0) / 2.0, proposed)
            step = rate - proposed
            rate = proposed
            failed = ~np.isfinite(rate)
            rate = np.where(failed, np.nan, rate)
            # A halving step is not Newton's: however small, it says nothing of being near a root.
            done |= failed | ((np.abs(step) < precision) & ~clamped)
            if done.all():
                break
    settled = done & ok & np.isfinite(rate)
    return np.where(settled, rate, np.nan), settled


__all__ = ["DAYS_PER_YEAR", "enhanced_cash_flows", "irr"]
