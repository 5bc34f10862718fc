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
Browsers cannot set an ``Authorization`` header on a websocket, so the web app first asks for a
*live token* (``POST /atoti/rest/v0/live/token``, authenticated as any other request) and opens
``/atoti/rest/v0/live?token=...`` with it: a token is random, works once and only for a websocket,
and expires :data:`TOKEN_TTL` seconds after it was issued; a websocket with neither credentials nor a
valid token is refused. (Unlike a cookie, a token is not sent by the browser on its own, so another
site cannot open the socket as the user.) ``ROLE_ADMIN`` implies ``ROLE_USER``. Error bodies are fixed texts: they never echo the request,
the user's data or which user names exist. Without a security config the server is open (it
listens on 127.0.0.1 by default, for the local user) and requests run as an anonymous user.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..security import ROLE_ADMIN, ROLE_USER, Security

__all__ = ["TOKEN_TTL", "USER_KEY", "AuthMiddleware", "LiveTokens", "User", "required_role", "user_of"]

USER_KEY = "atoti_lab.user"
"""Where the middleware puts the request's :class:`User` in the ASGI scope."""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Requests that are not GETs but only read (or are the user's own business): ROLE_USER suffices.
# Other modules serving such routes add their patterns here (full-path regular expressions).
USER_ROUTES: list[re.Pattern[str]] = [
    re.compile(r"/atoti/rest/v0/cubes/[^/]+/(query|pivot|mdx)"),
    re.compile(r"/atoti/rest/v0/query/mdx"),
    re.compile(r"/atoti/rest/v0/live/token"),
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

TOKEN_TTL = 30.0
"""Seconds a live token stays valid (it is meant to be used at once, to open one websocket)."""
MAX_TOKENS = 10_000


def _now() -> float:
    return time.monotonic()  # a function of this module, so tests can move the tokens' clock alone


class LiveTokens:
    """Single-use, short-lived tokens that open the live websocket as the user they were issued to."""

    def __init__(self, ttl: float = TOKEN_TTL) -> None:
        self._ttl = ttl
        self._tokens: dict[str, tuple[float, User]] = {}
        self._lock = threading.Lock()

    def issue(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        now = _now()
        with self._lock:
            # Drop expired tokens, and the oldest ones beyond a bound, so unused tokens cannot pile up.
            for key in [k for k, (expiry, _) in self._tokens.items() if expiry <= now]:
                del self._tokens[key]
            while len(self._tokens) >= MAX_TOKENS:
                del self._tokens[next(iter(self._tokens))]
            self._tokens[token] = (now + self._ttl, user)
        return token

    def redeem(self, token: str) -> User | None:
        """The token's user, once: None when the token is unknown, used or expired."""
        with self._lock:
            found = self._tokens.pop(token, None)
        if found is None or found[0] <= _now():
            return None
        return found[1]


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

    def __init__(self, app: ASGIApp, *, security: Security | None, tokens: LiveTokens | None = None) -> None:
        self._app = app
        self._security = security
        self._tokens = tokens

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
        if credentials is None and scope["type"] == "websocket" and self._tokens is not None:
            token = _query_param(scope, "token")
            user = self._tokens.redeem(token) if token else None
            if user is not None and allowed(user.roles, required_role("GET", scope["path"])):
                scope[USER_KEY] = user
                await self._app(scope, receive, send)
                return
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


def _query_param(scope: Scope, name: str) -> str | None:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else None
