"""Custom endpoints: ``@session.endpoint(route, method=...)`` served at ``/atoti/pyapi/{route}``.

As in atoti 0.9, the decorated function takes ``(request, user, session, /)`` and returns a
JSON-convertible value, which becomes the response body:

>>> import atoti_lab as tt, httpx
>>> session = tt.Session.start()
>>> @session.endpoint("tables/{name}/count")
... def count(request, user, session, /):
...     return len(session.tables[request.path_parameters["name"]])
>>> table = session.create_table("T", data_types={"Id": "String"})
>>> httpx.get(f"{session.url}/atoti/pyapi/tables/T/count").json()
0
>>> session.close()

Endpoints are checked like every other route: with security on, the caller needs ``ROLE_USER``
(see ``auth``). Handlers run in the server's thread pool. A handler that raises gets a 500 whose
body names the route only; the traceback goes to the session's log. Registering the same method
and route again replaces the handler (notebook cells are re-run).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, Response

__all__ = ["METHODS", "Endpoints", "Request", "User"]

METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
"""The methods a custom endpoint may answer (atoti's ``Literal``)."""

ANONYMOUS_NAME = "anonymousUser"
ANONYMOUS_ROLES = frozenset({"ROLE_ADMIN", "ROLE_ANONYMOUS", "ROLE_USER"})

Handler = Callable[["Request", "User", Any], Any]

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, kw_only=True)
class Request:
    """The request of a custom endpoint (atoti's ``atoti.endpoint.Request``)."""

    url: str
    """The URL on which the client made the request."""
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    """Path parameter name -> its value in this request."""
    body: Any = None
    """The parsed JSON body (None without a body)."""


@dataclass(frozen=True, kw_only=True)
class User:
    """Who calls a custom endpoint (atoti's ``atoti.User``)."""

    name: str
    roles: frozenset[str]


@dataclass(frozen=True)
class _Endpoint:
    method: str
    route: str
    pattern: re.Pattern[str]
    handler: Handler


def _compile(route: str) -> re.Pattern[str]:
    """``"tables/{name}/count"`` -> a regular expression with one named group per parameter."""
    parts, position = [], 0
    for match in _PARAMETER.finditer(route):
        parts.append(re.escape(route[position:match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        position = match.end()
    parts.append(re.escape(route[position:]))
    return re.compile("".join(parts))


def check_route(route: object, method: object) -> tuple[str, str]:
    """The normalized (route, method); a clear error for a route or method atoti would refuse."""
    if not isinstance(route, str) or not route.strip("/"):
        raise ValueError(f"The route of an endpoint is a non-empty path such as 'tables/{{name}}/count', got {route!r}.")
    if any(c in route for c in "?#"):
        raise ValueError(f"The route {route!r} must not contain a query ('?') or a fragment ('#').")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValueError(f"The method of an endpoint is one of {list(METHODS)}, got {method!r}.")
    names = _PARAMETER.findall(route)
    if len(set(names)) != len(names):
        raise ValueError(f"The route {route!r} names a path parameter twice.")
    return route.strip("/"), method.upper()


class Endpoints:
    """The custom endpoints of one session (thread-safe: the notebook adds them while the server runs)."""

    def __init__(self) -> None:
        self._endpoints: dict[tuple[str, str], _Endpoint] = {}
        self._lock = threading.Lock()

    def add(self, route: str, method: str, handler: Handler) -> None:
        route, method = check_route(route, method)
        if not callable(handler):
            raise TypeError(f"An endpoint handler is a function (request, user, session), got {handler!r}.")
        with self._lock:
            self._endpoints[(method, route)] = _Endpoint(method, route, _compile(route), handler)

    def match(self, method: str, path: str) -> tuple[_Endpoint, dict[str, str]] | None | list[str]:
        """The endpoint for (method, path) and its parameters; the allowed methods when only those differ."""
        with self._lock:
            endpoints = list(self._endpoints.values())
        allowed = []
        # Literal routes win over templated ones ("tables/all" before "tables/{name}").
        for endpoint in sorted(endpoints, key=lambda e: e.route.count("{")):
            match = endpoint.pattern.fullmatch(path)
            if match is None:
                continue
            if endpoint.method == method:
                return endpoint, match.groupdict()
            allowed.append(endpoint.method)
        return sorted(set(allowed)) or None


def user_for(authenticated: bool, name: str | None, roles: frozenset[str]) -> User:
    if not authenticated:
        return User(name=ANONYMOUS_NAME, roles=ANONYMOUS_ROLES)
    return User(name=name or "", roles=frozenset(roles))


async def serve(request: StarletteRequest, endpoints: Endpoints, session: Any, user: User,
                read_body: Callable[[StarletteRequest], Any], log: Any) -> Response:
    """Answer a request under ``/atoti/pyapi/`` with the matching custom endpoint."""
    path = request.path_params["path"]
    found = endpoints.match(request.method, path)
    if found is None:
        raise HTTPException(404, f"No custom endpoint for {request.method} /atoti/pyapi/{path}.")
    if isinstance(found, list):
        raise HTTPException(405, f"The custom endpoint /atoti/pyapi/{path} answers {', '.join(found)}, "
                                 f"not {request.method}.", headers={"Allow": ", ".join(found)})
    endpoint, parameters = found
    raw = await read_body(request)
    body = None
    if raw.strip():
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise HTTPException(400, f"The body of a custom endpoint request must be JSON: {error}.") from None
    payload = Request(url=str(request.url), path_parameters=parameters, body=body)

    def call() -> bytes:
        result = endpoint.handler(payload, user, session)
        return json.dumps(result, default=_json_default, allow_nan=False).encode()

    try:
        content = await run_in_threadpool(call)
    except HTTPException:
        raise
    except Exception as error:
        log.error("Custom endpoint %s /atoti/pyapi/%s failed", endpoint.method, endpoint.route, exc_info=error)
        return JSONResponse({"error": f"The custom endpoint {endpoint.method} /atoti/pyapi/{endpoint.route} "
                                      "failed; see the session's logs."}, status_code=500)
    return Response(content, media_type="application/json")


def _json_default(value: Any) -> Any:
    """NumPy scalars and arrays, dates and times, sets: what handlers commonly return beyond plain JSON."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"The endpoint returned a {type(value).__name__}, which is not JSON-convertible.")
