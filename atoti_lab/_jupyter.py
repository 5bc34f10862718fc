"""Jupyter server extension entry points (enabled by jupyter-config/.../atoti_lab.json).

For now the extension only announces itself; it will proxy a session's web app so that
``session.link`` works from JupyterLab.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_jupyter_server_extension_points", "_load_jupyter_server_extension"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "atoti_lab._jupyter"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    server_app.log.debug("atoti_lab: Jupyter server extension loaded")
