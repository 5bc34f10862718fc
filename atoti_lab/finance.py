"""Financial functions of measures: ``tt.finance.irr``."""

from __future__ import annotations

from typing import Any, Literal

from . import type as types
from ._engine.expr.measure import Lit, Op
from ._experimental import require
from ._operation import to_node
from .hierarchy import Hierarchy
from .measure import MeasureDescription

__all__ = ["irr"]

_DATE_TYPES = (types.LOCAL_DATE, types.LOCAL_DATE_TIME, types.ZONED_DATE_TIME)


def irr(*, cash_flows: Any, market_value: Any, date: Hierarchy, precision: float = 0.001,
        period: Literal["annualized", "total"] = "total", guess: float | None = None) -> MeasureDescription:
    """The internal rate of return of the cash flows at the members of the `date` hierarchy under each cell.

    The rate r nullifies sum_i CF_i (1 + r) ** (-t_i / P), with t_i the days since the first date,
    P the whole span (``period="total"``) or 365 days (``"annualized"``), and the cash flows
    enhanced by the market value: -MV on the first date, cash flow + MV on the last. Newton's
    method, from `guess` (0.1 when None), stops when a step is below `precision`.

    Experimental in atoti 0.9: call it inside ``with tt.experimental({"finance.irr"}):``.
    """
    require("finance.irr")
    if not isinstance(date, Hierarchy):
        raise TypeError(f"irr() takes the date hierarchy as date=, got {date!r}.")
    levels = list(date.levels.values())
    if len(levels) != 1 or levels[0].data_type not in _DATE_TYPES:
        raise ValueError(f"irr() needs a hierarchy with a single date level; {date.name!r} has "
                         f"{[(lvl.name, lvl.data_type) for lvl in levels]}.")
    if isinstance(precision, bool) or not isinstance(precision, (int, float)) or not precision > 0:
        raise ValueError(f"precision must be a positive number, got {precision!r}.")
    if period not in ("annualized", "total"):
        raise ValueError(f"period must be 'annualized' or 'total', got {period!r}.")
    if guess is not None and (isinstance(guess, bool) or not isinstance(guess, (int, float)) or not guess > -1):
        raise ValueError(f"guess must be a number above -1, got {guess!r}.")
    args = (to_node(cash_flows), to_node(market_value), Lit(levels[0]._subject), Lit(float(precision)), Lit(period),
            Lit(None if guess is None else float(guess)))
    return MeasureDescription(Op("irr", args))
