"""The F (Fisher-Snedecor) distribution with numerator and denominator degrees of freedom."""

from __future__ import annotations

from typing import Any

from ..measure import MeasureDescription
from ._distribution import function

__all__ = ["cdf", "pdf", "ppf"]
_POSITIVE = ("numerator_degrees_of_freedom", "denominator_degrees_of_freedom")


def _parameters(d1: Any, d2: Any) -> dict[str, Any]:
    return {"numerator_degrees_of_freedom": d1, "denominator_degrees_of_freedom": d2}


def cdf(point: Any, /, *, numerator_degrees_of_freedom: Any, denominator_degrees_of_freedom: Any) -> MeasureDescription:
    """P(X <= point) = I_{d1 x / (d1 x + d2)}(d1 / 2, d2 / 2)."""
    return function("f", "cdf", point, _parameters(numerator_degrees_of_freedom, denominator_degrees_of_freedom),
                    _POSITIVE)


def pdf(point: Any, /, *, numerator_degrees_of_freedom: Any, denominator_degrees_of_freedom: Any) -> MeasureDescription:
    """The density of the F distribution at `point`."""
    return function("f", "pdf", point, _parameters(numerator_degrees_of_freedom, denominator_degrees_of_freedom),
                    _POSITIVE)


def ppf(point: Any, /, *, numerator_degrees_of_freedom: Any, denominator_degrees_of_freedom: Any) -> MeasureDescription:
    """The inverse of `cdf`."""
    return function("f", "ppf", point, _parameters(numerator_degrees_of_freedom, denominator_degrees_of_freedom),
                    _POSITIVE)
