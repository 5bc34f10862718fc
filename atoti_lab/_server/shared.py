"""Shared tables (as pydeephaven's ``publish_table`` / ``fetch_table``): a table of the session published
under a shared name, which other connected sessions fetch as a live, read-only table.

==============================================  =============================================================
``GET  /atoti/rest/v0/shared``                  the shared names: ``{name: table}``
``PUT  /atoti/rest/v0/shared/{name}``           *admin* publish ``{"table": table name}`` under `name`
``DELETE /atoti/rest/v0/shared/{name}``         *admin* stop sharing `name`
``GET  /atoti/rest/v0/shared/{name}``           the shared table's description (as ``GET /tables/{name}``)
``GET  /atoti/rest/v0/shared/{name}/rows``      its current rows as Arrow IPC (``?limit=``)
==============================================  =============================================================

Readers need ROLE_USER only: sharing a table is how an admin lets users read it row by row. A
name stays valid while the table exists; dropping the table makes the name answer 404.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["shared_routes"]

_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,200}")


def shared_routes(session: Any, rest: Any, base: str) -> list[Route]:
    from .app import _limit, _table_json, _table_rows
    from .wire import ARROW_STREAM, to_ipc

    shared: dict[str, str] = {}
    lock = threading.Lock()

    def _name(request: Request) -> str:
        name = request.path_params["shared"]
        if not _NAME.fullmatch(name):
            raise HTTPException(400, f"A shared name is 1 to 200 letters, digits, '_', '.' or '-', got {name!r}.")
        return name

    def _table(name: str) -> Any:
        with lock:
            table_name = shared.get(name)
        if table_name is None:
            raise HTTPException(404, f"Nothing is shared under the name {name!r}.")
        if table_name not in session.tables:
            raise HTTPException(404, f"The table shared as {name!r} ({table_name!r}) no longer exists.")
        return session.tables[table_name]

    async def names(request: Request) -> JSONResponse:
        with lock:
            return JSONResponse(dict(shared))

    async def one(request: Request) -> Response:
        name = _name(request)
        if request.method == "PUT":
            body = await rest._json(request)
            table = body.get("table")
            if not isinstance(table, str) or table not in session.tables:
                raise HTTPException(404, f"No table named {table!r} to share.")
            with lock:
                shared[name] = table
            return JSONResponse({"name": name, "table": table})
        if request.method == "DELETE":
            with lock:
                if shared.pop(name, None) is None:
                    raise HTTPException(404, f"Nothing is shared under the name {name!r}.")
            return Response(status_code=204)
        table = await rest._run(lambda: _table(name))
        return JSONResponse(_table_json(table.name, table))

    async def rows(request: Request) -> Response:
        name = _name(request)
        limit = _limit(request.query_params.get("limit"))

        def read() -> bytes:
            table = _table(name)
            return to_ipc(_table_rows(table, limit), {"atoti_lab.keys": json.dumps(list(table.keys))})

        return Response(await rest._run(read), media_type=ARROW_STREAM)

    return [
        Route(f"{base}/shared", names, methods=["GET"]),
        Route(f"{base}/shared/{{shared}}", one, methods=["GET", "PUT", "DELETE"]),
        Route(f"{base}/shared/{{shared}}/rows", rows, methods=["GET"]),
    ]
