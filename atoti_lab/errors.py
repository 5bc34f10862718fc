"""The exceptions atoti_lab raises beyond Python's own.

    Exception
    ├── AtotiLabError                      base of the errors below
    │   ├── SessionClosedError             using a session after close()
    │   ├── LoadError                      a source that cannot be loaded at all
    │   ├── LiveExtensionUnavailableError  a connected session lacks the rights for this (also RuntimeError)
    │   └── RemoteError                    a connected session's server refused a request (.status_code)
    │       ├── AuthenticationError        401: no or wrong credentials
    │       ├── AccessDeniedError          403: the user lacks the role the request needs
    │       └── RemoteRequestError         other 4xx: the request was wrong (also ValueError)
    ├── UserWarning
    │   └── LoadWarning                    rows rejected while loading (the rest loaded)
    └── (ValueError, KeyError, TypeError)  bad arguments, named as Python users expect
"""

from __future__ import annotations


class AtotiLabError(Exception):
    """Base class of atoti_lab's own errors."""


class SessionClosedError(AtotiLabError):
    """The session was closed; create a new one."""


class LoadError(AtotiLabError):
    """A source could not be loaded (nothing was changed)."""


class LoadWarning(UserWarning):
    """Some rows of a source were rejected; the others were loaded (see ``table.loading_report``)."""


class RemoteError(AtotiLabError):
    """The server of a connected session answered a request with an error."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AuthenticationError(RemoteError):
    """The connected session's server did not accept the credentials (HTTP 401)."""


class AccessDeniedError(RemoteError):
    """The user is authenticated but lacks the role the request needs (HTTP 403)."""


class RemoteRequestError(RemoteError, ValueError):
    """The connected session's server rejected a request as malformed (HTTP 4xx)."""


# Defined in its own module so that tracebacks name it as atoti's does.
from ._live_extension_unavailable_error import LiveExtensionUnavailableError  # noqa: F401 (re-exported)
