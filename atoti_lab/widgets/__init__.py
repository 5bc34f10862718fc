"""anywidget classes: traits plus the paths of their built front-end bundles, no query logic.

``import atoti_lab`` does not import this package (``anywidget`` pulls in ``ipywidgets``);
import it where a widget is made.

* :class:`Pivot` (and :func:`pivot`): a live pivot table over a cube.
* :class:`ResultTable`: a static table of a result (pandas or Arrow).

>>> from atoti_lab.widgets import Pivot, ResultTable, pivot
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Imported here, before the function `pivot` below is defined: importing the submodule
# `widgets/pivot.py` binds the package attribute `pivot` to the module, so the function must
# come after it.
from . import pivot as _pivot_module
from .pivot import Pivot
from .table import ResultTable

if TYPE_CHECKING:
    from ..cube import Cube

__all__ = ["Pivot", "ResultTable", "pivot"]


def pivot(cube: Cube, **kwargs: Any) -> Pivot:
    """A live pivot table over ``cube``; ``kwargs`` as for :class:`Pivot`.

    >>> import atoti_lab as tt
    >>> from atoti_lab import samples
    >>> from atoti_lab.widgets import pivot
    >>> session = tt.Session.start()
    >>> cube = samples.sales_cube(session)
    >>> widget = pivot(cube, rows=["Category"], measures=["Revenue"], totals=True)
    >>> widget.to_arrow()["Category"].to_pylist()
    [None, 'Books', 'Games', 'Garden', 'Kitchen', 'Toys']
    >>> widget.close()
    >>> session.close()
    """
    return Pivot(cube, **kwargs)


del _pivot_module
