"""Cell-wise functions of measures beyond arithmetic: ``isnan``, n-ary ``min``/``max`` and the
probability distributions of ``tt.stats``.

Each function takes its operands' cell values as (values, present) pairs and returns the
result's pair. An empty operand gives an empty cell, and so does a result outside the function's
domain (a negative standard deviation, a probability above 1): atoti shows empty cells there,
never an error in the middle of a query.

This module knows nothing of ``Vec`` (evaluate.py imports it, not the other way round), so the
functions work on anything with ``values`` and ``present`` arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .. import types as T


class Cells(Protocol):
    values: np.ndarray
    present: np.ndarray


Result = tuple[np.ndarray, np.ndarray]


def _present(args: Sequence[Cells]) -> np.ndarray:
    present = args[0].present.copy()
    for a in args[1:]:
        present &= a.present
    return present


def _floats(args: Sequence[Cells]) -> list[np.ndarray]:
    return [np.asarray(a.values, np.float64) for a in args]


def isnan(args: Sequence[Cells]) -> Result:
    """True where the value is NaN; an empty cell stays empty."""
    (x,) = args
    if np.asarray(x.values).dtype == object:  # strings, dates...: never NaN
        return np.zeros(len(x.present), np.bool_), x.present.copy()
    return np.isnan(np.asarray(x.values, np.float64)), x.present.copy()


def _extremum(reduce: Callable[..., np.ndarray]) -> Callable[[Sequence[Cells]], Result]:
    def run(args: Sequence[Cells]) -> Result:
        values = args[0].values
        for a in args[1:]:
            values = reduce(values, a.values)
        return values, _present(args)

    return run


# --- distributions -----------------------------------------------------------------------------
# scipy is imported when a distribution is first evaluated: it costs ~0.3 s and most sessions never
# use it.


def _scipy_stats() -> Any:
    import scipy.stats

    return scipy.stats


def _distribution(name: str, method: str) -> Callable[[Sequence[Cells]], Result]:
    """(point, *parameters) -> scipy.stats.<name>.<method>(point, *parameters), NaN-safe."""

    def run(args: Sequence[Cells]) -> Result:
        floats = _floats(args)
        point, params = floats[0], floats[1:]
        dist = getattr(_scipy_stats(), name)
        with np.errstate(all="ignore"):
            if name == "norm":
                mean, sd = params
                values = getattr(dist, method)(point, loc=mean, scale=sd)
            else:
                values = getattr(dist, method)(point, *params)
        values = np.asarray(values, np.float64)
        # scipy answers NaN outside the domain (sd <= 0, p > 1): an empty cell, as atoti shows it.
        return values, _present(args) & ~np.isnan(values)

    return run


# Parameters of each distribution after the point, in the order the Op holds them.
DISTRIBUTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "normal": ("norm", ("mean", "standard_deviation")),
    "t": ("t", ("degrees_of_freedom",)),
    "beta": ("beta", ("alpha", "beta")),
    "chi2": ("chi2", ("degrees_of_freedom",)),
    "f": ("f", ("numerator_degrees_of_freedom", "denominator_degrees_of_freedom")),
}

CELL_FUNCTIONS: dict[str, Callable[[Sequence[Cells]], Result]] = {
    "isnan": isnan,
    "min": _extremum(np.minimum),
    "max": _extremum(np.maximum),
    **{
        f"{public}.{method}": _distribution(scipy_name, method)
        for public, (scipy_name, _) in DISTRIBUTIONS.items()
        for method in ("cdf", "pdf", "ppf")
    },
}


def result_type(node: Any, operand_type: Callable[[Any], str]) -> str:
    """The data type of a cell function's values; `operand_type` types (and so validates) an operand."""
    op = node.op
    if op == "irr":
        # Op("irr", (cash_flows, market_value, Lit(date level), Lit(precision), Lit(period), Lit(guess))),
        # evaluated by finance.py (it navigates to the dates under each cell)
        for operand in node.args[:2]:
            if not T.is_numeric(operand_type(operand)):
                raise TypeError("tt.finance.irr() takes numeric cash flow and market value measures.")
        return T.DOUBLE
    arg_types = [operand_type(a) for a in node.args]
    if op == "isnan":
        return T.BOOLEAN
    if op in ("min", "max"):
        return T.LONG if all(t in (T.INT, T.LONG) for t in arg_types) else T.DOUBLE
    return T.DOUBLE


__all__ = ["CELL_FUNCTIONS", "DISTRIBUTIONS", "result_type"]
