"""The session's HTTP server: a Starlette app (``app``) that uvicorn runs in a thread (``runner``).

The session starts it with ``ServerHandle.start(create_app(session), port=..., logger=session._log)``
and stops it with ``handle.stop()``.
"""

from .app import create_app
from .runner import ServerHandle, ServerStartError

__all__ = ["ServerHandle", "ServerStartError", "create_app"]
