"""Paths to the built front-end bundles in ``atoti_lab/static/`` (esbuild output).

The bundles are built by the package build hook (``pip install .`` / ``pip install -e .``) or
by hand with ``npm ci && npm run build``. Nothing here touches the disk at import time: a
missing bundle only fails when a widget is created, with an error naming the file and the
command that builds it.

>>> from atoti_lab.widgets._static import static_path
>>> static_path("table.js").name
'table.js'
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["STATIC_DIR", "BundleNotBuiltError", "StaticAsset", "read_static", "static_asset", "static_path"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
"""Where ``js/build.mjs`` writes the bundles."""

_REPO_ROOT = STATIC_DIR.parent.parent


class BundleNotBuiltError(FileNotFoundError):
    """A front-end bundle is missing from ``atoti_lab/static/``."""


def _build_hint() -> str:
    if (_REPO_ROOT / "package.json").is_file() and (_REPO_ROOT / "js").is_dir():
        return (
            f"Build the front end from the repository root ({_REPO_ROOT}) with "
            "`npm ci && npm run build`, or reinstall with `pip install -e .` (needs Node.js >= 20)."
        )
    return (
        "This installation of atoti_lab has no front-end bundles; reinstall it from a wheel or "
        "build it from source with Node.js >= 20 available (`pip install .`)."
    )


def static_path(name: str) -> Path:
    """The path of the bundle file ``name`` (which may not exist yet)."""
    return STATIC_DIR / name


@lru_cache(maxsize=32)
def _read(path: Path, mtime_ns: int) -> str:  # mtime in the key: rebuilt files are re-read
    return path.read_text(encoding="utf-8")


def read_static(name: str) -> str:
    """The text of the bundle file ``name``.

    Raises:
        BundleNotBuiltError: The file does not exist; the message says how to build it.
    """
    path = static_path(name)
    try:
        return _read(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        msg = f"The atoti_lab front-end bundle {path} is missing. {_build_hint()}"
        raise BundleNotBuiltError(msg) from None


class StaticAsset:
    """The text of a bundle file, read when first needed (``str(asset)``), not at import.

    anywidget calls ``str()`` on ``_esm``/``_css`` when a widget is created, so a missing
    bundle fails there with :class:`BundleNotBuiltError`.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def path(self) -> Path:
        return static_path(self.name)

    def exists(self) -> bool:
        return self.path.is_file()

    def __str__(self) -> str:
        return read_static(self.name)

    def __repr__(self) -> str:
        return f"StaticAsset({self.name!r})"


def _hot_reload() -> bool:
    return os.environ.get("ANYWIDGET_HMR", "").strip().lower() in {"1", "true", "yes"}


def static_asset(name: str) -> StaticAsset | Path:
    """What to assign to a widget's ``_esm`` or ``_css``.

    Normally a lazy :class:`StaticAsset`. With ``ANYWIDGET_HMR=1`` and the bundle present, the
    :class:`~pathlib.Path` itself, so that anywidget watches the file and live-reloads widgets
    on rebuilds (``npm run watch``).
    """
    path = static_path(name)
    if _hot_reload() and path.is_file():
        return path
    return StaticAsset(name)


class StaticSnapshot:
    """Adds a static HTML rendering (``snapshot_html()``) to a widget's display data, for the
    places where widgets cannot run: GitHub, nbviewer, nbconvert."""

    def snapshot_html(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict] | None:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, "text/html": self.snapshot_html()}, metadata
