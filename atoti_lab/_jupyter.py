"""Jupyter server extension (enabled by jupyter-config/.../atoti_lab.json): a proxy to sessions' web apps.

``{jupyter base_url}atoti-lab/proxy/{port}/{path}`` forwards to ``http://127.0.0.1:{port}/{path}``,
so ``session.link`` works where only the Jupyter server's port is reachable (JupyterHub, remote
machines, containers). Requests need the Jupyter server's own authentication (its token or login
cookie) and go only to the loopback interface, where sessions listen by default; the session then
applies its own security to what it receives. Everything the proxy imports is imported when
Jupyter loads the extension, never when ``atoti_lab`` is imported.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROXY_PREFIX", "_jupyter_server_extension_points", "_load_jupyter_server_extension"]

PROXY_PREFIX = "atoti-lab/proxy"
"""Below the Jupyter server's base URL: ``{base_url}atoti-lab/proxy/{port}/``."""

# Hop-by-hop headers (RFC 9110 section 7.6.1) and those the proxy sets itself.
_SKIP_REQUEST = {"host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                 "upgrade", "content-length", "cookie"}
_SKIP_RESPONSE = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "server",
                  "date"}


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "atoti_lab._jupyter"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from jupyter_server.utils import url_path_join

    web_app = server_app.web_app
    pattern = url_path_join(web_app.settings["base_url"], PROXY_PREFIX, r"(\d+)(/.*)?")
    web_app.add_handlers(".*$", [(pattern, _handler_class())])
    server_app.log.info("atoti_lab: proxying session web apps at %s", pattern)


def _handler_class() -> type:
    import tornado.httputil
    import tornado.web
    from jupyter_server.base.handlers import JupyterHandler
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

    class ProxyHandler(JupyterHandler):
        """Forwards one request to a session's server on 127.0.0.1 and relays the answer."""

        # The session answers 401/403 itself (with its own security); Jupyter's check comes first.
        @tornado.web.authenticated
        async def proxy(self, port: str, path: str | None) -> None:
            number = int(port)
            if not 0 < number < 65536:
                raise tornado.web.HTTPError(400, f"Invalid port {port}.")
            if path is None:
                # The app's page uses relative URLs: it must be served with a trailing slash.
                self.redirect(self.request.uri.split("?")[0] + "/" + ("?" + self.request.query if self.request.query else ""))
                return
            url = f"http://127.0.0.1:{number}{path}"
            if self.request.query:
                url += "?" + self.request.query
            headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in _SKIP_REQUEST}
            if self.request.headers.get("Authorization", "").lower().startswith("token "):
                headers.pop("Authorization", None)  # Jupyter's token is not the session's business
            body = self.request.body if self.request.method in ("POST", "PUT", "PATCH", "DELETE") else None
            request = HTTPRequest(url, method=self.request.method, headers=headers, body=body,
                                  allow_nonstandard_methods=True, follow_redirects=False,
                                  request_timeout=600, decompress_response=False)
            try:
                response = await AsyncHTTPClient().fetch(request, raise_error=False)
            except (OSError, HTTPClientError) as error:
                raise tornado.web.HTTPError(502, f"No atoti_lab session answers on port {number}: {error}") from None
            if response.code == 599:  # tornado's code for a connection failure
                raise tornado.web.HTTPError(502, f"No atoti_lab session answers on port {number}.")
            self.set_status(response.code, response.reason)
            self._headers = tornado.httputil.HTTPHeaders()  # drop Jupyter's defaults (CSP etc.): the app's own apply
            for key, value in response.headers.get_all():
                if key.lower() not in _SKIP_RESPONSE:
                    self.add_header(key, value)
            if response.body:
                self.write(response.body)
            await self.finish()

        # Jupyter's XSRF check stays on for writes: token-authenticated clients skip it, and the web
        # app sends X-XSRFToken from Jupyter's _xsrf cookie.
        get = post = put = patch = delete = head = proxy  # type: ignore[assignment]

    return ProxyHandler
