"""Student's t distribution with a number of degrees of freedom."""

from __future__ import annotations

from typing import Any

from ..measure import MeasureDescription
from ._distribution import function

__all__ = ["cdf", "pdf", "ppf"]
_POSITIVE = ("degrees_of_freedom",)


def cdf(point: Any, /, *, degrees_of_freedom: Any) -> MeasureDescription:
    """P(T <= point)."""
    return function("t", "cdf", point, {"degrees_of_freedom": degrees_of_freedom}, _POSITIVE)


def pdf(point: Any, /, *, degrees_of_freedom: Any) -> MeasureDescription:
    """The density Gamma((v + 1) / 2) / (sqrt(v pi) Gamma(v / 2)) * (1 + point**2 / v) ** (-(v + 1) / 2)."""
    return function("t", "pdf", point, {"degrees_of_freedom": degrees_of_freedom}, _POSITIVE)


def ppf(point: Any, /, *, degrees_of_freedom: Any) -> MeasureDescription:
    """The inverse of `cdf`, e.g. the 0.975 quantile used by a two-sided 95% confidence interval."""
    return function("t", "ppf", point, {"degrees_of_freedom": degrees_of_freedom}, _POSITIVE)
