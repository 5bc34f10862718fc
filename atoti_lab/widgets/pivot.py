"""Pivot: a live pivot table over a cube, as an anywidget.

>>> import atoti_lab as tt
>>> from atoti_lab import samples
>>> from atoti_lab.widgets import Pivot
>>> session = tt.Session.start()
>>> cube = samples.sales_cube(session)
>>> l, m = cube.levels, cube.measures
>>> widget = Pivot(cube, rows=[l["Category"]], columns=[l["Country"]], measures=[m["Revenue"]])
>>> widget.state["rows"]
[['Products', 'Category', 'Category']]
>>> widget.to_pandas().columns.tolist()
['Category', 'Country', 'Revenue']
>>> widget.error
''
>>> widget.close()
>>> session.close()

The kernel holds the query logic: every change of ``state`` (from Python or from the browser)
re-runs ``cube.query(*measures, levels=rows + columns, filter=..., include_totals=totals,
mode="raw")`` and puts the result, as Arrow IPC bytes, in ``data``; the browser
(``static/pivot.js``) pivots it into a grid. While ``live`` is on, a commit to any table feeding
the cube (a load, ``+=``, a drop, the end of a transaction) re-runs the query too, at most every
``refresh_ms`` milliseconds.
"""

from __future__ import annotations

import heapq
import html
import json
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import pandas as pd
import pyarrow as pa
import traitlets

from ._live_queries import LiveQueries
from ._query_state import (
    CHART_VIEWS,
    PIVOT_KEY,
    StateError,
    cube_model,
    default_state,
    filters_to_json,
    level_members,
    normalize_state,
    resolve_state,
    run_state,
)
from ._sort import same_members, sort_spec, sorted_rows
from ._static import StaticSnapshot, static_asset
from .chart_svg import render_chart_svg
from .table import FORMAT_KEY, _kind, _pylist, arrow_to_ipc, ipc_to_arrow, make_formatter

if TYPE_CHECKING:
    from .._condition import Condition
    from .._engine.store.database import Commit
    from ..cube import Cube
    from ..level import Level
    from ..measure import Measure

__all__ = ["Pivot"]

SNAPSHOT_MAX_ROWS = 100
SNAPSHOT_MAX_COLUMNS = 50


def _cube_tables(cube: Cube) -> frozenset[str]:
    """The tables whose commits can change the cube's results: its base table and the tables joined to it."""
    db = cube._session._database
    seen = {cube._model.base_table}
    todo = [cube._model.base_table]
    while todo:
        current = todo.pop()
        for join in db.joins_from(current):
            if join.target not in seen:
                seen.add(join.target)
                todo.append(join.target)
    return frozenset(seen)


class Pivot(StaticSnapshot, anywidget.AnyWidget):
    """A live pivot table over a cube.

    Args:
        cube: The cube to query.
        rows: The levels on rows (``Level`` handles, names, or ``(dimension, hierarchy, level)``
            tuples); the levels above them in their hierarchies are shown too.
        columns: The levels on columns (same forms). A hierarchy goes on one axis only.
        measures: The measures shown as values (``Measure`` handles or names).
        filters: Conditions on levels, ``l["Country"] == "France"`` or
            ``l["Country"].isin("France", "UK")``, alone, in a list or combined with ``&``.
        view: ``"pivot-table"`` or a chart: ``"clustered-column-chart"``, ``"stacked-column-chart"``,
            ``"clustered-bar-chart"``, ``"stacked-bar-chart"``, ``"line-chart"``, ``"area-chart"``,
            ``"pie-chart"``, ``"scatter-plot"``, ``"heatmap"`` (atoti's ``"plotly-..."`` names too).
            Switching views keeps the query.
        totals: Show the grand total and subtotals (``include_totals`` of ``cube.query``).
        live: Re-run the query when the data changes (a commit to a table feeding the cube).
        refresh_ms: At most one live re-run every this many milliseconds (bursts coalesce).
        title: Shown above the pivot.

    Traits (synced with the browser and saved with the notebook):
        state: The query: ``{"cube", "rows", "columns", "measures", "filters", "view", "totals",
            "sort", "expanded"}``, levels as ``[dimension, hierarchy, level]``, filters as
            ``{"level": [...], "op": "==", "value": v}`` or ``{"level": [...], "op": "isin",
            "values": [...]}`` (see :mod:`atoti_lab.widgets._query_state`), members drilled down
            in place as ``{"axis": "rows", "members": [{"level": [...], "value": v}, ...]}``
            (see :mod:`atoti_lab.widgets._expansions`). Assigning it (from Python, or by editing
            the pivot in the browser) re-runs the query (not for ``view`` and ``sort``).
        model: The cube's data model for the side panel (dimensions, hierarchies, levels,
            measures with folder and formatter). Read-only.
        data: Arrow IPC stream of the last result: exactly ``cube.query(*measures,
            levels=rows + columns, filter=..., include_totals=totals, mode="raw")``, level and
            measure names as column names, each measure's formatter in its field metadata; with
            expanded members, also their children's cells (a null in a level only expansions add
            meaning "not expanded").
        cross_totals: With ``totals`` and levels on both axes, the subtotal cells
            ``cube.query`` does not give (row subtotals per column), same columns as ``data``.
        error: Why the last query failed ("" if it did not); ``data`` keeps the last good result.
        live: Re-run on commits (toggled by the "Real time" box in the browser).
        refresh_ms: The minimum interval between live re-runs.

    A widget keeps a weak reference to its cube: once the session is closed (or the cube
    dropped), it stops updating. :meth:`close` stops it for good.
    """

    _esm = static_asset("pivot.js")
    _css = static_asset("pivot.css")

    state = traitlets.Dict().tag(sync=True)
    model = traitlets.Dict().tag(sync=True)
    data = traitlets.Bytes(b"").tag(sync=True)
    cross_totals = traitlets.Bytes(b"").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)
    refresh_ms = traitlets.Int(100).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        cube: Cube,
        rows: Sequence[Level | str | tuple[str, ...]] = (),
        columns: Sequence[Level | str | tuple[str, ...]] = (),
        measures: Sequence[Measure | str] = (),
        filters: Condition | Sequence[Condition] | None = None,
        view: str = "pivot-table",
        *,
        totals: bool = False,
        live: bool = True,
        refresh_ms: int = 100,
        title: str = "",
        state: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        from ..cube import Cube

        if not isinstance(cube, Cube):
            msg = f"Pivot() takes a cube, e.g. session.cubes['Sales']; got {cube!r}."
            raise TypeError(msg)
        if refresh_ms < 0:
            msg = f"refresh_ms must be >= 0, got {refresh_ms}."
            raise ValueError(msg)
        self._cube_ref: weakref.ReferenceType[Cube] = weakref.ref(cube)
        self._session_ref = weakref.ref(cube._session)
        self._run_lock = threading.RLock()
        self._schedule_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._dirty = False
        self._last_run = 0.0
        self._runs = 0
        self._model_version = -1
        self._closed = False
        self._initialising = True
        self._tables = _cube_tables(cube)
        if state is None:
            state = {
                "cube": cube.name,
                "rows": list(rows),
                "columns": list(columns),
                "measures": list(measures),
                "filters": filters_to_json(cube, filters),
                "view": view,
                "totals": bool(totals),
            }
        super().__init__(live=live, refresh_ms=refresh_ms, title=title, **kwargs)
        self._initialising = False
        with self.hold_sync():  # the model, state and first result in one message
            self._refresh_model(cube)
            self.state = normalize_state(cube, state)
            if not self.data and not self.error:  # an equal state set no change: run once anyway
                self.refresh()
        self._unsubscribe = cube._session._database.subscribe(_listener(weakref.ref(self)))
        self.on_msg(self._on_custom_message)

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def from_query(
        cls,
        cube: Cube,
        measures: Sequence[Measure | str] = (),
        levels: Sequence[Level] | Level = (),
        *,
        filter: Condition | None = None,
        include_totals: bool = False,
        **kwargs: Any,
    ) -> Pivot:
        """The widget of a ``cube.query(*measures, levels=levels, filter=..., include_totals=...)``:
        its levels on rows. For ``result.widget()``."""
        from ..level import Level

        if isinstance(levels, Level):
            levels = [levels]
        return cls(cube, rows=list(levels), measures=list(measures), filters=filter, totals=include_totals, **kwargs)

    @classmethod
    def of_session(cls, session: Any, cube_name: str | None = None, **kwargs: Any) -> Pivot:
        """An empty pivot over a cube of ``session`` (its only cube when ``cube_name`` is None).

        For ``session.widget`` and ``session.visualize(name)``.
        """
        cubes = session.cubes
        if cube_name is None:
            if len(cubes) != 1:
                names = sorted(cubes)
                msg = (
                    "The session has no cube yet; create one with session.create_cube(table)."
                    if not names
                    else f"The session has several cubes {names}; pass the name of one."
                )
                raise ValueError(msg)
            cube_name = next(iter(cubes))
        return cls(cubes[cube_name], **kwargs)

    # -- state helpers -------------------------------------------------------------------------
    @traitlets.validate("state")
    def _validate_state(self, proposal: Any) -> dict[str, Any]:
        cube = self._cube_ref()
        value = proposal["value"]
        if cube is None:
            return dict(value)
        try:
            return normalize_state(cube, value)
        except Exception:  # noqa: BLE001 - a state is never refused: refresh() reports what is wrong
            return dict(value)

    def update(self, **changes: Any) -> None:
        """Change parts of the state: ``widget.update(rows=[l["City"]], totals=True)``.

        Keys: ``rows``, ``columns``, ``measures``, ``filters``, ``view``, ``totals``; values as
        for the constructor; ``sort`` and ``expanded`` as in the ``state`` trait. Re-runs the
        query once (not for ``view`` or ``sort`` alone: the browser reorders or redraws).
        """
        cube = self._require_cube()
        unknown = sorted(set(changes) - set(default_state()) - {"cube"})
        if unknown:
            msg = f"Unknown state keys {unknown}; the keys are {sorted(set(default_state()) - {'cube'})}."
            raise TypeError(msg)
        if "filters" in changes:
            changes["filters"] = filters_to_json(cube, changes["filters"])
        self.state = {**self.state, **changes}

    @property
    def cube(self) -> Cube | None:
        """The cube, or None once its session is gone."""
        return self._cube_ref()

    def query_kwargs(self) -> dict[str, Any]:
        """The arguments of the ``cube.query`` call of the current state (measures under ``"measures"``)."""
        cube = self._require_cube()
        resolved = resolve_state(cube, self.state)
        return {"measures": list(resolved.measures), **resolved.query_kwargs()}

    # -- running -------------------------------------------------------------------------------
    @traitlets.validate("refresh_ms")
    def _validate_refresh_ms(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 0:
            msg = f"refresh_ms must be >= 0, got {value}."
            raise traitlets.TraitError(msg)
        return value

    @traitlets.observe("state")
    def _on_state(self, change: Any) -> None:
        if self._initialising:
            return
        old, new = change["old"] or {}, change["new"] or {}
        cube = self._cube_ref()
        if cube is not None and self.data and not self.error and _same_query(old, new):
            # A view switch or a sort: the browser redraws the same result; only check the state.
            try:
                resolve_state(cube, new)
            except StateError as e:
                self._set_error(str(e))
            return
        self.refresh()

    @traitlets.observe("live")
    def _on_live(self, change: Any) -> None:
        if change["new"] and self._dirty:
            self._schedule()

    def _require_cube(self) -> Cube:
        cube = self._cube_ref()
        session = self._session_ref()
        if cube is None or session is None or session.closed:
            msg = "The session of this widget is closed; start a new session and create a new widget."
            raise RuntimeError(msg)
        return cube

    def _set_error(self, message: str) -> None:
        if self.error == message:
            self.error = ""  # the browser hears a change, even for the same message
        self.error = message

    def refresh(self) -> bool:
        """Re-run the query now; True when it succeeded (else ``error`` says why)."""
        with self._run_lock:
            self._last_run = time.monotonic()
            self._dirty = False
            cube = self._cube_ref()
            session = self._session_ref()
            if cube is None or session is None or session.closed:
                self._stop_updates()
                self._set_error("The session of this widget is closed; start a new session and create a new widget.")
                return False
            try:
                self._refresh_model(cube)
                resolved = resolve_state(cube, self.state)
                self._runs += 1
                queries = self._live_queries(cube)
                try:
                    result = run_state(queries, resolved, run=self._runs)  # type: ignore[arg-type]
                finally:
                    queries.settle()
            except StateError as e:
                self._set_error(str(e))
                return False
            except Exception as e:  # noqa: BLE001 - the widget shows the error; the kernel keeps running
                self._set_error(f"The query failed: {type(e).__name__}: {e}")
                return False
            with self.hold_sync():
                self.data = arrow_to_ipc(result.table)
                self.cross_totals = arrow_to_ipc(result.cross_totals) if result.cross_totals is not None else b""
                self.error = ""
            return True

    def _live_queries(self, cube: Cube) -> LiveQueries:
        """The widget's queries, held live on `cube` (see _live_queries.py)."""
        queries = getattr(self, "_queries", None)
        if queries is None or queries._cube is not cube:
            if queries is not None:
                queries.close()
            queries = self._queries = LiveQueries(cube)
        return queries

    def members(self, level: Level | str | Sequence[str]) -> list[Any]:
        """All the members of ``level`` in the cube (what the member filter lists), at most
        ``MEMBER_LIMIT``."""
        cube = self._require_cube()
        return level_members(cube, _level_json(level))[0]

    def _on_custom_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """The browser asks for the members of a level (to list them in a member filter)."""
        if not isinstance(content, Mapping) or content.get("type") != "members":
            return
        reply: dict[str, Any] = {"type": "members", "id": content.get("id"), "level": content.get("level")}
        try:
            members, more = level_members(self._require_cube(), content.get("level"))
            reply.update(members=members, more=more)
        except Exception as e:  # noqa: BLE001 - the answer carries the error; the kernel keeps running
            reply["error"] = str(e)
        self.send(reply)

    def _refresh_model(self, cube: Cube) -> None:
        version = cube._model.version
        if version != self._model_version:
            self._model_version = version
            self.model = cube_model(cube)

    # -- live updates --------------------------------------------------------------------------
    def _on_commit(self, commit: Commit) -> None:
        """Called in the committing thread: only marks the result stale and schedules a re-run."""
        if self._closed:
            return
        session = self._session_ref()
        if session is None or session.closed:
            self._stop_updates()
            return
        if not (commit.tables & self._tables):
            cube = self._cube_ref()
            if cube is None:
                return
            self._tables = _cube_tables(cube)  # joins may have been added since
            if not (commit.tables & self._tables):
                return
        self._dirty = True
        if self.live:
            self._schedule()

    def _schedule(self) -> None:
        with self._schedule_lock:
            if self._timer is not None or self._closed:
                return  # a re-run is already due; it will see this commit too
            delay = max(0.0, self._last_run + self.refresh_ms / 1000 - time.monotonic())
            timer = threading.Timer(delay, self._on_timer)
            timer.daemon = True
            timer.name = f"atoti_lab-pivot-{self.model_id}"
            self._timer = timer
            timer.start()

    def _on_timer(self) -> None:
        with self._schedule_lock:
            self._timer = None
            # A commit arriving from now on waits refresh_ms from this run, not from the last one.
            self._last_run = time.monotonic()
        if self._closed or not self.live or not self._dirty:
            return
        self.refresh()

    def _stop_updates(self) -> None:
        unsubscribe = getattr(self, "_unsubscribe", None)
        if unsubscribe is not None:
            unsubscribe()
            self._unsubscribe = None
        queries = getattr(self, "_queries", None)
        if queries is not None:
            queries.close()
        if not hasattr(self, "_schedule_lock"):  # __init__ failed early (e.g. a bad filter)
            return
        with self._schedule_lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    @property
    def subscribed(self) -> bool:
        """Whether the widget listens to commits (False once closed or its session is gone)."""
        return getattr(self, "_unsubscribe", None) is not None

    def close(self) -> None:
        """Stop live updates and close the widget (its views disappear)."""
        self._closed = True
        self._stop_updates()
        super().close()

    # -- results -------------------------------------------------------------------------------
    def to_arrow(self) -> pa.Table:
        """The last result (the table in ``data``)."""
        return ipc_to_arrow(self.data)

    def to_pandas(self) -> pd.DataFrame:
        """The last result as a frame shaped like ``cube.query(..., mode="raw")``."""
        return self.to_arrow().to_pandas()

    def snapshot_html(self, max_rows: int = SNAPSHOT_MAX_ROWS, max_columns: int = SNAPSHOT_MAX_COLUMNS) -> str:
        """A static HTML rendering of the pivot, as shown where widgets cannot run."""
        view = self.state.get("view", "pivot-table")
        sort = sort_spec(self.state)
        key = (self.data, self.cross_totals, self.title, self.error, max_rows, max_columns, view, json.dumps(sort))
        cached = getattr(self, "_snapshot", None)
        if cached is not None and len(cached[0]) == len(key) and all(a is b or a == b for a, b in zip(cached[0], key)):
            return cached[1]
        if view in CHART_VIEWS:
            text = self._chart_html(view)
            self._snapshot = (key, text)
            return text
        text = render_pivot_html(
            self.to_arrow(),
            ipc_to_arrow(self.cross_totals) if self.cross_totals else None,
            title=self.title,
            error=self.error,
            max_rows=max_rows,
            max_columns=max_columns,
            sort=sort,
        )
        self._snapshot = (key, text)
        return text

    def snapshot_svg(self) -> str | None:
        """The SVG drawing of the chart view (None for the table view)."""
        view = self.state.get("view", "pivot-table")
        if view not in CHART_VIEWS:
            return None
        table = self.to_arrow()
        return render_chart_svg(table, pivot_info(table), view, title=self.title, sort=sort_spec(self.state))

    def _chart_html(self, view: str) -> str:
        esc = html.escape
        parts = ['<div class="atoti-lab atl-snapshot atl-chart-snapshot">']
        if self.title:
            parts.append(f"<p><strong>{esc(self.title)}</strong></p>")
        if self.error:
            parts.append(f'<pre style="color: #d32f2f; white-space: pre-wrap;">{esc(self.error)}</pre>')
        if self.to_arrow().num_columns == 0:
            parts.append("<p><em>Add levels and measures to the pivot.</em></p>")
        else:
            parts.append(self.snapshot_svg() or "")
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        svg = self.snapshot_svg()
        # Front ends that show images but not HTML (GitHub among them) get the chart as SVG.
        return ({**data, "image/svg+xml": svg} if svg else data), metadata

    def __repr__(self) -> str:
        state = self.state
        cube = state.get("cube", "?")
        table = self.to_arrow()
        info = f"{table.num_rows} rows" if table.num_columns else "no result"
        if self.error:
            info = f"error: {self.error}"
        parts = [f"cube={cube!r}"]
        for key in ("rows", "columns"):
            if state.get(key):
                parts.append(f"{key}={[k[-1] if isinstance(k, list) else k for k in state[key]]}")
        if state.get("measures"):
            parts.append(f"measures={state['measures']}")
        return f"Pivot({', '.join(parts)}; {info})"


PRESENTATION_KEYS = frozenset({"view", "sort"})
"""State keys the browser applies to the result by itself: changing only these runs no query."""


def _level_json(level: Any) -> Any:
    from ..level import Level

    if isinstance(level, Level):
        return [level.dimension, level.hierarchy, level.name]
    return [level] if isinstance(level, str) else list(level)


def _same_query(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    keys = (set(old) | set(new)) - PRESENTATION_KEYS
    return all(old.get(k) == new.get(k) for k in keys)


def _listener(ref: weakref.ReferenceType[Pivot]) -> Any:
    """A commit listener that does not keep the widget alive."""

    def on_commit(commit: Commit) -> None:
        widget = ref()
        if widget is not None:
            widget._on_commit(commit)

    return on_commit


def pivot_info(table: pa.Table) -> dict[str, Any]:
    """The ``atoti_lab.pivot`` schema metadata of a result table ({} when absent)."""
    raw = (table.schema.metadata or {}).get(PIVOT_KEY)
    if not raw:
        return {}
    try:
        info = json.loads(raw)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


# ---------------------------------------------------------------------------------------------
# Pivot layout and static HTML snapshot (the same rules as js/src/grid/layout.ts)


def level_ranks(codes: np.ndarray, prefix: Sequence[np.ndarray], boundaries: np.ndarray, n_members: int) -> np.ndarray:
    """The rank of each member (by code) of a level, from results sorted by member order.

    ``codes`` are the level's member codes per row (first-appearance order, -1 for a total),
    ``prefix`` the codes of the levels before it, ``boundaries[r]`` is True when row r starts a new
    table. Two consecutive rows of a table that agree on the prefix and hold different members
    a then b say that a comes before b; the ranks are a topological order of these constraints,
    ties broken by first appearance (which is the answer when it already meets them all).
    """
    if len(codes) < 2 or n_members == 0:
        return np.arange(n_members)
    same = ~boundaries[1:]
    for p in prefix:
        same &= p[1:] == p[:-1]
    a, b = codes[:-1], codes[1:]
    constrained = same & (a >= 0) & (b >= 0) & (a != b)
    if not (constrained & (a > b)).any():
        return np.arange(n_members)
    pairs = np.unique(np.stack([a[constrained], b[constrained]], axis=1), axis=0)
    edges: dict[int, list[int]] = {}
    indegree = np.zeros(n_members, dtype=np.int64)
    for x, y in pairs.tolist():
        edges.setdefault(x, []).append(y)
        indegree[y] += 1
    heap = [int(c) for c in np.flatnonzero(indegree == 0)]
    heapq.heapify(heap)
    rank = np.full(n_members, -1, dtype=np.int64)
    position = 0
    while heap:
        v = heapq.heappop(heap)
        rank[v] = position
        position += 1
        for w in edges.get(v, ()):
            indegree[w] -= 1
            if indegree[w] == 0:
                heapq.heappush(heap, w)
    for c in np.flatnonzero(rank < 0):  # a cycle: appearance order
        rank[c] = position
        position += 1
    return rank


def member_orders(columns: Sequence[Sequence[Sequence[Any]]], n_levels: int) -> list[dict[Any, int]]:
    """Member ranks of each level from plain values: ``columns[t][j]`` are the values of level j in table t."""
    lengths = [len(table[0]) if table else 0 for table in columns]
    boundaries = np.zeros(sum(lengths), dtype=bool)
    boundaries[np.cumsum([0, *lengths[:-1]])[: len(lengths)]] = True
    factorized = [
        pd.factorize(pd.Series([v for table in columns for v in table[j]], dtype=object)) for j in range(n_levels)
    ]
    out = []
    for j, (codes, uniques) in enumerate(factorized):
        rank = level_ranks(codes, [f[0] for f in factorized[:j]], boundaries, len(uniques))
        out.append({value: int(rank[c]) for c, value in enumerate(uniques)})
    return out


def tuple_labels(values: Sequence[Any], texts: Sequence[str], blank: AbstractSet[int] = frozenset()) -> list[str]:
    """Header labels of a member tuple: the first total level says "Total", the ones below it are
    blank; a null in a level of ``blank`` (only expansions add it: not expanded there) is blank."""
    out = []
    total = False
    for i, (v, text) in enumerate(zip(values, texts)):
        if v is None and i in blank:
            out.append("")
        elif v is None:
            out.append("" if total else "Total")
            total = True
        else:
            out.append(text)
    return out


@dataclass
class _Axis:
    """The distinct tuples of some levels, sorted: their first source rows and each row's tuple."""

    first: np.ndarray  # per tuple: a global row holding it
    index: np.ndarray  # per global row: its tuple

    @property
    def count(self) -> int:
        return len(self.first)


def _axis(ranks: Sequence[np.ndarray], total: int) -> _Axis:
    if not ranks or total == 0:
        return _Axis(np.zeros(1 if total else 0, dtype=np.int64), np.zeros(total, dtype=np.int64))
    keys = np.stack(ranks, axis=1)
    _, first, index = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return _Axis(first, index.reshape(-1))


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[Any]]:
    """Member codes in first-appearance order (-1 for null) and the member values."""
    encoded = (
        column.combine_chunks().dictionary_encode()
        if not pa.types.is_dictionary(column.type)
        else column.combine_chunks()
    )
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    indices = np.where(encoded.indices.is_null().to_numpy(zero_copy_only=False), -1, indices).astype(np.int64)
    codes, order = pd.factorize(indices, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    # pd.factorize numbers -1 too: map it back to -1
    if (order == -1).any():
        null_code = int(np.flatnonzero(order == -1)[0])
        codes = np.where(codes == null_code, -1, codes - (codes > null_code))
        order = order[order != -1]
    dictionary = _pylist(encoded.dictionary)
    return codes, [dictionary[i] for i in order.tolist()]


def _row_order(
    data: pa.Table,
    rows: _Axis,
    cols: _Axis,
    n_rows: int,
    n_levels: int,
    measures: Sequence[str],
    sort: Mapping[str, Any] | None,
    row_values: Callable[[int], tuple[Any, ...]],
    column_values: Callable[[int], tuple[Any, ...]],
) -> list[int]:
    """The row tuples in display order: member order, or ``sort``'s (as the browser's grid)."""
    identity = list(range(rows.count))
    spec = sort_spec({"sort": sort}) if sort is not None else None
    if spec is None or spec["measure"] not in measures or rows.count < 2:
        return identity
    column = next((c for c in range(max(cols.count, 1)) if same_members(column_values(c), spec["members"])), None)
    if column is None:
        return identity
    measure = data.column(n_levels + list(measures).index(spec["measure"]))
    values: list[Any] = [None] * rows.count
    in_column = np.flatnonzero(cols.index == column) if cols.count else np.arange(data.num_rows)
    if len(in_column):
        picked = _pylist(measure.take(pa.array(in_column, pa.int64())))
        for t, v in zip(rows.index[in_column].tolist(), picked):
            values[t] = v
    return sorted_rows([row_values(t) for t in range(rows.count)], values, descending=spec["descending"])


def render_pivot_html(
    table: pa.Table,
    cross_totals: pa.Table | None = None,
    *,
    title: str = "",
    error: str = "",
    max_rows: int = SNAPSHOT_MAX_ROWS,
    max_columns: int = SNAPSHOT_MAX_COLUMNS,
    sort: Mapping[str, Any] | None = None,
) -> str:
    """The result as a pivoted HTML table: row levels down, column levels across, formatted values,
    rows in the order of ``sort`` (the state's, see ``_sort``)."""
    esc = html.escape
    parts = ['<div class="atoti-lab atl-snapshot atl-pivot-snapshot">']
    if title:
        parts.append(f"<p><strong>{esc(title)}</strong></p>")
    if error:
        parts.append(f'<pre style="color: #d32f2f; white-space: pre-wrap;">{esc(error)}</pre>')
    info = pivot_info(table)
    if table.num_columns == 0:
        parts.append("<p><em>Add levels and measures to the pivot.</em></p></div>")
        return "".join(parts)
    measures = [str(m) for m in info.get("measures", [])]
    n_levels = table.num_columns - len(measures)
    n_rows = int(info.get("rows", n_levels))
    n_cols = int(info.get("columns", 0))
    if n_rows + n_cols != n_levels or n_levels < 0:
        n_levels, n_rows, n_cols = table.num_columns, table.num_columns, 0
        measures = []
    tables = [table]
    if (
        cross_totals is not None
        and cross_totals.num_rows
        and cross_totals.schema.equals(table.schema, check_metadata=False)
    ):
        tables.append(cross_totals)
    data = pa.concat_tables([t.replace_schema_metadata(None) for t in tables]) if len(tables) > 1 else table
    total = data.num_rows
    boundaries = np.zeros(total, dtype=bool)
    if total:
        boundaries[0] = True
        if len(tables) > 1:
            boundaries[table.num_rows] = True

    level_codes: list[np.ndarray] = []
    level_members: list[list[Any]] = []
    ranks: list[np.ndarray] = []
    for j in range(n_levels):
        codes, members = _codes(data.column(j))
        rank = level_ranks(codes, level_codes, boundaries, len(members))
        level_codes.append(codes)
        level_members.append(members)
        ranks.append(
            np.where(codes < 0, 0, rank[np.maximum(codes, 0)] + 1) if len(members) else np.zeros(total, np.int64)
        )
    rows = _axis(ranks[:n_rows], total)
    cols = _axis(ranks[n_rows:], total)
    n_col_tuples = max(cols.count, 1)

    def tuple_values(axis: _Axis, t: int, levels: range) -> tuple[Any, ...]:
        if axis.count == 0:
            return ()
        g = int(axis.first[t])
        return tuple(None if level_codes[j][g] < 0 else level_members[j][level_codes[j][g]] for j in levels)

    blank = {i for i in info.get("expansion_levels", []) if isinstance(i, int)}  # null: not expanded
    # Display position of each row tuple: member order, or the sort's.
    order = _row_order(
        data,
        rows,
        cols,
        n_rows,
        n_levels,
        measures,
        sort,
        lambda t: tuple_values(rows, t, range(n_rows)),
        lambda c: tuple_values(cols, c, range(n_rows, n_levels)),
    )
    position_of_row = np.empty(rows.count, dtype=np.int64)
    position_of_row[np.asarray(order, dtype=np.int64)] = np.arange(rows.count)
    shown_rows = rows.count if max_rows <= 0 else min(rows.count, max_rows)
    per_tuple = len(measures) if measures else (1 if n_cols else 0)
    display = [(c, m) for c in range(n_col_tuples) for m in range(per_tuple)]
    shown_cols = display[:max_columns] if max_columns > 0 else display

    # Only the shown cells are read and formatted.
    cells: dict[tuple[int, int], int] = {}
    if total and measures:
        row_positions = position_of_row[rows.index] if rows.count else rows.index
        wanted = np.flatnonzero(row_positions < shown_rows)
        for g, r, c in zip(wanted.tolist(), row_positions[wanted].tolist(), cols.index[wanted].tolist()):
            cells[(r, c)] = g
    fields = list(table.schema)
    level_formatters = [make_formatter(f.type, None, raw=True) for f in fields[:n_levels]]
    measure_formatters = []
    numeric = []
    for f in fields[n_levels:]:
        fmt = f.metadata.get(FORMAT_KEY).decode() if f.metadata and FORMAT_KEY in f.metadata else None
        measure_formatters.append(make_formatter(f.type, fmt))
        numeric.append(_kind(f.type) in {"int", "float", "decimal", "duration"})
    needed = sorted(set(cells.values()))
    taken = data.take(pa.array(needed, pa.int64())) if needed else None
    position = {g: i for i, g in enumerate(needed)}
    measure_values = [_pylist(taken.column(n_levels + m)) for m in range(len(measures))] if taken is not None else []

    def labels(values: tuple[Any, ...], offset: int) -> list[str]:
        texts = [level_formatters[offset + i](v) for i, v in enumerate(values)]
        return tuple_labels(values, texts, {i - offset for i in blank})

    def has_total(values: tuple[Any, ...], offset: int) -> bool:
        return any(v is None and offset + i not in blank for i, v in enumerate(values))

    col_labels = {c: labels(tuple_values(cols, c, range(n_rows, n_levels)), n_rows) for c, _ in shown_cols}
    col_values = {c: tuple_values(cols, c, range(n_rows, n_levels)) for c, _ in shown_cols}

    parts.append('<table border="1" class="dataframe atl-table atl-pivot">')
    parts.append("<thead>")
    for k in range(n_cols):
        parts.append('<tr style="text-align: right;">')
        if n_rows:
            parts.append(f'<th colspan="{n_rows}" style="text-align: right;">{esc(fields[n_rows + k].name)}</th>')
        i = 0
        while i < len(shown_cols):
            c = shown_cols[i][0]
            span = 1
            while i + span < len(shown_cols) and col_values[shown_cols[i + span][0]][: k + 1] == col_values[c][: k + 1]:
                span += 1
            label = col_labels[c][k]
            parts.append(f'<th colspan="{span}">{esc(label)}</th>' if span > 1 else f"<th>{esc(label)}</th>")
            i += span
        parts.append("</tr>")
    parts.append('<tr style="text-align: right;">')
    parts.extend(f"<th>{esc(f.name)}</th>" for f in fields[:n_rows])
    parts.extend(f"<th>{esc(measures[m])}</th>" if measures else "<th></th>" for _, m in shown_cols)
    parts.append("</tr></thead><tbody>")
    for r in range(shown_rows):
        row_values = tuple_values(rows, int(order[r]), range(n_rows))
        total_row = has_total(row_values, 0)
        parts.append('<tr class="atl-total">' if total_row else "<tr>")
        parts.extend(f"<th>{esc(label)}</th>" for label in labels(row_values, 0))
        for c, m in shown_cols:
            g = cells.get((r, c))
            if g is None or not measures:
                parts.append("<td></td>")
                continue
            text = esc(measure_formatters[m](measure_values[m][position[g]]))
            parts.append(f'<td style="text-align: right;">{text}</td>' if numeric[m] else f"<td>{text}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    n = rows.count
    rows_text = f"Showing {shown_rows:,} of {n:,} rows" if shown_rows < n else f"{n:,} {'row' if n == 1 else 'rows'}"
    cols_text = (
        f"{len(shown_cols):,} of {len(display):,} columns"
        if len(shown_cols) < len(display)
        else f"{len(display):,} columns"
    )
    parts.append(f"<p>{rows_text} \u00d7 {cols_text}</p></div>")
    return "".join(parts)
