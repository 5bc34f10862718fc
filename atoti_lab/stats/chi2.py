"""The chi-square distribution with a number of degrees of freedom."""

from __future__ import annotations

from typing import Any

from ..measure import MeasureDescription
from ._distribution import function

__all__ = ["cdf", "pdf", "ppf"]
_POSITIVE = ("degrees_of_freedom",)


def cdf(point: Any, /, *, degrees_of_freedom: Any) -> MeasureDescription:
    """P(X <= point), the regularised lower incomplete gamma function P(k / 2, point / 2)."""
    return function("chi2", "cdf", point, {"degrees_of_freedom": degrees_of_freedom}, _POSITIVE)


def pdf(point: Any, /, *, degrees_of_freedom: Any) -> MeasureDescription:
    """The density point**(k/2 - 1) exp(-point / 2) / (2**(k/2) Gamma(k / 2))."""
    return function("chi2", "pdf", point, {"degrees_of_freedom": degrees_of_freedom}, _POSITIVE)


def ppf(point: Any, /, *, degrees_of_freedom: Any) -> MeasureDescription:
    """The inverse of `cdf`."""
    return function("chi2", "ppf", point, {"degrees_of_freedom": degrees_of_freedom}, _POSITIVE)
