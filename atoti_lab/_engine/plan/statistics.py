"""Order statistics and moments of a cell's values (median, quantile, var, std), as atoti defines them."""

from __future__ import annotations

import math

import numpy as np

QUANTILE_MODES = ("simple", "centered", "inc", "exc")
INTERPOLATIONS = ("linear", "higher", "lower", "nearest", "midpoint")


def quantile(sorted_values: np.ndarray, q: float, mode: str = "inc", interpolation: str = "linear") -> float:
    """The q-quantile of sorted values (NaN when there are none); see `quantiles`."""
    n = len(sorted_values)
    if not n:
        return math.nan
    out = quantiles(np.asarray(sorted_values, np.float64), np.zeros(1, np.int64), np.array([n]), q, mode,
                    interpolation)
    return float(out[0])


def quantiles(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, q: float, mode: str = "inc",
              interpolation: str = "linear") -> np.ndarray:
    """The q-quantile of each group of `values`, group k being the sorted run
    values[starts[k]: starts[k] + counts[k]] (NaN for empty groups).

    Modes place the quantile at a (0-based, fractional) rank: inc: (n-1)q (Excel's PERCENTILE.INC,
    numpy's default); exc: (n+1)q-1 (PERCENTILE.EXC); simple: nq-1; centered: nq-0.5. Ranks
    outside the values clamp to the first or last one."""
    n = counts.astype(np.float64)
    rank = {"inc": (n - 1) * q, "exc": (n + 1) * q - 1, "simple": n * q - 1, "centered": n * q - 0.5}[mode]
    has = counts > 0
    rank = np.minimum(np.maximum(rank, 0.0), np.maximum(n - 1.0, 0.0))
    lo, hi = np.floor(rank), np.ceil(rank)
    last = max(len(values) - 1, 0)
    pick = values if len(values) else np.zeros(1)
    a = pick[np.minimum(starts + lo.astype(np.int64), last)]
    b = pick[np.minimum(starts + hi.astype(np.int64), last)]
    if interpolation == "lower":
        out = a
    elif interpolation == "higher":
        out = b
    elif interpolation == "nearest":
        out = np.where(rank - lo <= 0.5, a, b)  # halves go down, as Java's HALF_DOWN
    elif interpolation == "midpoint":
        out = np.where(lo == hi, a, (a + b) / 2)
    else:
        out = np.where(lo == hi, a, a + (b - a) * (rank - lo))
    return np.where(has, out, np.nan)


def variance(values: np.ndarray, mode: str = "sample") -> float:
    n = len(values)
    if n == 0 or (mode == "sample" and n < 2):
        return math.nan
    return float(np.var(values, ddof=1 if mode == "sample" else 0))


def variance_of_moments(count: np.ndarray, total: np.ndarray, square_total: np.ndarray,
                        mode: str = "sample") -> np.ndarray:
    """Variances of groups from their count, sum and sum of squares (NaN where undefined)."""
    n = count.astype(np.float64)
    dof = n - 1 if mode == "sample" else n
    with np.errstate(all="ignore"):
        mean = total / n
        out = np.maximum(square_total - mean * total, 0.0) / dof
    return np.where(dof > 0, out, np.nan)
