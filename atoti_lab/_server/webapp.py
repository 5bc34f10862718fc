"""The web app: its page at ``/``, its bundle under ``/static/``, and the routes only it uses.

==========================================  ===============================================================
``GET  /``                                  the app's page (public: it holds no data; the app logs in)
``GET  /static/{file}``                     the esbuild bundle (``app.js``, ``app.css``; public)
``GET  /atoti/rest/v0/cubes/{name}/model``  the cube's data model, as the pivot's side panel reads it
``POST /atoti/rest/v0/cubes/{name}/pivot``  ``{state}`` -> ``{state, data, crossTotals}``: the pivot
                                            widget's query, its result as base64 Arrow IPC
``GET/POST /atoti/rest/v0/{kind}``          user content, kind ``dashboards`` or ``widgets``: list, create
``GET/PUT/DELETE /atoti/rest/v0/{kind}/{id}``  one item: ``{id, name, data, owner, created, updated}``
==========================================  ===============================================================

The pivot routes run the same code as the notebook widget (``widgets._query_state``), so the page
shows exactly what the widget shows. User content needs ROLE_USER only (see ``auth``); every user
reads every item, but an item belongs to the user who created it: only its owner, or a ROLE_ADMIN
user, may change or delete it (403 otherwise). Items made without security have no owner.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .auth import user_of
from .content import KINDS, ContentStore

__all__ = ["STATIC_DIR", "webapp_routes"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>atoti_lab</title>
<link rel="stylesheet" href="static/app.css">
</head>
<body class="atoti-lab">
<div id="atl-app"></div>
<script type="module" src="static/app.js"></script>
</body>
</html>
"""
# Relative URLs ("static/app.js"): the page also works when proxied under a prefix (Jupyter's proxy).


def webapp_routes(session: Any, rest: Any, run: Any, base: str) -> list[Route]:
    from ..widgets._query_state import StateError, cube_model, normalize_state, resolve_state, run_state
    from ..widgets.table import arrow_to_ipc

    content: ContentStore = getattr(session, "_content", None) or ContentStore(None)

    async def page(request: Request) -> Response:
        return HTMLResponse(_PAGE, headers={"Cache-Control": "no-cache"})

    async def static(request: Request) -> Response:
        name = request.path_params["file"]
        path = (STATIC_DIR / name).resolve()
        if STATIC_DIR not in path.parents or not path.is_file():
            if not (STATIC_DIR / "app.js").is_file():
                raise HTTPException(404, "The web app is not built: run `node js/build.mjs` (or reinstall atoti_lab).")
            raise HTTPException(404, f"No static file {name!r}.")
        return FileResponse(path, headers={"Cache-Control": "no-cache"})

    def _cube(name: str) -> Any:
        cubes = session.cubes
        if name not in cubes:
            raise HTTPException(404, f"No cube named {name!r}.")
        return cubes[name]

    async def model(request: Request) -> JSONResponse:
        name = request.path_params["name"]
        return JSONResponse(await run(lambda: cube_model(_cube(name))))

    async def pivot(request: Request) -> JSONResponse:
        name = request.path_params["name"]
        body = await rest._json(request)
        state = body.get("state")
        if not isinstance(state, dict):
            raise HTTPException(400, "Field 'state' must be the pivot's state: {rows, columns, measures, filters}.")

        def query() -> dict[str, Any]:
            cube = _cube(name)
            try:
                normalized = normalize_state(cube, {**state, "cube": name})
                result = run_state(cube, resolve_state(cube, normalized))
            except StateError as error:
                raise HTTPException(400, str(error)) from None
            cross = arrow_to_ipc(result.cross_totals) if result.cross_totals is not None else b""
            return {"state": normalized, "data": base64.b64encode(arrow_to_ipc(result.table)).decode(),
                    "crossTotals": base64.b64encode(cross).decode()}

        return JSONResponse(await run(query))

    def _kind(request: Request) -> str:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            raise HTTPException(404, f"No route for {request.method} {request.url.path}.")
        return kind

    def _id(request: Request) -> int:
        text = request.path_params["id"]
        try:
            return int(text)
        except ValueError:
            raise HTTPException(400, f"An id is an integer, got {text!r}.") from None

    async def _item_body(request: Request, *, partial: bool) -> tuple[str | None, Any]:
        body = await rest._json(request)
        name = body.get("name")
        if name is None and not partial:
            raise HTTPException(400, "Missing field 'name' in the request body.")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise HTTPException(400, "Field 'name' must be a non-empty string.")
        return name, body.get("data", ... if partial else {})

    async def collection(request: Request) -> JSONResponse:
        kind = _kind(request)
        if request.method == "GET":
            return JSONResponse(await run(lambda: content.list(kind)))
        name, data = await _item_body(request, partial=False)
        owner = user_of(request.scope).name
        item = await run(lambda: content.create(kind, name, data, owner))
        return JSONResponse(item, status_code=201)

    def _check_owner(request: Request, kind: str, id: int) -> None:
        # Owners never change, so checking before the write cannot race with another write.
        user = user_of(request.scope)
        owner = content.get(kind, id)["owner"]
        if owner is not None and not user.is_admin and user.name != owner:
            action = "delete" if request.method == "DELETE" else "change"
            raise HTTPException(403, f"This {kind[:-1]} belongs to another user: only its owner or a ROLE_ADMIN "
                                     f"user can {action} it.")

    async def item(request: Request) -> Response:
        kind, id = _kind(request), _id(request)
        if request.method == "GET":
            return JSONResponse(await run(lambda: content.get(kind, id)))
        if request.method == "DELETE":
            def delete() -> None:
                _check_owner(request, kind, id)
                content.delete(kind, id)

            await run(delete)
            return Response(status_code=204)
        name, data = await _item_body(request, partial=True)

        def update() -> dict[str, Any]:
            _check_owner(request, kind, id)
            return content.update(kind, id, name, data)

        return JSONResponse(await run(update))

    return [
        Route("/", page, methods=["GET"]),
        Route("/static/{file:path}", static, methods=["GET"]),
        Route(f"{base}/cubes/{{name}}/model", model, methods=["GET"]),
        Route(f"{base}/cubes/{{name}}/pivot", pivot, methods=["POST"]),
        Route(f"{base}/{{kind}}", collection, methods=["GET", "POST"]),
        Route(f"{base}/{{kind}}/{{id}}", item, methods=["GET", "PUT", "DELETE"]),
    ]
