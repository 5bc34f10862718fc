"""The session's HTTP app: discovery (``/versions/rest``), REST metadata, custom endpoints.

Handlers read the session through its public handles only (``session.tables``, ``session.cubes``),
so the app sees exactly what the Python API shows. They are plain functions: Starlette runs them in
its thread pool, so a slow one never blocks the server's event loop (the trivial ones are async).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["ATOTI_REST_PATH", "PYAPI_PATH", "create_app"]

ATOTI_REST_PATH = "/atoti/rest/v0"
"""Base of our own REST API (tables, cubes, and later queries and Arrow results)."""
PYAPI_PATH = "/atoti/pyapi"
"""Base of custom endpoints, where atoti 0.9 serves ``session.endpoint(...)`` routes."""

# /versions/rest, as atoti's clients read it (atoti's `get_endpoint_path`): {"version": int,
# "serverVersion": str, "apis": {name: {"versions": [{"id", "restPath", "wsPath"?}]}}}; the client
# strips the leading "/" of restPath and appends its route. We list only the APIs this app serves,
# so a client never follows a path into a 404: "activeviam/pivot" (cube/discovery, cube/query/mdx)
# and "activeviam/content" get listed here when their routes exist. "version" is the version of the
# discovery document itself (1). "wsPath" is optional (atoti's client reads it with .get()); we have
# no websocket yet.
_APIS: dict[str, dict[str, list[dict[str, str]]]] = {
    "atoti": {"versions": [{"id": "0", "restPath": ATOTI_REST_PATH}]},
}


def create_app(session: Session) -> Starlette:
    """The Starlette app serving `session`; start it with ``ServerHandle.start(create_app(session))``."""
    from .._version import __version__  # here, not at import: this module imports nothing of atoti_lab

    log: logging.Logger = getattr(session, "_log", None) or logging.getLogger("atoti_lab.server")
    discovery = {"version": 1, "serverVersion": f"atoti_lab {__version__}", "apis": _APIS}

    async def versions(request: Request) -> JSONResponse:
        return JSONResponse(discovery)

    def tables(request: Request) -> JSONResponse:
        return JSONResponse([_table_json(name, table) for name, table in session.tables.items()])

    def cubes(request: Request) -> JSONResponse:
        return JSONResponse([_cube_json(name, cube) for name, cube in session.cubes.items()])

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/versions/rest", versions, methods=["GET"]),
        Route(f"{ATOTI_REST_PATH}/tables", tables, methods=["GET"]),
        Route(f"{ATOTI_REST_PATH}/cubes", cubes, methods=["GET"]),
        Route(f"{PYAPI_PATH}/health", health, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_CatchAll, log=log)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.session = session
    return app


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
    detail = f"No route for {request.method} {request.url.path}." if exc.status_code == 404 else exc.detail
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
