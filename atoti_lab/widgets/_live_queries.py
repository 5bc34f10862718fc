"""The queries of a widget, held live: after a commit, a re-render updates each query's result from
the committed rows (``cube.query(..., live=True)``) instead of scanning the table again.

``LiveQueries`` stands in for the cube where the widget's query code calls ``cube.query``: a call
with the same arguments as before returns the held live query's result, brought up to date; a new
call starts a live query. ``settle()`` after a render stops the live queries that render did not
use (the state changed), so a widget holds only the queries of what it shows.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from ..cube import Cube

__all__ = ["LiveQueries"]


class LiveQueries:
    def __init__(self, cube: Cube) -> None:
        self._cube = cube
        self._held: dict[tuple[Any, ...], Any] = {}
        self._used: set[tuple[Any, ...]] = set()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # Everything but query (levels, measures, name...) is the cube's own.
        return getattr(self._cube, name)

    def query(self, *measures: Any, **kwargs: Any) -> pd.DataFrame:
        key = _key(measures, kwargs)
        with self._lock:
            live = self._held.get(key)
            if live is not None and not live.running:  # stopped by an error (e.g. a deleted measure)
                del self._held[key]
                live = None
            if live is None:
                live = self._held[key] = self._cube.query(*measures, live=True, **kwargs)
            else:
                live.refresh()  # the pending commits, applied now rather than at the next interval
            self._used.add(key)
        return live.result

    def settle(self) -> None:
        """Stop the live queries not asked for since the last call."""
        with self._lock:
            unused = [key for key in self._held if key not in self._used]
            stopped = [self._held.pop(key) for key in unused]
            self._used = set()
        for live in stopped:
            live.stop()

    def close(self) -> None:
        with self._lock:
            held, self._held, self._used = list(self._held.values()), {}, set()
        for live in held:
            live.stop()

    @property
    def held(self) -> int:
        return len(self._held)


def _key(measures: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The query's identity. Conditions overload ``==``: they are keyed by their node's repr."""
    levels = kwargs.get("levels", ())
    levels = [levels] if not isinstance(levels, (list, tuple)) else levels
    condition = kwargs.get("filter")
    rest = tuple(sorted((k, repr(v)) for k, v in kwargs.items() if k not in ("levels", "filter")))
    return (tuple(m.name for m in measures), tuple(repr(lvl._ref) for lvl in levels),
            None if condition is None else repr(condition._node), rest)
