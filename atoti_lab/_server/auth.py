"""Authentication and authorization for the session's server: HTTP Basic credentials and roles.

With a security config every request (every route, unknown ones included, websockets too) must
carry valid Basic credentials; otherwise the answer is 401 with a ``WWW-Authenticate`` challenge.
Then the role decides:

* reads (GET, HEAD, OPTIONS), queries (``POST .../cubes/{cube}/query``) and custom endpoints
  (``/atoti/pyapi/...``) need ``ROLE_USER``;
* every other request changes data or the data model and needs ``ROLE_ADMIN`` (403 otherwise).

The web app's page and bundle (``/``, ``/static/*``) are public: they hold no data, and the app
then asks for credentials in its own login form (its requests send ``X-Atoti-Lab-App``, so their
401s carry no ``WWW-Authenticate`` challenge and the browser shows no dialog of its own).
``ROLE_ADMIN`` implies ``ROLE_USER``. Error bodies are fixed texts: they never echo the request,
the user's data or which user names exist. Without a security config the server is open (it
listens on 127.0.0.1 by default, for the local user) and requests run as an anonymous user.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..security import ROLE_ADMIN, ROLE_USER, Security

__all__ = ["USER_KEY", "AuthMiddleware", "User", "required_role", "user_of"]

USER_KEY = "atoti_lab.user"
"""Where the middleware puts the request's :class:`User` in the ASGI scope."""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Requests that are not GETs but only read (or are the user's own business): ROLE_USER suffices.
# Other modules serving such routes add their patterns here (full-path regular expressions).
USER_ROUTES: list[re.Pattern[str]] = [
    re.compile(r"/atoti/rest/v0/cubes/[^/]+/(query|pivot|mdx)"),
    re.compile(r"/atoti/rest/v0/query/mdx"),
    re.compile(r"/atoti/rest/v0/(dashboards|widgets)(/[^/]+)?"),  # the web app's user content
    re.compile(r"/atoti/pyapi(/.*)?"),
]

# Served to anyone: the web app's page and bundle hold no data (the app then logs in).
PUBLIC_ROUTES: list[re.Pattern[str]] = [re.compile(r"/"), re.compile(r"/static/[^/]+")]

# Requests from the web app say so with this header: their 401s carry no WWW-Authenticate challenge,
# so the browser shows the app's login form instead of its own dialog.
APP_HEADER = "x-atoti-lab-app"


@dataclass(frozen=True)
class User:
    """Who sends a request: `name` is None for the anonymous user of an unsecured session."""

    name: str | None
    roles: frozenset[str]
    authenticated: bool

    @property
    def is_admin(self) -> bool:
        return not self.authenticated or ROLE_ADMIN in self.roles


ANONYMOUS = User(None, frozenset(), authenticated=False)


def required_role(method: str, path: str) -> str:
    """The role a request needs: ROLE_USER for reads, ROLE_ADMIN for changes."""
    if method.upper() in READ_METHODS or any(p.fullmatch(path) for p in USER_ROUTES):
        return ROLE_USER
    return ROLE_ADMIN


def allowed(roles: Iterable[str], required: str) -> bool:
    roles = set(roles)
    return ROLE_ADMIN in roles or (required == ROLE_USER and ROLE_USER in roles)


def user_of(scope: Scope) -> User:
    return scope.get(USER_KEY, ANONYMOUS)


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic ...`` header, None when absent or malformed."""
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    if not sep or not user:
        return None
    return user, password


class AuthMiddleware:
    """ASGI middleware: authenticates every request, then checks the role it needs."""

    def __init__(self, app: ASGIApp, *, security: Security | None) -> None:
        self._app = app
        self._security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        security = self._security
        if security is None:
            scope[USER_KEY] = ANONYMOUS
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") and any(
            p.fullmatch(scope["path"]) for p in PUBLIC_ROUTES
        ):
            scope[USER_KEY] = ANONYMOUS
            await self._app(scope, receive, send)
            return
        credentials = parse_basic(headers.get("authorization"))
        if credentials is None:
            await self._deny(scope, receive, send, 401, "Authentication required: send HTTP Basic credentials.")
            return
        name, password = credentials
        # Hashing a password takes tens of milliseconds: keep it off the event loop.
        roles = await run_in_threadpool(security._authenticate, name, password)
        if roles is None:
            await self._deny(scope, receive, send, 401, "Invalid user name or password.")
            return
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        required = required_role(method, scope["path"])
        if not allowed(roles, required):
            message = (
                "This request changes data or the data model: it requires ROLE_ADMIN."
                if required == ROLE_ADMIN
                else "Access denied: the user has not been granted ROLE_USER."
            )
            await self._deny(scope, receive, send, 403, message)
            return
        scope[USER_KEY] = User(name, frozenset(roles), authenticated=True)
        await self._app(scope, receive, send)

    async def _deny(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        assert self._security is not None
        headers = {}
        if status == 401 and APP_HEADER not in Headers(scope=scope):
            realm = self._security.basic_authentication.realm.replace('"', "")
            headers["WWW-Authenticate"] = f'Basic realm="{realm}", charset="UTF-8"'
        response = JSONResponse({"error": message}, status_code=status, headers=headers)
        await response(scope, receive, send)
