"""``tt.Session.connect(url, authentication=...)``: a session running elsewhere, used from here.

What the connected session may do follows atoti's tiers, decided once at connection:

* **Live Extension** — the target has security on and the authentication grants ``ROLE_ADMIN``:
  ``tables`` (``head``, ``+=``, ``load`` of pandas/Arrow data streamed as Arrow IPC, ``drop``),
  ``create_table``, ``create_cube``, plus everything below.
* **Minimal** — any other target or user able to read: ``cubes``, ``cube.query(...)`` and
  ``query_mdx(...)`` (as atoti's "always available" capabilities). Anything of Live Extension raises
  :class:`~atoti_lab.errors.LiveExtensionUnavailableError` saying why.

Wrong or missing credentials for a secured target fail at connection with
:class:`~atoti_lab.errors.AuthenticationError`. As with atoti, changes made through a connected
session live in the target session only (they are lost when it restarts). Cube queries go
through the server's query endpoint and come back as Arrow IPC; the result has the local
``cube.query`` shape ("pretty": levels as the index, formatted prints; "raw": levels as columns).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from .._engine.result.frame import QueryResult
from .._server.wire import from_ipc, raw_frame, schema_metadata
from ..errors import LiveExtensionUnavailableError, RemoteError, SessionClosedError
from ..hierarchy import find
from ..security import ROLE_ADMIN
from . import Http
from .table import RemoteCondition, RemoteTable, RemoteTables, SharedTable, _path, _RemoteSubject, create_table

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ConnectedSession", "RemoteCube", "connect"]

_API = "atoti"  # our REST API's name in /versions/rest


def connect(url: str, *, authentication: Any = None, certificate_authority: Path | str | None = None) -> ConnectedSession:
    """Connect to the session serving `url` (its base URL, where ``/versions/rest`` is)."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"Expected the base URL of a session, such as session.url ('http://127.0.0.1:port'), got {url!r}.")
    url = url.rstrip("/")
    http = Http(url, authentication=authentication, certificate_authority=certificate_authority)
    try:
        discovery = http.get_json("/versions/rest", what=f"connect to {url}")
        versions = ((discovery.get("apis") or {}).get(_API) or {}).get("versions") or []
        if not versions:
            raise ConnectionError(f"The server at {url} is not an atoti_lab session: its /versions/rest lists no "
                                  f"{_API!r} API.")
        http.rest = "/" + str(versions[0]["restPath"]).strip("/")
        me = http.get_json("me", what=f"connect to {url}")
    except BaseException:
        http.close()
        raise
    return ConnectedSession(http, server_version=str(discovery.get("serverVersion", "")), me=me)


class ConnectedSession:
    """A session reached through ``tt.Session.connect``; see the module documentation for its tiers."""

    def __init__(self, http: Http, *, server_version: str, me: Mapping[str, Any]) -> None:
        self._http = http
        self._server_version = server_version
        self._secured = bool(me.get("security"))
        self._user: str | None = me.get("user")
        self._roles = frozenset(me.get("roles") or ())

    # -- the connection -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._http.url

    @property
    def closed(self) -> bool:
        return self._http.closed

    def close(self) -> None:
        """Close the connection (the target session keeps running)."""
        self._http.close()

    @property
    def is_alive(self) -> bool:
        """Whether the connection is open and the target session answers."""
        if self.closed:
            return False
        try:
            self._http.request("GET", "/atoti/pyapi/health", what="check the session")
        except (ConnectionError, RemoteError):
            return False
        return True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("live extension" if self._live_extension else "minimal")
        return f"ConnectedSession({self.url!r}, user={self._user!r}, {state})"

    @property
    def _live_extension(self) -> bool:
        return self._secured and ROLE_ADMIN in self._roles

    def _require_live_extension(self, what: str) -> Http:
        if self.closed:
            raise SessionClosedError(f"This connected session was closed; connect to {self.url} again.")
        if not self._live_extension:
            if not self._secured:
                reason = f"the session at {self.url} is not secured"
            else:
                reason = f"user {self._user!r} has not been granted ROLE_ADMIN on the session at {self.url}"
            raise LiveExtensionUnavailableError(
                f"Live extension is not available because {reason}, so {what} cannot be used. It needs a "
                "target session started with tt.SessionConfig(security=tt.SecurityConfig()) and an authentication "
                "granting ROLE_ADMIN."
            )
        return self._http

    # -- Live Extension -------------------------------------------------------------------------
    @property
    def tables(self) -> RemoteTables:
        """The target's tables (Live Extension)."""
        return RemoteTables(self._require_live_extension("session.tables"))

    def create_table(self, name: str, *, data_types: Mapping[str, str] | None = None, keys: Any = frozenset(),
                     default_values: Mapping[str, Any] | None = None, partitioning: str | None = None,
                     types: Mapping[str, str] | None = None) -> RemoteTable:
        """Create an empty table in the target session (Live Extension)."""
        http = self._require_live_extension("create_table()")
        return create_table(http, name, data_types=data_types, keys=keys, default_values=default_values, types=types)

    def create_cube(self, base_table: RemoteTable | str, name: str | None = None, *, mode: str = "auto",
                    **kwargs: Any) -> RemoteCube:
        """Create a cube over one of the target's tables (Live Extension)."""
        http = self._require_live_extension("create_cube()")
        if kwargs:
            raise TypeError(f"create_cube() on a connected session does not support {sorted(kwargs)}.")
        table = base_table.name if isinstance(base_table, RemoteTable) else base_table
        if not isinstance(table, str):
            raise TypeError(f"create_cube() takes a table of the connected session, got {base_table!r}.")
        description = http.post_json("cubes", {"baseTable": table, "name": name, "mode": mode},
                                     what=f"create a cube over table {table!r}")
        return RemoteCube(http, description)

    def publish_table(self, name: str, table: RemoteTable | str) -> None:
        """Share one of the target's tables under `name`: other connected sessions fetch it with
        :meth:`fetch_table` (Live Extension)."""
        http = self._require_live_extension("publish_table()")
        table_name = table.name if isinstance(table, RemoteTable) else table
        if not isinstance(table_name, str):
            raise TypeError(f"publish_table() takes a table of the connected session or its name, got {table!r}.")
        http.request("PUT", f"shared/{_path(name)}", json={"table": table_name},
                     what=f"publish table {table_name!r} as {name!r}")

    # -- always available -----------------------------------------------------------------------
    def fetch_table(self, name: str) -> SharedTable:
        """The table published under `name`, live and read-only."""
        if self.closed:
            raise SessionClosedError(f"This connected session was closed; connect to {self.url} again.")
        description = self._http.get_json(f"shared/{_path(name)}", what=f"fetch the shared table {name!r}")
        return SharedTable(self._http, name, description)

    def query_mdx(self, mdx: str, /, *, keep_totals: bool = False, timeout: Any = None, mode: str = "pretty",
                  context: Mapping[str, Any] | None = None, **kwargs: Any) -> pd.DataFrame:
        """Run an MDX SELECT query on the target, as its ``session.query_mdx`` (needs ROLE_USER)."""
        if mode not in ("pretty", "raw"):
            raise ValueError(f"mode must be 'pretty' or 'raw', got {mode!r}.")
        if not isinstance(mdx, str):
            raise TypeError(f"An MDX query is a string, got {type(mdx).__name__}.")
        if self.closed:
            raise SessionClosedError(f"This connected session was closed; connect to {self.url} again.")
        response = self._http.request("POST", "query/mdx", json={"mdx": mdx, "keepTotals": bool(keep_totals)},
                                      what="run the MDX query")
        table = from_ipc(response.content, what="The server's answer")
        frame = raw_frame(table)
        if mode == "raw":
            return frame
        metadata = schema_metadata(table)
        names = json.loads(metadata.get("atoti_lab.levels", "[]"))
        return _pretty(table, frame, names, json.loads(metadata.get("atoti_lab.formatters", "{}")))

    @property
    def cubes(self) -> RemoteCubes:
        """The target's cubes, for queries."""
        if self.closed:
            raise SessionClosedError(f"This connected session was closed; connect to {self.url} again.")
        return RemoteCubes(self._http)


class RemoteCubes(Mapping[str, "RemoteCube"]):
    """The target session's cubes, by name."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def _list(self) -> list[dict[str, Any]]:
        return self._http.get_json("cubes", what="list the cubes")

    def __getitem__(self, name: str) -> RemoteCube:
        for description in self._list():
            if description["name"] == name:
                return RemoteCube(self._http, description)
        raise KeyError(f"No cube named {name!r}; the cubes are {sorted(self)}.")

    def __iter__(self) -> Iterator[str]:
        return iter([d["name"] for d in self._list()])

    def __len__(self) -> int:
        return len(self._list())

    def __repr__(self) -> str:
        return f"RemoteCubes({list(self)})"


class RemoteLevel(_RemoteSubject):
    """A level of a remote cube: use it in ``levels=`` and in filters (``==``, ``isin`` ...)."""

    __slots__ = ("_cube", "_data_type", "_key_tuple")

    def __init__(self, cube: RemoteCube, key: tuple[str, str, str], data_type: str) -> None:
        self._cube = cube
        self._key_tuple = key
        self._data_type = data_type

    @property
    def dimension(self) -> str:
        return self._key_tuple[0]

    @property
    def hierarchy(self) -> str:
        return self._key_tuple[1]

    @property
    def name(self) -> str:
        return self._key_tuple[2]

    @property
    def data_type(self) -> str:
        return self._data_type

    def _key(self) -> dict[str, Any]:
        return {"level": list(self._key_tuple)}

    def __hash__(self) -> int:
        return hash((self._cube.name, self._key_tuple))

    def __repr__(self) -> str:
        return f"RemoteLevel{self._key_tuple!r}"


class RemoteMeasure:
    """A measure of a remote cube (read-only description)."""

    def __init__(self, cube: RemoteCube, description: Mapping[str, Any]) -> None:
        self._cube = cube
        self.name: str = description["name"]
        self.data_type: str = description.get("dataType")
        self.formatter: str | None = description.get("formatter")
        self.folder: str | None = description.get("folder")
        self.visible: bool = description.get("visible", True)
        self.description: str | None = description.get("description")

    def __repr__(self) -> str:
        return f"RemoteMeasure({self.name!r})"


class _Levels(Mapping[tuple[str, str, str], RemoteLevel]):
    """``cube.levels``: by name, (hierarchy, name) or (dimension, hierarchy, name), as locally."""

    def __init__(self, levels: dict[tuple[str, str, str], RemoteLevel]) -> None:
        self._levels = levels

    def __getitem__(self, key: Any) -> RemoteLevel:
        return self._levels[find(key, list(self._levels), "level")]

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter(self._levels)

    def __len__(self) -> int:
        return len(self._levels)


class _Measures(Mapping[str, RemoteMeasure]):
    def __init__(self, cube_name: str, measures: dict[str, RemoteMeasure]) -> None:
        self._cube_name = cube_name
        self._measures = measures

    def __getitem__(self, name: str) -> RemoteMeasure:
        if name not in self._measures:
            raise KeyError(f"Cube {self._cube_name!r} has no measure {name!r}; its measures are {sorted(self._measures)}.")
        return self._measures[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._measures)

    def __len__(self) -> int:
        return len(self._measures)


class RemoteCube:
    """A cube of the target session, as described when it was looked up: query it by measure and level."""

    def __init__(self, http: Http, description: Mapping[str, Any]) -> None:
        self._http = http
        self._name: str = description["name"]
        levels: dict[tuple[str, str, str], RemoteLevel] = {}
        for dimension in description["dimensions"]:
            for hierarchy in dimension["hierarchies"]:
                for level in hierarchy["levels"]:
                    key = (dimension["name"], hierarchy["name"], level["name"])
                    levels[key] = RemoteLevel(self, key, level.get("dataType"))
        self._levels = levels
        self._measures = {m["name"]: RemoteMeasure(self, m) for m in description["measures"]}

    @property
    def name(self) -> str:
        return self._name

    @property
    def levels(self) -> Mapping[tuple[str, str, str], RemoteLevel]:
        return _Levels(self._levels)

    @property
    def measures(self) -> Mapping[str, RemoteMeasure]:
        return _Measures(self._name, self._measures)

    def __repr__(self) -> str:
        return f"RemoteCube({self._name!r}, levels={len(self._levels)}, measures={len(self._measures)})"

    def query(self, *measures: RemoteMeasure, filter: RemoteCondition | None = None, include_empty_rows: bool = False,
              include_totals: bool = False, levels: Sequence[RemoteLevel] | RemoteLevel = (), mode: str = "pretty",
              **kwargs: Any) -> pd.DataFrame:
        """The values of `measures` for each member combination of `levels`, as the target's ``cube.query``."""
        if mode not in ("pretty", "raw"):
            raise ValueError(f"mode must be 'pretty' or 'raw', got {mode!r}.")
        if isinstance(levels, RemoteLevel):
            levels = [levels]
        for i, m in enumerate(measures):
            if not isinstance(m, RemoteMeasure) or m._cube._name != self._name:
                raise TypeError(f"Measure {i + 1} of the query is not a measure of cube {self._name!r}: {m!r}.")
        for i, lvl in enumerate(levels):
            if not isinstance(lvl, RemoteLevel) or lvl._cube._name != self._name:
                raise TypeError(f"Level {i + 1} of the query is not a level of cube {self._name!r}: {lvl!r}.")
        if filter is not None and not isinstance(filter, RemoteCondition):
            raise TypeError(f"filter must be a condition on levels, such as l['Country'] == 'France'; got {filter!r}.")
        body = {
            "measures": [m.name for m in measures],
            "levels": [list(lvl._key_tuple) for lvl in levels],
            "filter": filter._json() if filter is not None else [],
            "includeTotals": bool(include_totals),
            "includeEmptyRows": bool(include_empty_rows),
        }
        response = self._http.request("POST", f"cubes/{_path(self._name)}/query", json=body,
                                      what=f"query cube {self._name!r}")
        table = from_ipc(response.content, what="The server's answer")
        frame = raw_frame(table)
        if mode == "raw":
            return frame
        names = json.loads(schema_metadata(table).get("atoti_lab.levels", "[]"))
        return _pretty(table, frame, names, {m.name: m.formatter for m in measures})


def _pretty(table: pa.Table, frame: pd.DataFrame, level_names: list[str],
            formatters: Mapping[str, str | None]) -> QueryResult:
    """The raw result in the "pretty" shape: levels as the index ("Total" / "" on total rows)."""
    measures = frame[[c for c in frame.columns if c not in level_names]]
    if level_names:
        arrays = []
        for i, name in enumerate(level_names):
            values = table.column(name).to_pylist()
            if any(v is None for v in values):
                # As cube.query: total rows read "Total" on the first level, "" below it.
                blank = "Total" if i == 0 else ""
                arrays.append(pd.Index([blank if v is None else v for v in values], dtype=object, name=name,
                                       tupleize_cols=False))
            else:
                arrays.append(pd.Index(values, name=name, tupleize_cols=False))
        index = arrays[0] if len(arrays) == 1 else pd.MultiIndex.from_arrays(arrays, names=level_names)
        measures = measures.set_axis(index, axis=0)
    return QueryResult.from_frame(measures, formatters)
