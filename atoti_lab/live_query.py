"""``cube.query(..., live=True)``: a query result that keeps itself up to date (our addition).

>>> live = cube.query(m["Quantity.SUM"], levels=[l["Date"]], live=True)   # doctest: +SKIP
>>> live.result                      # the latest result, a DataFrame as cube.query returns
>>> sub = live.subscribe(print)      # called with each new result, off the committing thread
>>> live.stop()                      # or: with cube.query(..., live=True) as live: ...

The engine side (incremental updates from the committed rows, coalescing) is in
_engine/live/queries.py; this handle only turns its results into DataFrames and runs callbacks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
from typing_extensions import Self

from ._engine.live.queries import LiveQuery as _EngineQuery
from ._engine.live.queries import UpdateStats
from ._engine.plan.query import CellSet

log = logging.getLogger("atoti_lab.live")

__all__ = ["LiveQuery", "Subscription", "UpdateStats"]


class Subscription:
    """A callback of a live query; ``stop()`` ends it (the query goes on)."""

    def __init__(self, live: LiveQuery, callback: Callable[[pd.DataFrame], Any]) -> None:
        self._live = live
        self.callback = callback

    def stop(self) -> None:
        self._live._remove(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LiveQuery:
    """A live query result: ``result`` (or ``to_pandas()``) is the latest result, as a DataFrame in
    the shape ``cube.query`` gives; attribute access, indexing, ``len`` and display go to it.

    Updates come at most once per ``interval`` seconds, whatever the rate of commits. Callbacks
    (``subscribe``) run on a thread of their own, with the latest result only: a slow callback
    skips intermediate results and never delays commits or updates. ``stop()`` ends it all;
    ``with cube.query(..., live=True) as live:`` stops it on exit.
    """

    def __init__(self, engine: _EngineQuery, to_frame: Callable[[CellSet], pd.DataFrame]) -> None:
        self._engine = engine
        self._to_frame = to_frame
        self._frame: tuple[CellSet, pd.DataFrame] | None = None
        self._frame_lock = threading.Lock()
        self._subs: list[Subscription] = []
        self._cond = threading.Condition()
        self._delivered: CellSet | None = None
        self._thread: threading.Thread | None = None
        self._remove_listener: Callable[[], None] | None = None

    # -- the result ---------------------------------------------------------------------------
    @property
    def result(self) -> pd.DataFrame:
        """The latest result (the DataFrame is built once per update, when first asked for)."""
        cells = self._engine.cells
        with self._frame_lock:
            if self._frame is None or self._frame[0] is not cells:
                self._frame = (cells, self._to_frame(cells))
            return self._frame[1]

    def to_pandas(self) -> pd.DataFrame:
        return self.result

    @property
    def version(self) -> int:
        """The store version (commit) the result reflects."""
        return self._engine.version

    @property
    def interval(self) -> float:
        return self._engine.interval

    @property
    def stats(self) -> UpdateStats:
        """How many updates were incremental, renumbered cells, or full queries (and why)."""
        return self._engine.stats

    @property
    def running(self) -> bool:
        return not self._engine.stopped

    @property
    def error(self) -> BaseException | None:
        """The exception that stopped the updates, if one did."""
        return self._engine.error

    def wait(self, version: int | None = None, timeout: float | None = None) -> bool:
        """Block until the result reflects the latest commit (or store version `version`)."""
        return self._engine.wait(version, timeout)

    def refresh(self) -> None:
        """Bring the result up to date now rather than at the end of the current interval."""
        self._engine.refresh()

    # -- callbacks ----------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[pd.DataFrame], Any]) -> Subscription:
        """Call ``callback(result)`` after each update (not with the current result)."""
        sub = Subscription(self, callback)
        with self._cond:
            self._subs = [*self._subs, sub]
            if self._thread is None:
                self._delivered = self._engine.cells
                self._remove_listener = self._engine.add_listener(self._updated)
                self._thread = threading.Thread(target=self._deliver, name="atoti_lab-live-callbacks", daemon=True)
                self._thread.start()
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._cond:
            self._subs = [s for s in self._subs if s is not sub]

    def _updated(self, cells: CellSet, version: int) -> None:
        with self._cond:
            self._cond.notify_all()

    def _deliver(self) -> None:
        while True:
            with self._cond:
                while self._engine.cells is self._delivered and not self._engine.stopped:
                    self._cond.wait(0.5)
                if self._engine.stopped and self._engine.cells is self._delivered:
                    return
                self._delivered = self._engine.cells
                subs = self._subs
            frame = self.result
            for sub in subs:
                try:
                    sub.callback(frame)
                except Exception:  # a failing callback must not stop the others
                    log.exception("Live query callback %r failed", sub.callback)

    # -- lifetime -----------------------------------------------------------------------------
    def stop(self) -> None:
        self._engine.stop()
        with self._cond:
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        try:
            self._engine.stop()
        except Exception:  # noqa: BLE001, S110 - interpreter shutdown
            pass

    # -- the DataFrame's face -----------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.result, name)

    def __getitem__(self, key: Any) -> Any:
        return self.result[key]

    def __len__(self) -> int:
        return len(self.result)

    def __repr__(self) -> str:
        state = "live" if self.running else "stopped"
        return f"LiveQuery({state}, version {self.version})\n{self.result!r}"

    def _repr_html_(self) -> str | None:
        html = getattr(self.result, "_repr_html_", None)
        return html() if html is not None else None
