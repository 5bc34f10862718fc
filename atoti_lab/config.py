"""Session configuration objects, named as in atoti (``tt.SessionConfig`` ...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class LoggingConfig:
    """Where the session writes its log: a file path (a default file when None)."""

    destination: Path | str | None = None


@dataclass(frozen=True, kw_only=True)
class UserContentStorageConfig:
    """Where dashboards and saved widgets are kept: a SQLite database at `url` (a path)."""

    url: str


@dataclass(frozen=True, kw_only=True)
class SessionConfig:
    """How ``tt.Session.start(config)`` starts a session."""

    port: int = 0
    user_content_storage: Path | str | UserContentStorageConfig | None = None
    logging: LoggingConfig | None = None
    ready: bool = True
    security: Any | None = None
    https: Any | None = None
    app_extensions: Mapping[str, Path] = field(default_factory=dict)
    java_options: tuple[str, ...] = ()  # accepted for compatibility; there is no JVM
    extra_jars: tuple[Path, ...] = ()  # accepted for compatibility; there is no JVM
