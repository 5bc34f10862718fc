"""What every ``tt.stats`` function does: check its constant parameters, build the IR node."""

from __future__ import annotations

from typing import Any

from .._engine.expr.measure import Op
from .._experimental import require
from .._operation import to_node
from ..measure import MeasureDescription


def function(distribution: str, name: str, point: Any, parameters: dict[str, Any],
             positive: tuple[str, ...] = ()) -> MeasureDescription:
    """``Op("<distribution>.<name>", (point, *parameters))``; parameters in the given order.

    Parameters that must be positive are checked when they are constants (a measure parameter
    that is not positive gives empty cells instead).
    """
    require(f"stats.{distribution}.{name}")
    for key, value in parameters.items():
        if isinstance(value, bool):
            raise TypeError(f"{key} must be a number or a measure, got {value!r}.")
        if key in positive and isinstance(value, (int, float)) and not value > 0:
            raise ValueError(f"{key} must be strictly positive, got {value!r}.")
    args = (to_node(point), *(to_node(v) for v in parameters.values()))
    return MeasureDescription(Op(f"{distribution}.{name}", args))
