"""The client side of ``tt.Session.connect``: remote tables and cubes over the session's HTTP API.

This module holds the transport every handle shares (:class:`Http`): one ``httpx.Client`` with the
caller's authentication, server errors turned into atoti_lab's exceptions
(:class:`~atoti_lab.errors.AuthenticationError` for 401, :class:`~atoti_lab.errors.AccessDeniedError`
for 403, :class:`~atoti_lab.errors.RemoteRequestError` for other 4xx). ``session`` builds the
connected session and its tiers; ``table`` the remote tables.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from ..errors import AccessDeniedError, AuthenticationError, RemoteError, RemoteRequestError, SessionClosedError

__all__ = ["Http"]

# Loads and queries of large data may take a while on the server: generous read/write timeouts,
# short connect timeout so an unreachable URL fails fast.
_TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=600.0, pool=30.0)


class _CallableAuth(httpx.Auth):
    """atoti's ``Authenticate``: a callable giving the headers for a URL (``tt.BasicAuthentication``)."""

    def __init__(self, authenticate: Callable[[str], Mapping[str, str]]) -> None:
        self._authenticate = authenticate

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers.update(dict(self._authenticate(str(request.url))))
        yield request


class Http:
    """Requests to one session's server, with its errors mapped to exceptions."""

    def __init__(self, url: str, *, authentication: Any = None, certificate_authority: Path | str | None = None) -> None:
        if authentication is not None and not callable(authentication):
            raise TypeError(
                "authentication must be tt.BasicAuthentication(username, password) or a callable "
                f"returning HTTP headers for a URL, got {type(authentication).__name__}."
            )
        self.url = url
        self.rest = "/atoti/rest/v0"  # where relative paths go; set from the server's /versions/rest
        self.user: str | None = getattr(authentication, "username", None)
        self.authenticated = authentication is not None
        verify: Any = True
        if certificate_authority is not None:
            path = Path(certificate_authority)
            if not path.is_file():
                raise FileNotFoundError(f"The certificate authority file {str(path)!r} does not exist.")
            verify = ssl.create_default_context(cafile=str(path))
        self._client = httpx.Client(
            base_url=url,
            auth=_CallableAuth(authentication) if authentication is not None else None,
            verify=verify,
            timeout=_TIMEOUT,
            follow_redirects=False,
        )
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self._client.close()

    def request(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """Send a request; `what` says what it was for, in error messages."""
        if self.closed:
            raise SessionClosedError(f"This connected session was closed; connect to {self.url} again.")
        if not path.startswith("/"):
            path = f"{self.rest}/{path}"
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise ConnectionError(f"Cannot {what}: the session at {self.url} cannot be reached ({error}).") from None
        if response.status_code >= 400:
            raise self._error(response, what)
        return response

    def get_json(self, path: str, *, what: str, **kwargs: Any) -> Any:
        return self.request("GET", path, what=what, **kwargs).json()

    def post_json(self, path: str, body: Any, *, what: str, **kwargs: Any) -> Any:
        return self.request("POST", path, what=what, json=body, **kwargs).json()

    def _error(self, response: httpx.Response, what: str) -> RemoteError:
        status = response.status_code
        try:
            detail = response.json().get("error")
        except (json.JSONDecodeError, AttributeError, ValueError):
            detail = None
        detail = detail or response.reason_phrase or f"HTTP {status}"
        if status == 401:
            if not self.authenticated:
                message = (f"Cannot {what}: the session at {self.url} requires authentication; pass "
                           "authentication=tt.BasicAuthentication(username, password) to tt.Session.connect().")
            else:
                who = f"user {self.user!r}" if self.user else "the given authentication"
                message = (f"Cannot {what}: the session at {self.url} rejected the credentials of {who} "
                           f"(HTTP 401: {detail})")
            return AuthenticationError(message, status_code=status)
        if status == 403:
            who = f"user {self.user!r}" if self.user else "this user"
            return AccessDeniedError(f"Cannot {what}: {who} is not allowed to (HTTP 403: {detail})", status_code=status)
        if 400 <= status < 500:
            return RemoteRequestError(f"Cannot {what}: {detail} (HTTP {status})", status_code=status)
        return RemoteError(f"Cannot {what}: the session at {self.url} failed (HTTP {status}: {detail})",
                           status_code=status)


def json_value(value: Any) -> Any:
    """A condition value as JSON: dates and times in ISO 8601, NumPy scalars as Python ones."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, (str, bytes)):
        try:
            item = value.item()
        except (TypeError, ValueError):
            return value
        return item if type(item) is type(value) else json_value(item)
    if isinstance(value, (list, tuple, set, frozenset)) and not isinstance(value, str):
        return [json_value(v) for v in value]
    return value


def json_values(values: Iterable[Any]) -> list[Any]:
    return [json_value(v) for v in values]
