"""Order statistics and moments of a cell's values (median, quantile, var, std), as atoti defines them."""

from __future__ import annotations

import math

import numpy as np

QUANTILE_MODES = ("simple", "centered", "inc", "exc")
INTERPOLATIONS = ("linear", "higher", "lower", "nearest", "midpoint")


def quantile(sorted_values: np.ndarray, q: float, mode: str = "inc", interpolation: str = "linear") -> float:
    """The q-quantile of sorted values. Modes place the quantile at a (0-based, fractional) rank:
    inc: (n-1)q (Excel's PERCENTILE.INC, numpy's default); exc: (n+1)q-1 (PERCENTILE.EXC);
    simple: nq-1; centered: nq-0.5. Ranks outside the values clamp to the first or last one."""
    n = len(sorted_values)
    if not n:
        return math.nan
    rank = {"inc": (n - 1) * q, "exc": (n + 1) * q - 1, "simple": n * q - 1, "centered": n * q - 0.5}[mode]
    rank = min(max(rank, 0.0), n - 1.0)
    lo, hi = math.floor(rank), math.ceil(rank)
    a, b = float(sorted_values[lo]), float(sorted_values[hi])
    if interpolation == "lower" or lo == hi:
        return a
    if interpolation == "higher":
        return b
    if interpolation == "nearest":
        return a if rank - lo <= 0.5 else b  # halves go down, as Java's HALF_DOWN
    if interpolation == "midpoint":
        return (a + b) / 2
    return a + (b - a) * (rank - lo)


def variance(values: np.ndarray, mode: str = "sample") -> float:
    n = len(values)
    if n == 0 or (mode == "sample" and n < 2):
        return math.nan
    return float(np.var(values, ddof=1 if mode == "sample" else 0))
