"""``session.link``: a link to the session's web app that renders in notebooks.

>>> link = Link("http://127.0.0.1:9090", 9090)
>>> str(link / "#/dashboard/1")
'http://127.0.0.1:9090/#/dashboard/1'

Displayed in a Jupyter front end, the link points at the Jupyter server's proxy
(``{base_url}atoti-lab/proxy/{port}/``, see ``atoti_lab._jupyter``) when the page is served by a
Jupyter server, so it works where only Jupyter's port is reachable (JupyterHub, remote machines);
elsewhere (VS Code, a plain browser) it is the session's own URL.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["LINK_MIME_TYPE", "Link"]

LINK_MIME_TYPE = "application/vnd.atoti-lab.link.v1+json"


@dataclass(frozen=True)
class Link:
    """The session's URL plus a path (``link / "#/dashboard/1"``)."""

    session_url: str
    port: int
    path: str = ""

    def __truediv__(self, path: str) -> Link:
        if not isinstance(path, str):
            return NotImplemented
        joined = f"{self.path.rstrip('/')}/{path.lstrip('/')}" if self.path else path.lstrip("/")
        return Link(self.session_url, self.port, joined)

    @property
    def url(self) -> str:
        return f"{self.session_url}/{self.path}"

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return self.url

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        url = self.url
        text = "Open the session's web app" if not self.path else f"Open {self.path} in the session's web app"
        # Jupyter pages carry their base URL in #jupyter-config-data (Notebook 7, JupyterLab) or in
        # body[data-base-url] (classic): there the link goes through the server extension's proxy.
        script = (
            "(function(a){try{var base=null;var c=document.getElementById('jupyter-config-data');"
            "if(c){base=JSON.parse(c.textContent).baseUrl;}"
            "if(!base&&document.body&&document.body.dataset.baseUrl){base=document.body.dataset.baseUrl;}"
            "if(base){if(base.slice(-1)!=='/'){base+='/';}"
            f"a.href=base+'atoti-lab/proxy/{self.port}/'+{json.dumps(self.path).replace('<', chr(92) + 'u003c')};}}}}catch(e){{}}}})"
            "(document.currentScript.previousElementSibling);"
        )
        markup = (f'<a href="{html.escape(url)}" target="_blank" rel="noopener">{html.escape(text)}</a>'
                  f"<script>{script}</script>")
        return {
            "text/plain": url,
            "text/html": markup,
            LINK_MIME_TYPE: {"url": url, "port": self.port, "path": self.path},
        }
