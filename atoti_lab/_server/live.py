"""Live query subscriptions over a websocket: ``/atoti/rest/v0/live``.

A client subscribes with a text message holding a JSON query (the body of ``POST
/cubes/{cube}/query`` plus ``cube``, an ``id`` it picks, a ``format`` and an ``interval``)::

    {"type": "subscribe", "id": "q1", "cube": "Sales", "measures": ["Qty.SUM"], "levels": ["City"],
     "filter": [], "includeTotals": false, "format": "arrow", "interval": 0.1}

and receives the result at once, then again after every commit to a table feeding the cube, at
most once per ``interval`` seconds (0.1 by default): commits arriving while a result is computed or
during the interval are coalesced into one new result. Each result is a text message
``{"type": "result", "id", "seq", "format"}``: with ``"format": "json"`` it also holds ``"data":
{"columns", "data"}``; with ``"arrow"`` (the default) the next message is a binary one, the result
as an Arrow IPC stream. ``{"type": "unsubscribe", "id": "q1"}`` stops one subscription; closing the
socket stops them all. Errors in a message or a query (unknown cube, level, measure; bad JSON) come
back as ``{"type": "error", "id", "error"}`` and leave the socket and other subscriptions running.

The socket is authenticated like every route (``auth``; a query needs ``ROLE_USER``). Each
subscription holds a live query (``cube.query(..., live=True)``): after a commit, its result is
updated from the committed rows only, not queried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.websockets import WebSocket, WebSocketDisconnect

from .app import QueryResult, QuerySpec, live_query
from .app import _translate_errors as query_errors

__all__ = ["DEFAULT_INTERVAL", "LivePath", "live_endpoint"]

DEFAULT_INTERVAL = 0.1
"""Seconds between two results of one subscription, at least (commits in between are coalesced)."""
MIN_INTERVAL = 0.01
MAX_MESSAGE_BYTES = 1 * 2**20
MAX_SUBSCRIPTIONS = 100
LivePath = "/atoti/rest/v0/live"


def cube_tables(session: Any, cube_name: str) -> frozenset[str]:
    """The tables whose commits can change the cube's results: its base table and those joined to it."""
    cube = session.cubes[cube_name]
    db = session._database
    seen = {cube._model.base_table}
    todo = list(seen)
    while todo:
        for join in db.joins_from(todo.pop()):
            if join.target not in seen:
                seen.add(join.target)
                todo.append(join.target)
    return frozenset(seen)


class _ProtocolError(Exception):
    def __init__(self, message: str, id: Any = None) -> None:
        super().__init__(message)
        self.id = id


@dataclass
class _Subscription:
    id: Any
    spec: QuerySpec
    format: str
    interval: float
    tables: frozenset[str]
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    live: Any = None  # the LiveQuery following `spec`; None until started, or after it failed
    as_result: Callable[[pd.DataFrame], QueryResult] | None = None

    def latest(self, session: Any) -> QueryResult:
        """The result as of the latest commit (call in a worker thread). A live query that failed
        (e.g. its measure was deleted) is started again, so the error is told once per commit and
        the subscription recovers when the measure comes back."""
        live, as_result = self.live, self.as_result
        if live is None or as_result is None:
            live, as_result = query_errors(lambda: live_query(session, self.spec, self.interval))
            self.live, self.as_result = live, as_result
        try:
            query_errors(live.refresh)  # the pending commits, applied now rather than at the next interval
        except BaseException:
            self.live = None
            live.stop()
            raise
        return as_result(live.result)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()  # on the loop's thread: tasks are not thread-safe
        live, self.live = self.live, None
        if live is not None:
            await run_in_threadpool(live.stop)  # joins the live query's thread


class _Connection:
    """One websocket: its subscriptions, and the commit listener that wakes them."""

    def __init__(self, websocket: WebSocket, session: Any, log: logging.Logger) -> None:
        self._ws = websocket
        self._session = session
        self._log = log
        self._loop = asyncio.get_running_loop()
        self._subscriptions: dict[Any, _Subscription] = {}
        self._send_lock = asyncio.Lock()  # a result's header and its binary frame go out together

    def on_commit(self, commit: Any) -> None:
        """Called in the committing thread: marks the affected subscriptions dirty, on the loop's thread."""
        try:
            self._loop.call_soon_threadsafe(self._mark, commit.tables)
        except RuntimeError:  # the loop is closed: the socket is gone
            pass

    def _mark(self, tables: frozenset[str]) -> None:
        for sub in self._subscriptions.values():
            if sub.tables & tables:
                sub.dirty.set()

    async def serve(self) -> None:
        unsubscribe = self._session._database.subscribe(self.on_commit)
        try:
            while True:
                text = await self._ws.receive_text()
                try:
                    await self._handle(text)
                except _ProtocolError as error:
                    await self._send({"type": "error", "id": error.id, "error": str(error)})
        except WebSocketDisconnect:
            pass
        finally:
            unsubscribe()
            for sub in self._subscriptions.values():
                await sub.stop()

    async def _handle(self, text: str) -> None:
        if len(text) > MAX_MESSAGE_BYTES:
            raise _ProtocolError(f"The message is larger than the limit of {MAX_MESSAGE_BYTES} bytes.")
        try:
            message = json.loads(text)
        except json.JSONDecodeError as error:
            raise _ProtocolError(f"The message is not valid JSON: {error}.") from None
        if not isinstance(message, dict):
            raise _ProtocolError("A message is a JSON object with a 'type': 'subscribe' or 'unsubscribe'.")
        id = message.get("id")
        kind = message.get("type", "subscribe")
        if kind == "unsubscribe":
            sub = self._subscriptions.pop(id, None)
            if sub is None:
                raise _ProtocolError(f"No subscription with id {id!r}.", id)
            await sub.stop()
            await self._send({"type": "unsubscribed", "id": id})
            return
        if kind != "subscribe":
            raise _ProtocolError(f"Unknown message type {kind!r}: use 'subscribe' or 'unsubscribe'.", id)
        if id is None or not isinstance(id, (str, int)) or isinstance(id, bool):
            raise _ProtocolError("A subscription needs an 'id' (a string or an integer) to tell its results apart.")
        if id in self._subscriptions:
            raise _ProtocolError(f"A subscription with id {id!r} already exists; unsubscribe it first.", id)
        if len(self._subscriptions) >= MAX_SUBSCRIPTIONS:
            raise _ProtocolError(f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection.", id)
        cube = message.get("cube")
        if not isinstance(cube, str):
            raise _ProtocolError("Field 'cube' must name a cube of the session.", id)
        fmt = message.get("format", "arrow")
        if fmt not in ("arrow", "json"):
            raise _ProtocolError(f"Field 'format' must be 'arrow' or 'json', got {fmt!r}.", id)
        interval = message.get("interval", DEFAULT_INTERVAL)
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or interval < MIN_INTERVAL:
            raise _ProtocolError(f"Field 'interval' must be a number of seconds >= {MIN_INTERVAL}, got {interval!r}.", id)
        try:
            spec = QuerySpec.from_json(cube, message)
            sub = _Subscription(id, spec, fmt, float(interval), frozenset())
            first = await run_in_threadpool(sub.latest, self._session)  # checks the cube, measures and levels
            sub.tables = await run_in_threadpool(cube_tables, self._session, cube)
        except HTTPException as error:
            raise _ProtocolError(str(error.detail), id) from None
        self._subscriptions[id] = sub
        await self._send_result(sub, first, 0)
        sub.task = asyncio.create_task(self._follow(sub))

    async def _follow(self, sub: _Subscription) -> None:
        """A result after commits: one per wake-up, at most one per interval."""
        seq = 0
        last = self._loop.time()
        try:
            while True:
                await sub.dirty.wait()
                delay = last + sub.interval - self._loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)  # commits meanwhile keep `dirty` set: coalesced
                sub.dirty.clear()
                last = self._loop.time()
                seq += 1
                try:
                    # The cube's joins may have changed since: refresh the tables it watches.
                    sub.tables = await run_in_threadpool(cube_tables, self._session, sub.spec.cube)
                    result = await run_in_threadpool(sub.latest, self._session)
                except HTTPException as error:  # e.g. a measure was deleted
                    await self._send({"type": "error", "id": sub.id, "error": str(error.detail)})
                    continue
                await self._send_result(sub, result, seq)
        except asyncio.CancelledError:
            raise
        except WebSocketDisconnect:
            return
        except Exception as error:  # noqa: BLE001 - a failing re-run must not kill the connection silently
            self._log.error("Live query %r failed", sub.id, exc_info=error)
            with contextlib.suppress(Exception):
                await self._send({"type": "error", "id": sub.id, "error": "The live query failed; see the session's logs."})

    async def _send_result(self, sub: _Subscription, result: QueryResult, seq: int) -> None:
        header: dict[str, Any] = {"type": "result", "id": sub.id, "seq": seq, "format": sub.format}
        if sub.format == "json":
            header["data"] = result.json()
            await self._send(header)
            return
        payload = await run_in_threadpool(result.ipc)
        async with self._send_lock:
            await self._ws.send_text(json.dumps(header))
            await self._ws.send_bytes(payload)

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._ws.send_text(json.dumps(message, default=str))


def live_endpoint(session: Any, log: logging.Logger) -> Any:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await _Connection(websocket, session, log).serve()

    return endpoint
