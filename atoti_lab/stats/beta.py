"""The beta distribution on [0, 1] with shape parameters alpha and beta."""

from __future__ import annotations

from typing import Any

from ..measure import MeasureDescription
from ._distribution import function

__all__ = ["cdf", "pdf", "ppf"]


def cdf(point: Any, /, *, alpha: Any, beta: Any) -> MeasureDescription:
    """P(X <= point), the regularised incomplete beta function I_point(alpha, beta)."""
    return function("beta", "cdf", point, {"alpha": alpha, "beta": beta}, ("alpha", "beta"))


def pdf(point: Any, /, *, alpha: Any, beta: Any) -> MeasureDescription:
    """The density point**(alpha - 1) (1 - point)**(beta - 1) / B(alpha, beta)."""
    return function("beta", "pdf", point, {"alpha": alpha, "beta": beta}, ("alpha", "beta"))


def ppf(point: Any, /, *, alpha: Any, beta: Any) -> MeasureDescription:
    """The inverse of `cdf`."""
    return function("beta", "ppf", point, {"alpha": alpha, "beta": beta}, ("alpha", "beta"))
