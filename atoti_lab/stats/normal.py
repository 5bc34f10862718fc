"""The normal (Gaussian) distribution of mean mu and standard deviation sigma."""

from __future__ import annotations

from typing import Any

from ..measure import MeasureDescription
from ._distribution import function

__all__ = ["cdf", "pdf", "ppf"]


def cdf(point: Any, /, *, mean: Any, standard_deviation: Any) -> MeasureDescription:
    """P(X <= point) = (1 + erf((point - mean) / (standard_deviation * sqrt(2)))) / 2."""
    return function("normal", "cdf", point, {"mean": mean, "standard_deviation": standard_deviation},
                    ("standard_deviation",))


def pdf(point: Any, /, *, mean: Any = 0, standard_deviation: Any = 1) -> MeasureDescription:
    """The density exp(-z**2 / 2) / (standard_deviation * sqrt(2 pi)), z = (point - mean) / standard_deviation."""
    return function("normal", "pdf", point, {"mean": mean, "standard_deviation": standard_deviation},
                    ("standard_deviation",))


def ppf(point: Any, /, *, mean: Any, standard_deviation: Any) -> MeasureDescription:
    """The inverse of `cdf`: the value below which a fraction `point` of the distribution lies."""
    return function("normal", "ppf", point, {"mean": mean, "standard_deviation": standard_deviation},
                    ("standard_deviation",))
