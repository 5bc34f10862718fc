"""Functions of array measures (vectors such as P&L scenarios), cell by cell.

``tt.agg.sum`` and ``tt.agg.mean`` of an array column aggregate element by element; arithmetic
with numbers or arrays of the same length is element-wise; ``m["PnL.SUM"][0]`` is one element and
``m["PnL.SUM"][2:5]`` a slice. The functions here turn an array into a number (``sum``,
``quantile`` ...) or into another array (``sort``, ``n_greatest`` ...).

>>> m["VaR 95"] = tt.array.quantile(m["PnL.SUM"], 0.05)  # doctest: +SKIP
>>> m["Worst 3"] = tt.array.n_lowest(m["PnL.SUM"], 3)  # doctest: +SKIP
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Literal

from ._engine.expr.measure import Lit, Node, Op
from ._operation import to_node
from .measure import MeasureDescription

__all__ = [
    "len",
    "max",
    "mean",
    "min",
    "n_greatest",
    "n_greatest_indices",
    "n_lowest",
    "n_lowest_indices",
    "negative_values",
    "nth_greatest",
    "nth_lowest",
    "positive_values",
    "prefix_sum",
    "prod",
    "quantile",
    "quantile_index",
    "replace",
    "sort",
    "std",
    "sum",
    "var",
]

_QUANTILE_MODES = ("simple", "centered", "inc", "exc")
_INTERPOLATIONS = ("linear", "higher", "lower", "nearest", "midpoint")


def _op(func: str, measure: Any, *params: Any) -> MeasureDescription:
    return MeasureDescription(Op(f"array.{func}", (to_node(measure), *(Lit(p) for p in params))))


def _positive(n: Any, func: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"tt.array.{func}() takes a positive integer n, got {n!r}.")
    return n


def sum(measure: Any, /) -> MeasureDescription:
    """The sum of the elements of each cell's array (0 for an empty array)."""
    return _op("sum", measure)


def mean(measure: Any, /) -> MeasureDescription:
    """The mean of the elements of each cell's array."""
    return _op("mean", measure)


def min(measure: Any, /) -> MeasureDescription:
    """The smallest element of each cell's array."""
    return _op("min", measure)


def max(measure: Any, /) -> MeasureDescription:
    """The greatest element of each cell's array."""
    return _op("max", measure)


def prod(measure: Any, /) -> MeasureDescription:
    """The product of the elements of each cell's array."""
    return _op("prod", measure)


def len(measure: Any, /) -> MeasureDescription:
    """The number of elements of each cell's array."""
    return _op("len", measure)


def var(measure: Any, /, *, mode: Literal["sample", "population"] = "sample") -> MeasureDescription:
    """The variance of the elements (``n - 1`` in the denominator for ``"sample"``, ``n`` for ``"population"``)."""
    if mode not in ("sample", "population"):
        raise ValueError(f"mode must be 'sample' or 'population', got {mode!r}.")
    return _op("var", measure, mode)


def std(measure: Any, /, *, mode: Literal["sample", "population"] = "sample") -> MeasureDescription:
    """The standard deviation of the elements (see `var` for `mode`)."""
    if mode not in ("sample", "population"):
        raise ValueError(f"mode must be 'sample' or 'population', got {mode!r}.")
    return _op("std", measure, mode)


def sort(measure: Any, /, *, ascending: bool = True) -> MeasureDescription:
    """The elements of each cell's array, sorted."""
    return _op("sort", measure, builtins.bool(ascending))


def n_greatest(measure: Any, /, n: int) -> MeasureDescription:
    """An array of the `n` greatest elements (all of them when the array is shorter)."""
    return _op("n_greatest", measure, _positive(n, "n_greatest"))


def n_lowest(measure: Any, /, n: int) -> MeasureDescription:
    """An array of the `n` lowest elements (all of them when the array is shorter)."""
    return _op("n_lowest", measure, _positive(n, "n_lowest"))


def n_greatest_indices(measure: Any, /, n: int) -> MeasureDescription:
    """The indices of the `n` greatest elements, the greatest's first (ties: lower index first)."""
    return _op("n_greatest_indices", measure, _positive(n, "n_greatest_indices"))


def n_lowest_indices(measure: Any, /, n: int) -> MeasureDescription:
    """The indices of the `n` lowest elements, the lowest's first (ties: lower index first)."""
    return _op("n_lowest_indices", measure, _positive(n, "n_lowest_indices"))


def nth_greatest(measure: Any, /, n: int) -> MeasureDescription:
    """The `n`-th greatest element (``n=1``: the greatest); empty when the array is shorter."""
    return _op("nth_greatest", measure, _positive(n, "nth_greatest"))


def nth_lowest(measure: Any, /, n: int) -> MeasureDescription:
    """The `n`-th lowest element (``n=1``: the lowest); empty when the array is shorter."""
    return _op("nth_lowest", measure, _positive(n, "nth_lowest"))


def _check_quantile(q: Any, mode: str, interpolation: str, allowed: tuple[str, ...]) -> float:
    if isinstance(q, builtins.bool) or not isinstance(q, (int, float)) or not 0 <= q <= 1:
        raise ValueError(f"q must be a number between 0 and 1, got {q!r}.")
    if mode not in _QUANTILE_MODES:
        raise ValueError(f"mode must be one of {_QUANTILE_MODES}, got {mode!r}.")
    if interpolation not in allowed:
        raise ValueError(f"interpolation must be one of {allowed}, got {interpolation!r}.")
    return float(q)


def quantile(
    measure: Any,
    /,
    q: float,
    *,
    mode: Literal["simple", "centered", "inc", "exc"] = "inc",
    interpolation: Literal["linear", "higher", "lower", "nearest", "midpoint"] = "linear",
) -> MeasureDescription:
    """The `q` quantile of the elements.

    The 1-based position of the quantile among the n sorted elements is ``n * q`` (``"simple"``),
    ``n * q + 0.5`` (``"centered"``), ``(n + 1) * q`` (``"exc"``) or ``(n - 1) * q + 1`` (``"inc"``,
    Excel's PERCENTILE.INC and numpy's default), kept within ``[1, n]``; between two elements,
    `interpolation` decides (``"nearest"`` takes the lower one on a tie).
    """
    q = _check_quantile(q, mode, interpolation, _INTERPOLATIONS)
    return _op("quantile", measure, q, mode, interpolation)


def quantile_index(
    measure: Any,
    /,
    q: float,
    *,
    mode: Literal["simple", "centered", "inc", "exc"] = "inc",
    interpolation: Literal["higher", "lower", "nearest"] = "lower",
) -> MeasureDescription:
    """The index, in the array, of the element `quantile` would return (see `quantile`)."""
    q = _check_quantile(q, mode, interpolation, ("higher", "lower", "nearest"))
    return _op("quantile_index", measure, q, mode, interpolation)


def replace(measure: Any, replacements: Mapping[float, float] | Mapping[int, int], /) -> MeasureDescription:
    """The array with each element equal to a key of `replacements` replaced by its value
    (``{math.inf: 1.0}`` removes infinities; a NaN key replaces NaN elements)."""
    if not isinstance(replacements, Mapping) or not replacements:
        raise ValueError(f"replacements must be a non-empty mapping of numbers, got {replacements!r}.")
    pairs = []
    for old, new in replacements.items():
        for v in (old, new):
            if isinstance(v, builtins.bool) or not isinstance(v, (int, float)):
                raise TypeError(f"replacements must map numbers to numbers, got {old!r}: {new!r}.")
        pairs.append((old, new))
    return MeasureDescription(Op("array.replace", (to_node(measure), Lit(tuple(pairs)))))


def negative_values(measure: Any, /) -> MeasureDescription:
    """The array with its positive elements replaced by 0."""
    return _op("negative_values", measure)


def positive_values(measure: Any, /) -> MeasureDescription:
    """The array with its negative elements replaced by 0."""
    return _op("positive_values", measure)


def prefix_sum(measure: Any, /) -> MeasureDescription:
    """Running sums: element i is the sum of elements 0..i (``[2, 1, 0, 3]`` -> ``[2, 3, 3, 6]``)."""
    return _op("prefix_sum", measure)


def _element(measure: Any, key: Any) -> MeasureDescription:
    """``measure[key]``: one element (an int, or an integer measure) or a slice of an array measure."""
    node: Node = to_node(measure)
    if isinstance(key, slice):
        for part in (key.start, key.stop, key.step):
            if part is not None and (isinstance(part, builtins.bool) or not isinstance(part, int)):
                raise TypeError(f"Array slices take integer bounds, got {key!r}.")
        if key.step == 0:
            raise ValueError("A slice step cannot be zero.")
        return MeasureDescription(Op("array.slice", (node, Lit((key.start, key.stop, key.step)))))
    if isinstance(key, int) and not isinstance(key, builtins.bool):
        return MeasureDescription(Op("array.at", (node, Lit(key))))
    if hasattr(key, "_operand_node"):
        return MeasureDescription(Op("array.at", (node, to_node(key))))
    raise TypeError(f"An array measure is indexed by an int, an integer measure or a slice, got {key!r}.")
