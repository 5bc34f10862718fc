"""anywidget classes: traits plus the paths of their built front-end bundles, no query logic.

Imported lazily (``anywidget`` pulls in ``ipywidgets``), so ``import atoti_lab`` stays light.

>>> from atoti_lab.widgets import ResultTable
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .table import ResultTable

__all__ = ["ResultTable"]


def __getattr__(name: str) -> Any:
    if name == "ResultTable":
        from .table import ResultTable

        return ResultTable
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
