"""The session's HTTP app: discovery (``/versions/rest``), REST tables and cubes, Arrow data, queries.

Routes (below ``/atoti/rest/v0``; with security on, every route needs Basic credentials, and the
ones marked *admin* need ROLE_ADMIN, see ``auth``):

==========================================  ===============================================================
``GET  /me``                                who the request runs as: ``{security, user, roles}``
``GET  /tables``                            the tables (name, keys, columns and types, row count)
``POST /tables``                            *admin* create a table ``{name, dataTypes, keys, defaultValues}``
``GET  /tables/{name}``                     one table
``GET  /tables/{name}/rows?limit=``         its rows as an Arrow IPC stream (schema metadata: keys, types)
``POST /tables/{name}/rows``                *admin* load an Arrow IPC stream into it
``POST /tables/{name}/drop``                *admin* drop rows: ``[{"column", "op", "value"}, ...]`` (AND)
``GET  /cubes``                             the cubes (dimensions, hierarchies, levels, measures)
``POST /cubes``                             *admin* create a cube ``{baseTable, name, mode}``
``GET  /cubes/{name}``                      one cube
``POST /cubes/{name}/query``                ``{measures, levels, filter, includeTotals}`` -> Arrow IPC (or
                                            JSON with ``Accept: application/json``) of ``cube.query(mode="raw")``
``POST /query/mdx``                          ``{mdx, keepTotals}`` -> Arrow IPC (or JSON) of ``session.query_mdx(mode="raw")``
``POST /live/token``                        ``{token, expiresIn}``: opens ``/live?token=`` once (see ``auth``)
``WS   /live``                              live query subscriptions (see ``live``)
==========================================  ===============================================================

Handlers read and change the session through its public handles only (``session.tables``,
``table.load``, ``session.create_cube``, ``cube.query`` ...), so the app sees exactly what the
Python API shows and changes reach live widgets as if made in Python. Work on the session runs in
Starlette's thread pool, never on the event loop. A malformed request (bad JSON, bad Arrow, a body
over the size limit, an unknown table, cube, level or measure) gets a 4xx whose message names
what is wrong; the server keeps serving.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import endpoints as custom
from .auth import TOKEN_TTL, AuthMiddleware, LiveTokens, user_of
from .wire import ARROW_STREAM, WireError, from_ipc, to_ipc

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["ATOTI_REST_PATH", "MAX_BODY_BYTES", "PYAPI_PATH", "create_app"]

ATOTI_REST_PATH = "/atoti/rest/v0"
"""Base of our own REST API: tables, rows (Arrow), cubes, queries (see the table above)."""
PYAPI_PATH = "/atoti/pyapi"
"""Base of custom endpoints, where atoti 0.9 serves ``session.endpoint(...)`` routes."""
MAX_BODY_BYTES = 256 * 2**20
"""Largest request body accepted (413 above it); ``create_app(max_body_bytes=...)`` changes it."""

# /versions/rest, as atoti's clients read it (atoti's `get_endpoint_path`): {"version": int,
# "serverVersion": str, "apis": {name: {"versions": [{"id", "restPath", "wsPath"?}]}}}; the client
# strips the leading "/" of restPath and appends its route. We list only the APIs this app serves,
# so a client never follows a path into a 404: "activeviam/pivot" (cube/discovery, cube/query/mdx)
# and "activeviam/content" get listed here when their routes exist. "version" is the version of the
# discovery document itself (1). "wsPath" is optional (atoti's client reads it with .get()): ours is
# the live query websocket (see live.py).
_APIS: dict[str, dict[str, list[dict[str, str]]]] = {
    "atoti": {"versions": [{"id": "0", "restPath": ATOTI_REST_PATH, "wsPath": f"{ATOTI_REST_PATH}/live"}]},
}


def create_app(session: Session, *, max_body_bytes: int = MAX_BODY_BYTES) -> Starlette:
    """The Starlette app serving `session`; start it with ``ServerHandle.start(create_app(session))``."""
    from .._version import __version__  # here, not at import: this module imports no session machinery

    log: logging.Logger = getattr(session, "_log", None) or logging.getLogger("atoti_lab.server")
    security = getattr(session, "_security", None)
    discovery = {"version": 1, "serverVersion": f"atoti_lab {__version__}", "apis": _APIS}
    rest = _Rest(session, max_body_bytes)

    async def versions(request: Request) -> JSONResponse:
        return JSONResponse(discovery)

    async def me(request: Request) -> JSONResponse:
        user = user_of(request.scope)
        return JSONResponse({"security": security is not None, "user": user.name, "roles": sorted(user.roles)})

    tokens = LiveTokens()

    async def live_token(request: Request) -> JSONResponse:
        # Without security the socket is open: no token is needed (null).
        user = user_of(request.scope)
        token = tokens.issue(user) if user.authenticated else None
        return JSONResponse({"token": token, "expiresIn": TOKEN_TTL}, headers={"Cache-Control": "no-store"})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    registry = getattr(session, "_endpoints", None) or custom.Endpoints()

    async def pyapi(request: Request) -> Response:
        user = user_of(request.scope)
        caller = custom.user_for(user.authenticated, user.name, user.roles)
        return await custom.serve(request, registry, _real(session), caller, rest._body, log)

    from .live import LivePath, live_endpoint  # here: live imports this module
    from .shared import shared_routes
    from .webapp import webapp_routes

    base = ATOTI_REST_PATH
    routes = [
        WebSocketRoute(LivePath, live_endpoint(session, log)),
        Route("/versions/rest", versions, methods=["GET"]),
        Route(f"{base}/me", me, methods=["GET"]),
        Route(f"{base}/live/token", live_token, methods=["POST"]),
        _route(f"{base}/tables", GET=rest.tables, POST=rest.create_table),
        Route(f"{base}/tables/{{name}}", rest.table, methods=["GET"]),
        _route(f"{base}/tables/{{name}}/rows", GET=rest.rows, POST=rest.load),
        Route(f"{base}/tables/{{name}}/drop", rest.drop, methods=["POST"]),
        _route(f"{base}/cubes", GET=rest.cubes, POST=rest.create_cube),
        Route(f"{base}/cubes/{{name}}", rest.cube, methods=["GET"]),
        Route(f"{base}/cubes/{{name}}/query", rest.query, methods=["POST"]),
        Route(f"{base}/query/mdx", rest.query_mdx, methods=["POST"]),
        Route(f"{PYAPI_PATH}/health", health, methods=["GET"]),
        Route(f"{PYAPI_PATH}/{{path:path}}", pyapi, methods=list(custom.METHODS)),
        *shared_routes(session, rest, base),
        # Last: the web app's generic {kind} routes must not shadow the ones above.
        *webapp_routes(session, rest, rest._run, base),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_CatchAll, log=log), Middleware(AuthMiddleware, security=security, tokens=tokens)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.session = session
    return app


def _real(session: Any) -> Any:
    """The session itself behind the weak proxy the server holds (custom endpoints get the real one)."""
    ref = vars(session).get("_ref")
    return ref() if ref is not None else session


def _route(path: str, **handlers: Callable[[Request], Any]) -> Route:
    """One route serving several methods, so a 405 lists all of them in its Allow header."""

    async def endpoint(request: Request) -> Response:
        handler = handlers["GET" if request.method == "HEAD" else request.method]
        if inspect.iscoroutinefunction(handler):
            return await handler(request)
        return await run_in_threadpool(handler, request)

    return Route(path, endpoint, methods=list(handlers))


T = TypeVar("T")

_TEMPORAL_PARSERS: dict[str, Callable[[str], Any]] = {
    "LocalDate": dt.date.fromisoformat,
    "LocalDateTime": dt.datetime.fromisoformat,
    "ZonedDateTime": dt.datetime.fromisoformat,
    "LocalTime": dt.time.fromisoformat,
}
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class _Rest:
    """The REST handlers over one session."""

    def __init__(self, session: Session, max_body_bytes: int) -> None:
        self._session = session
        self._max_body = max_body_bytes

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    async def _run(fn: Callable[[], T]) -> T:
        """Run `fn` (which uses the session) in the thread pool; its argument errors become 4xx."""
        return await run_in_threadpool(_translate_errors, fn)

    def _table(self, name: str) -> Any:
        tables = self._session.tables
        if name not in tables:
            raise HTTPException(404, f"No table named {name!r}.")
        return tables[name]

    def _cube(self, name: str) -> Any:
        cubes = self._session.cubes
        if name not in cubes:
            raise HTTPException(404, f"No cube named {name!r}.")
        return cubes[name]

    async def _body(self, request: Request) -> bytes:
        limit = self._max_body
        length = request.headers.get("content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                raise HTTPException(400, "Invalid Content-Length header.") from None
            if declared > limit:
                raise HTTPException(413, f"The request body is larger than the limit of {limit} bytes.")
        chunks, total = [], 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise HTTPException(413, f"The request body is larger than the limit of {limit} bytes.")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _json(self, request: Request, expected: type | tuple[type, ...] = dict) -> Any:
        # A JSON media type is required: it cannot be sent cross-site without a CORS preflight
        # (which this server does not grant), so a web page cannot forge these requests.
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise HTTPException(415, "Send the request body as JSON, with Content-Type: application/json.")
        body = await self._body(request)
        try:
            value = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise HTTPException(400, f"The request body is not valid JSON: {error}.") from None
        kinds = expected if isinstance(expected, tuple) else (expected,)
        if not isinstance(value, kinds):
            names = {dict: "a JSON object", list: "a JSON array", type(None): "null"}
            wanted = " or ".join(names.get(k, k.__name__) for k in kinds)
            raise HTTPException(400, f"The request body must be {wanted}, got {_json_kind(value)}.")
        return value

    # -- tables ---------------------------------------------------------------------------------
    def tables(self, request: Request) -> JSONResponse:
        return JSONResponse([_table_json(name, table) for name, table in self._session.tables.items()])

    def table(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        return JSONResponse(_table_json(name, self._table(name)))

    def rows(self, request: Request) -> Response:
        table = self._table(request.path_params["name"])
        limit = _limit(request.query_params.get("limit"))
        data = _table_rows(table, limit)
        metadata = {
            "atoti_lab.keys": json.dumps(list(table.keys)),
            "atoti_lab.data_types": json.dumps({c: table[c].data_type for c in table.columns}),
        }
        return Response(to_ipc(data, metadata), media_type=ARROW_STREAM)

    async def create_table(self, request: Request) -> JSONResponse:
        body = await self._json(request)
        name = _field(body, "name", str)
        data_types = _field(body, "dataTypes", dict)
        keys = _field(body, "keys", list, default=[])
        default_values = _field(body, "defaultValues", dict, default=None)
        if not name:
            raise HTTPException(400, "Field 'name' must not be empty.")
        if not all(isinstance(k, str) for k in keys):
            raise HTTPException(400, "Field 'keys' must be a list of column names.")

        def create() -> dict[str, Any]:
            if name in self._session.tables:
                raise HTTPException(409, f"A table named {name!r} already exists.")
            table = self._session.create_table(name, data_types=data_types, keys=keys, default_values=default_values)
            return _table_json(name, table)

        return JSONResponse(await self._run(create), status_code=201)

    async def load(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in (ARROW_STREAM, "application/octet-stream"):
            raise HTTPException(415, f"Rows are loaded from an Arrow IPC stream: send Content-Type {ARROW_STREAM}.")
        await self._run(lambda: self._table(name))  # 404 before reading a large body
        body = await self._body(request)
        try:
            data = from_ipc(body)
        except WireError as error:
            raise HTTPException(400, str(error)) from None

        def load() -> dict[str, Any]:
            table = self._table(name)
            table.load(data)
            return {"table": name, "rowsReceived": data.num_rows, "rowCount": len(table)}

        return JSONResponse(await self._run(load))

    async def drop(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        body = await self._json(request, (dict, list, type(None)))
        clauses = [] if body is None else [body] if isinstance(body, dict) else body

        def drop() -> dict[str, Any]:
            table = self._table(name)
            condition = None
            for i, clause in enumerate(clauses):
                part = _column_condition(table, clause, i)
                condition = part if condition is None else condition & part
            dropped = table.drop(condition)
            return {"table": name, "dropped": dropped, "rowCount": len(table)}

        return JSONResponse(await self._run(drop))

    # -- cubes ----------------------------------------------------------------------------------
    def cubes(self, request: Request) -> JSONResponse:
        return JSONResponse([_cube_json(name, cube) for name, cube in self._session.cubes.items()])

    def cube(self, request: Request) -> JSONResponse:
        name = request.path_params["name"]
        return JSONResponse(_cube_json(name, self._cube(name)))

    async def create_cube(self, request: Request) -> JSONResponse:
        body = await self._json(request)
        base = _field(body, "baseTable", str)
        name = _field(body, "name", (str, type(None)), default=None)
        mode = _field(body, "mode", str, default="auto")

        def create() -> dict[str, Any]:
            cube = self._session.create_cube(self._table(base), name, mode=mode)
            return _cube_json(cube.name, cube)

        return JSONResponse(await self._run(create), status_code=201)

    async def query(self, request: Request) -> Response:
        name = request.path_params["name"]
        spec = QuerySpec.from_json(name, await self._json(request))
        as_json = _wants_json(request.headers.get("accept", ""))

        def query() -> Response:
            result = run_query(self._session, spec)
            if as_json:
                return JSONResponse(result.json())
            return Response(result.ipc(), media_type=ARROW_STREAM)

        return await self._run(query)

    async def query_mdx(self, request: Request) -> Response:
        body = await self._json(request)
        mdx = _field(body, "mdx", str)
        keep_totals = _field(body, "keepTotals", bool, default=False)
        as_json = _wants_json(request.headers.get("accept", ""))

        def query() -> Response:
            session = self._session
            cells, formatters = session._run_mdx(mdx, keep_totals=keep_totals)
            combined = session._mdx_combined(cells, formatters)
            result = QueryResult(combined.raw(), combined.names, list(formatters), formatters)
            if as_json:
                return JSONResponse(result.json())
            return Response(result.ipc(), media_type=ARROW_STREAM)

        return await self._run(query)


@dataclass(frozen=True)
class QuerySpec:
    """A JSON query ``{measures, levels, filter, includeTotals, includeEmptyRows}`` on cube `cube`, checked."""

    cube: str
    measures: tuple[str, ...]
    levels: tuple[Any, ...]
    filter: tuple[Any, ...]
    include_totals: bool = False
    include_empty_rows: bool = False

    @classmethod
    def from_json(cls, cube: str, body: dict[str, Any]) -> QuerySpec:
        measure_names = _field(body, "measures", list, default=[])
        for m in measure_names:
            if not isinstance(m, str):
                raise HTTPException(400, f"Measures are named by strings, got {m!r}.")
        level_keys = _field(body, "levels", list, default=[])
        clauses = _field(body, "filter", (list, dict, type(None)), default=None)
        clauses = [] if clauses is None else [clauses] if isinstance(clauses, dict) else clauses
        return cls(cube, tuple(measure_names), tuple(level_keys), tuple(clauses),
                   _field(body, "includeTotals", bool, default=False),
                   _field(body, "includeEmptyRows", bool, default=False))


@dataclass(frozen=True)
class QueryResult:
    """A query's result in ``cube.query(mode="raw")``'s shape, with the names of its levels and measures."""

    frame: pd.DataFrame
    levels: list[str]
    measures: list[str]
    formatters: dict[str, str | None] | None = None

    def json(self) -> dict[str, Any]:
        return _json_table(self.frame)

    def ipc(self) -> bytes:
        data = pa.Table.from_pandas(self.frame, preserve_index=False)
        metadata = {"atoti_lab.levels": json.dumps(self.levels), "atoti_lab.measures": json.dumps(self.measures)}
        if self.formatters is not None:
            metadata["atoti_lab.formatters"] = json.dumps(self.formatters)
        return to_ipc(data.replace_schema_metadata(None), metadata)


class _Coalescer:
    """Identical queries arriving while one is computed wait for its result instead of computing it
    again (many clients polling the same view)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Any, Future[Any]] = {}
        self.computed = 0  # calls that ran their function
        self.joined = 0  # calls that waited for another one's result instead

    def run(self, key: Any, fn: Callable[[], T]) -> T:
        with self._lock:
            future = self._running.get(key)
            owner = future is None
            if future is None:
                future = self._running[key] = Future()
                self.computed += 1
            else:
                self.joined += 1
        if not owner:
            return future.result()
        try:
            result = fn()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                self._running.pop(key, None)


_QUERIES = _Coalescer()


def run_query(session: Any, spec: QuerySpec) -> QueryResult:
    """Run `spec` with ``cube.query`` (call in a worker thread: it may take a while).

    Queries are coalesced by (query, data version, model version): a result computed from the same
    versions is the same result. A commit landing meanwhile can make it newer than the version a
    waiter saw when it arrived, never torn (every query reads one snapshot)."""
    try:
        versions = (session._database.version, session.cubes[spec.cube]._model.version)
    except (KeyError, AttributeError):
        return _run_query(session, spec)  # unknown cube: the error comes from the query itself
    body = json.dumps([spec.measures, spec.levels, spec.filter, spec.include_totals, spec.include_empty_rows],
                      default=repr, sort_keys=True)
    key = (id(_real(session)), spec.cube, body, versions)
    return _QUERIES.run(key, lambda: _run_query(session, spec))


def _run_query(session: Any, spec: QuerySpec) -> QueryResult:
    cube, measures, kwargs = _query_call(session, spec)
    return query_result(cube.query(*measures, **kwargs), kwargs["levels"], measures)


def _query_call(session: Any, spec: QuerySpec) -> tuple[Any, list[Any], dict[str, Any]]:
    """The cube, measures and keyword arguments of ``cube.query`` that `spec` asks for."""
    cubes = session.cubes
    if spec.cube not in cubes:
        raise HTTPException(404, f"No cube named {spec.cube!r}.")
    cube = cubes[spec.cube]
    measures = []
    for m in spec.measures:
        if m not in cube.measures:
            raise HTTPException(404, f"Cube {spec.cube!r} has no measure {m!r}.")
        measures.append(cube.measures[m])
    levels = [_level(cube, key) for key in spec.levels]
    condition = None
    for i, clause in enumerate(spec.filter):
        part = _level_condition(cube, clause, i)
        condition = part if condition is None else condition & part
    return cube, measures, {"levels": levels, "filter": condition, "include_totals": spec.include_totals,
                            "include_empty_rows": spec.include_empty_rows, "mode": "raw"}


def live_query(session: Any, spec: QuerySpec, interval: float) -> tuple[Any, Callable[[pd.DataFrame], QueryResult]]:
    """`spec` as a live query (``cube.query(..., live=True)``), and how to turn its results into
    QueryResults."""
    cube, measures, kwargs = _query_call(session, spec)
    live = cube.query(*measures, live=True, interval=interval, **kwargs)
    return live, lambda frame: query_result(frame, kwargs["levels"], measures)


def query_result(frame: pd.DataFrame, levels: list[Any], measures: list[Any]) -> QueryResult:
    return QueryResult(pd.DataFrame(frame), [lvl.name for lvl in levels], [m.name for m in measures])


def _translate_errors(fn: Callable[[], T]) -> T:
    """Errors in a request's arguments, as raised by the public API, become 4xx answers."""
    try:
        return fn()
    except HTTPException:
        raise
    except KeyError as error:
        raise HTTPException(404, _message(error)) from None
    except (ValueError, TypeError, NotImplementedError) as error:
        raise HTTPException(400, _message(error)) from None


def _message(error: BaseException) -> str:
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return str(error) or type(error).__name__


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], **default: Any) -> Any:
    if name not in body:
        if "default" in default:
            return default["default"]
        raise HTTPException(400, f"Missing field {name!r} in the request body.")
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        expected = " or ".join(_json_kind(k()) if k is not type(None) else "null" for k in kinds)
        raise HTTPException(400, f"Field {name!r} must be {expected}, got {_json_kind(value)}.")
    return value


def _limit(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        limit = int(text)
    except ValueError:
        limit = -1
    if limit < 0:
        raise HTTPException(400, f"Query parameter 'limit' must be a non-negative integer, got {text!r}.")
    return limit


def _table_rows(table: Any, limit: int | None) -> pa.Table:
    """The first `limit` rows (all when None) of `table`, typed as stored, in one consistent read."""
    with table._db.read():
        store = table._store
        count = store.row_count
        rows = None if limit is None or limit >= count else np.arange(limit)
        return store.to_arrow(rows, list(store.columns))


def _json_table(frame: pd.DataFrame) -> dict[str, Any]:
    """``{"columns": [...], "data": [[...], ...]}``: dates and times in ISO 8601, missing values as null."""
    columns = [[_json_cell(v) for v in frame[c].tolist()] for c in frame.columns]
    return {"columns": [str(c) for c in frame.columns], "data": [list(row) for row in zip(*columns)]}


def _json_cell(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if hasattr(value, "tolist"):  # arrays (vector measures) and NumPy scalars
        return value.tolist()
    return value


def _wants_json(accept: str) -> bool:
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "application/json" in types and ARROW_STREAM not in types


def _value(value: Any, data_type: str, where: str) -> Any:
    """A JSON value as the column or level type needs it (ISO strings for dates and times)."""
    parse = _TEMPORAL_PARSERS.get(data_type)
    if parse is None or not isinstance(value, str):
        return value
    try:
        return parse(value)
    except ValueError:
        raise HTTPException(400, f"{where}: {value!r} is not a valid {data_type} (expected ISO 8601).") from None


def _condition(subject: Any, data_type: str, clause: dict[str, Any], where: str) -> Any:
    op = clause.get("op", "==")
    if op in _COMPARISONS:
        if "value" not in clause:
            raise HTTPException(400, f"{where}: missing 'value'.")
        value = _value(clause["value"], data_type, where)
        return {"==": subject.__eq__, "!=": subject.__ne__, "<": subject.__lt__, "<=": subject.__le__,
                ">": subject.__gt__, ">=": subject.__ge__}[op](value)
    if op == "isin":
        values = clause.get("value")
        if not isinstance(values, list):
            raise HTTPException(400, f"{where}: 'isin' needs a list of values, got {_json_kind(values)}.")
        return subject.isin(*[_value(v, data_type, where) for v in values])
    if op == "isnull":
        return subject.isnull()
    raise HTTPException(400, f"{where}: unknown operator {op!r}; use one of {[*_COMPARISONS, 'isin', 'isnull']}.")


def _column_condition(table: Any, clause: Any, i: int) -> Any:
    where = f"Condition {i + 1}"
    if not isinstance(clause, dict):
        raise HTTPException(400, f"{where} must be an object {{column, op, value}}, got {_json_kind(clause)}.")
    column = clause.get("column")
    if not isinstance(column, str):
        raise HTTPException(400, f"{where}: 'column' must name a column of table {table.name!r}.")
    if column not in table:
        raise HTTPException(404, f"{where}: table {table.name!r} has no column {column!r}.")
    return _condition(table[column], table[column].data_type, clause, f"{where} on column {column!r}")


def _level(cube: Any, key: Any) -> Any:
    if isinstance(key, list):
        key = tuple(key)
    if not isinstance(key, (str, tuple)) or (isinstance(key, tuple) and not all(isinstance(k, str) for k in key)):
        raise HTTPException(400, f"A level is named by a string or a list [dimension, hierarchy, level], got {key!r}.")
    return cube.levels[key]  # KeyError (404) names the known levels


def _level_condition(cube: Any, clause: Any, i: int) -> Any:
    where = f"Filter {i + 1}"
    if not isinstance(clause, dict) or "level" not in clause:
        raise HTTPException(400, f"{where} must be an object {{level, op, value}}.")
    level = _level(cube, clause["level"])
    return _condition(level, level.data_type, clause, f"{where} on level {level.name!r}")


def _table_json(name: str, table: Any) -> dict[str, Any]:
    return {
        "name": name,
        "keys": list(table.keys),
        "columns": [{"name": column, "dataType": table[column].data_type} for column in table.columns],
        "rowCount": len(table),
    }


def _cube_json(name: str, cube: Any) -> dict[str, Any]:
    # cube.hierarchies is flat, keyed by (dimension, hierarchy); group it back into dimensions,
    # keeping the cube's order.
    dimensions: dict[str, list[dict[str, Any]]] = {}
    for (dimension, hierarchy_name), hierarchy in cube.hierarchies.items():
        dimensions.setdefault(dimension, []).append({
            "name": hierarchy_name,
            "visible": hierarchy.visible,
            "slicing": hierarchy.slicing,
            "levels": [{"name": level_name, "dataType": level.data_type}
                       for level_name, level in hierarchy.levels.items()],
        })
    return {
        "name": name,
        "dimensions": [{"name": dimension, "hierarchies": hierarchies} for dimension, hierarchies in dimensions.items()],
        "measures": [
            {
                "name": measure_name,
                "dataType": measure.data_type,
                "formatter": measure.formatter,
                "folder": measure.folder,
                "visible": measure.visible,
                "description": measure.description,
            }
            for measure_name, measure in cube.measures.items()
        ],
    }


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    # Routing errors (404, 405) and HTTPExceptions raised by handlers: JSON, like every other answer.
    assert isinstance(exc, HTTPException)
    routing = exc.status_code == 404 and exc.detail == "Not Found"  # the router's, not a handler's
    detail = f"No route for {request.method} {request.url.path}." if routing else exc.detail
    return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)


class _CatchAll:
    """Turns an unhandled exception into a generic 500 JSON answer, logged once to the session's log.

    Starlette's own ServerErrorMiddleware re-raises after answering, which makes uvicorn log the
    traceback a second time; this middleware sits inside it and does not re-raise once it answered.
    The answer names no exception, value or path: those go to the log only.
    """

    def __init__(self, app: ASGIApp, *, log: logging.Logger) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept", "websocket.close"):
                started = True
            await send(message)

        try:
            await self._app(scope, receive, tracking_send)
        except Exception as exc:
            self._log.error("Unhandled error serving %s %s", scope.get("method", "WEBSOCKET"), scope["path"],
                            exc_info=exc)
            if started:
                raise  # too late to answer: let the server drop the connection
            if scope["type"] == "http":
                response = JSONResponse({"error": "Internal server error; see the session's logs."},
                                        status_code=500)
                await response(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1011})
