"""Run an ASGI app on uvicorn in a background thread of the current process.

The session's server lives beside the user's code (a script, a Jupyter kernel): it gets its own
thread and its own event loop, so it works whether or not the calling thread runs a loop.

>>> from starlette.applications import Starlette
>>> handle = ServerHandle.start(Starlette())
>>> handle.url.startswith("http://127.0.0.1:")
True
>>> handle.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ServerHandle", "ServerStartError"]

_DEFAULT_LOGGER = logging.getLogger("atoti_lab.server")
# uvicorn logs through these module-level loggers, shared by every uvicorn server in the process.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# How long uvicorn waits for open requests before cancelling them; below stop()'s default timeout.
_GRACEFUL_SHUTDOWN_S = 2.0


class ServerStartError(OSError):
    """The server could not start (e.g. its port is in use)."""


class _RouteByThread(logging.Filter):
    """Sends the records uvicorn logs from a server thread to that server's logger.

    uvicorn's loggers are global, so they cannot be given one handler per server. Each server runs in
    its own thread, though: records made on a registered thread go to that thread's logger and stop
    there (no stdout/stderr noise in notebooks); records from any other thread pass unchanged, so
    another uvicorn app in the same process keeps its logging.
    """

    def __init__(self) -> None:
        super().__init__()
        self._targets: dict[int, logging.Logger] = {}

    def register(self, thread_id: int, logger: logging.Logger) -> None:
        self._targets[thread_id] = logger

    def unregister(self, thread_id: int) -> None:
        self._targets.pop(thread_id, None)

    def filter(self, record: logging.LogRecord) -> bool:
        target = self._targets.get(record.thread) if record.thread is not None else None
        if target is None:
            return True
        if target.isEnabledFor(record.levelno):
            target.handle(record)
        return False


_router = _RouteByThread()
_router_lock = threading.Lock()
_router_installed = False


def _install_router() -> None:
    # Installed once, on first start (not at import: importing the package changes no global state).
    global _router_installed
    with _router_lock:
        if not _router_installed:
            for name in _UVICORN_LOGGERS:
                logging.getLogger(name).addFilter(_router)
            _router_installed = True


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port=0 lets the OS pick a free one."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ServerStartError(f"Cannot start the server on {host}:{port}: unknown host ({exc}).") from exc
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name != "nt":
            # Lets a restarted session take its port back while old connections sit in TIME_WAIT;
            # it never allows two listeners on one port. (On Windows SO_REUSEADDR would allow that.)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            message = (f"Cannot start the server on {host}:{port}: the port is already in use. "
                       "Pass another port, or port=0 for a free one.")
        else:
            message = f"Cannot start the server on {host}:{port}: {exc.strerror or exc}."
        raise ServerStartError(exc.errno, message) from exc
    return sock


def _url_host(host: str) -> str:
    # A wildcard address listens everywhere but cannot be connected to: point clients at loopback.
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class _Server(uvicorn.Server):
    """uvicorn's server, woken by stop() instead of checking its exit flag every 100 ms, so closing
    a session (and freeing its port) takes milliseconds."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            try:
                # on_tick refreshes the Date header; once a second is enough for it.
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                pass

    def wake(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed meanwhile: nothing left to wake
                pass


class ServerHandle:
    """A uvicorn server running an ASGI app in a daemon thread; see :meth:`start`."""

    def __init__(self, server: _Server, sock: socket.socket, host: str, logger: logging.Logger,
                 url_host: str | None = None) -> None:
        self._server = server
        self._scheme = "https" if server.config.is_ssl else "http"
        self._url_host = url_host
        self._socket = sock
        self._host = host
        self._port: int = sock.getsockname()[1]
        self._logger = logger
        self._error: BaseException | None = None
        self._stop_lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=f"atoti_lab-server-{self._port}", daemon=True)

    @classmethod
    def start(cls, app: Any, *, host: str = "127.0.0.1", port: int = 0, logger: logging.Logger | None = None,
              timeout: float = 10.0, https: Any = None) -> ServerHandle:
        """Serve `app` on (host, port) and return once the server accepts connections.

        The socket is bound here, before the thread starts, so a busy port fails right away with a
        :class:`ServerStartError` and ``port=0`` gives a free port known on return. uvicorn's logs go
        to `logger` (default: ``atoti_lab.server``), never to stdout. With `https` (a
        :class:`~atoti_lab.security.HttpsConfig`) it serves TLS and its URL names ``https.domain``.
        """
        logger = logger or _DEFAULT_LOGGER
        ssl: dict[str, Any] = {}
        with contextlib.ExitStack() as files:
            if https is not None:
                from .tls import tls_files

                tls = files.enter_context(tls_files(https))
                ssl = {"ssl_certfile": tls.certfile, "ssl_keyfile": tls.keyfile, "ssl_keyfile_password": tls.password}
            config = uvicorn.Config(
                app,
                log_config=None,  # leave the process's logging configuration alone
                lifespan="auto",
                server_header=False,
                timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
                **ssl,
            )
            if https is not None:
                try:
                    config.load()  # builds the SSL context now, while the (temporary) files exist
                except Exception as error:
                    raise ServerStartError(f"Cannot serve HTTPS with the given certificate: {error}") from error
        sock = _bind(host, port)
        handle = cls(_Server(config), sock, host, logger, https.domain if https is not None else None)
        _install_router()
        handle._thread.start()
        handle._wait_started(timeout)
        logger.info("Server listening on %s", handle.url)
        return handle

    def _run(self) -> None:
        thread_id = threading.get_ident()
        _router.register(thread_id, self._logger)
        try:
            # A fresh event loop in this thread (asyncio.run under the hood): independent of any
            # loop the caller runs, such as a Jupyter kernel's.
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # uvicorn reports startup failures with sys.exit()
            self._error = exc
            self._logger.error("Server on %s:%d stopped with an error", self._host, self._port, exc_info=exc)
        finally:
            _router.unregister(thread_id)
            self._socket.close()

    def _wait_started(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._socket.close()
                raise ServerStartError(
                    f"The server on {self._host}:{self._port} failed to start"
                    + (f": {self._error!r}" if self._error is not None else ".")
                ) from self._error
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"The server on {self._host}:{self._port} did not start within {timeout} s.")
            time.sleep(0.005)

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:52381``."""
        return f"{self._scheme}://{self._url_host or _url_host(self._host)}:{self._port}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopped

    def stop(self, timeout: float = 5.0) -> None:
        """Shut the server down and free its port; calling it again does nothing."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.should_exit = True
        self._server.wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                # Graceful shutdown overran: skip waiting for connections and the lifespan shutdown.
                self._server.force_exit = True
                self._thread.join(1.0)
            if self._thread.is_alive():
                self._logger.warning("Server on %s did not stop within %s s", self.url, timeout)
        # uvicorn closes the socket on shutdown; close it here too in case the server never started.
        self._socket.close()
        self._logger.info("Server on %s stopped", self.url)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ServerHandle({self.url}, {'running' if self.running else 'stopped'})"
